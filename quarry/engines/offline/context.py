"""One document as the offline engine sees it: indexed lines, every label hit, reading habits.

Built once per document and schema. Label hits are keyed by the schema path of the field that
owns the phrase, or by `role:<key>` for roles no field took (distractors and helpers such as
cash tendered or change), so every role's hits can be found with `hits_of_role`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.offline.candidates import Candidate, Target, candidates
from quarry.engines.offline.labels import LabelHit, find_hits
from quarry.engines.offline.layout_index import IndexedLine, LayoutIndex
from quarry.engines.offline.parties import Excluded, NameFound, vendor_names
from quarry.engines.offline.readers import Hints, join_split_amounts
from quarry.engines.offline.regions import label_starts
from quarry.engines.offline.roles import AMOUNT_ROLES, ROLE_BY_KEY, ROLES
from quarry.engines.offline.sections import Sections, find_sections
from quarry.engines.offline.totals import Amounts, reconcile
from quarry.engines.offline.values.dates import DateOrder, infer_date_order
from quarry.engines.offline.values.numbers import infer_decimal_style, parse_number
from quarry.engines.offline.vocabulary import Phrase, label_phrases, role_phrases, tokens
from quarry.parsing.model import Word

_CUSTOMER_BLOCK_LINES = 6
_CUSTOMER_COLUMN = 0.4
_STRONG_LABEL = 0.85


class DocumentContext:
    def __init__(self, index: LayoutIndex, targets: Sequence[Target]) -> None:
        self.index = index
        texts = list(index.texts())
        order = infer_date_order(texts)
        self.hints = Hints(
            date_order=order or DateOrder.DMY,
            date_order_known=order is not None,
            decimal_style=infer_decimal_style(texts),
        )
        self.role_keys: dict[str, str] = {}
        phrases: dict[str, tuple[Phrase, ...]] = {}
        for target in targets:
            phrases[target.path] = label_phrases(target.spec)
            if target.role is not None:
                self.role_keys.setdefault(target.role.key, target.path)
        for role in ROLES:
            if role.key not in self.role_keys:
                key = f"role:{role.key}"
                self.role_keys[role.key] = key
                phrases[key] = tuple((" ".join(tokens(p)), w) for p, w in role_phrases(role))
        self.hits = find_hits(index, phrases)
        self.starts = label_starts(self.hits)
        self.by_key: dict[str, list[LabelHit]] = defaultdict(list)
        for hit in self.hits:
            self.by_key[hit.key].append(hit)
        self.memo: dict[str, Any] = {}

    def hits_of_role(self, role_key: str) -> list[LabelHit]:
        return self.by_key.get(self.role_keys.get(role_key, ""), [])

    def candidates_for(self, target: Target) -> list[Candidate]:
        return candidates(
            target, self.by_key.get(target.path, []), self.index, self.starts, self.hints
        )

    def role_candidates(
        self, role_key: str, field_type: FieldType = FieldType.NUMBER
    ) -> list[Candidate]:
        """Candidates of a role whether or not a schema field took it."""
        key = self.role_keys[role_key]
        role = ROLE_BY_KEY[role_key]
        spec = FieldSpec(name=role.names[0].replace(" ", "_"), type=field_type)
        target = Target(key, spec)
        return candidates(target, self.by_key.get(key, []), self.index, self.starts, self.hints)

    def line_of(self, word: Word) -> IndexedLine:
        """The line a word of the document is on."""
        return self._word_lines[id(word)]

    def line_number_of(self, word: Word, default: int) -> int:
        """The number of the line `word` is on; `default` for a word made by joining two
        (an amount OCR split at its decimal mark), which is on no line as such."""
        found = self._word_lines.get(id(word))
        return found.number if found is not None else default

    @cached_property
    def _word_lines(self) -> dict[int, IndexedLine]:
        lines: dict[int, IndexedLine] = {}
        for line in self.index.lines:
            for each in line.line.words:
                lines[id(each)] = line
            for segment in line.segments:
                for each in segment.words:
                    lines.setdefault(id(each), line)
        return lines

    @cached_property
    def line_amounts(self) -> list[list[float]]:
        """Per line, the amounts printed with decimals."""
        found = []
        for line in self.index.lines:
            amounts = []
            for word in join_split_amounts(line.line.words):
                text = word.text.rstrip(",;:")
                if any(ch.isdigit() for ch in text) and ("." in text or "," in text):
                    value = parse_number(text, self.hints.decimal_style)
                    if value is not None and value != int(value):
                        amounts.append(value)
            found.append(amounts)
        return found

    @cached_property
    def amounts(self) -> Amounts:
        keys = (*AMOUNT_ROLES, "tendered", "change", "rounding")
        found = {key: self.role_candidates(key) for key in keys}
        return reconcile(found, self.line_amounts)

    def find_amount(self, value: float) -> tuple[Word, IndexedLine] | None:
        """Where `value` is printed as an amount, or None."""
        for line in self.index.lines:
            for word in line.line.words:
                printed = parse_number(word.text.rstrip(",;:"), self.hints.decimal_style)
                if printed is not None and abs(printed - value) < 0.005:
                    return word, line
        return None

    @cached_property
    def sections(self) -> Sections:
        """The seller's and the buyer's blocks under a party heading (`sections`)."""
        return find_sections(self.index)

    @cached_property
    def customer_block(self) -> Excluded:
        """(line, segment) pairs under or after a customer label ("Bill to", "Attn"), and
        every line of a buyer's section."""
        excluded: set[tuple[int, int]] = set()
        for number in self.sections.buyer_lines:
            line = self.index.lines[number]
            excluded.update((number, position) for position in range(len(line.segments)))
        for hit in self.hits_of_role("customer"):
            excluded.add((hit.line.number, hit.segment))
            x0 = hit.words[0].bbox[0]
            excluded.update(self._below(hit.line.number, hit.line.page, x0))
        return frozenset(excluded)

    def layout_names(self) -> list[NameFound]:
        """The seller-name candidates of the layout (`parties.vendor_names`), best first."""
        if "names" not in self.memo:
            self.memo["names"] = vendor_names(self.index, self.name_excluded, self.starts)
        found: list[NameFound] = self.memo["names"]
        return found

    @cached_property
    def name_excluded(self) -> Excluded:
        """Where no seller name is: customer blocks and lines carrying another label."""
        excluded = set(self.customer_block)
        vendor = self.role_keys.get("vendor")
        for hit in self.hits:
            if hit.score >= _STRONG_LABEL and hit.key != vendor:
                excluded.update((hit.line.number, n) for n in range(len(hit.line.segments)))
        for hit in self.hits_of_role("owner"):  # "Owned by: X Sdn Bhd" names the owner
            excluded.update(self._below(hit.line.number, hit.line.page, hit.words[0].bbox[0], 1))
        return frozenset(excluded)

    def _below(
        self, number: int, page: int, x0: float, lines: int = _CUSTOMER_BLOCK_LINES
    ) -> Iterator[tuple[int, int]]:
        for line in self.index.lines[number + 1 : number + 1 + lines]:
            if line.page != page:
                return
            for position, segment in enumerate(line.segments):
                start = segment.words[0].bbox[0]
                if x0 - 0.05 <= start <= x0 + _CUSTOMER_COLUMN * 0.5:
                    yield line.number, position
