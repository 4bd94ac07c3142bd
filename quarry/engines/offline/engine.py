"""The offline engine: honest label–value extraction from the document's own words.

Pipeline per document: index lines into segments → find every label of every field at once
(so labels compete) → per field, read typed values in the regions after or under its labels →
rank → `possibleValues` → details. A value is never invented: it is read off the page (with its
page, box and source text) or it is null with a `nullReason`.

v1 limits: arrays (line items) are not extracted (null, NOT_EXTRACTED); documents without a
text layer (images until OCR lands) give NOT_EXTRACTED for every field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.base import EngineContext, ExtractionResult, NullReason
from quarry.engines.offline.candidates import Target, candidates
from quarry.engines.offline.choices_scan import resolve_choices
from quarry.engines.offline.details import Detail, grounded, null
from quarry.engines.offline.fallbacks import FALLBACKS
from quarry.engines.offline.labels import LabelHit, find_hits
from quarry.engines.offline.layout_index import LayoutIndex
from quarry.engines.offline.readers import Hints
from quarry.engines.offline.regions import label_starts
from quarry.engines.offline.values.dates import DateOrder, infer_date_order
from quarry.engines.offline.values.numbers import infer_decimal_style
from quarry.engines.offline.vocabulary import ROLES, Phrase, label_phrases, role_phrases, tokens
from quarry.parsing.model import ParsedDocument

ENGINE_NAME = "offline"
ENGINE_VERSION = "1.0.0"


class OfflineEngine:
    name = ENGINE_NAME
    version = ENGINE_VERSION

    def extract(self, document: ParsedDocument, context: EngineContext) -> ExtractionResult:
        index = LayoutIndex(document)
        values: dict[str, Any] = {}
        details: dict[str, Detail] = {}
        if index.word_count == 0:
            for spec in context.fields:  # nothing was read: say so rather than "not there"
                values[spec.name] = None
                details[spec.name] = null(NullReason.NOT_EXTRACTED)
        else:
            _Run(index, context.fields).fill(values, details)
        return ExtractionResult(
            fields=values,
            field_details=details,
            engine={"name": self.name, "version": self.version},
            pages=len(document.pages),
            warnings=document.warnings,
        )


class _Run:
    """One document, one schema: labels found once, then every field filled."""

    def __init__(self, index: LayoutIndex, fields: Sequence[FieldSpec]) -> None:
        self.index = index
        self.fields = fields
        self.targets = [t for spec in fields for t in _targets(spec, spec.name)]
        texts = list(index.texts())
        order = infer_date_order(texts)
        self.hints = Hints(
            date_order=order or DateOrder.DMY,
            date_order_known=order is not None,
            decimal_style=infer_decimal_style(texts),
        )
        self.hits = find_hits(index, _phrases(self.targets))
        self.starts = label_starts(self.hits)
        self.by_key: dict[str, list[LabelHit]] = defaultdict(list)
        for hit in self.hits:
            self.by_key[hit.key].append(hit)

    def fill(self, values: dict[str, Any], details: dict[str, Detail]) -> None:
        for spec in self.fields:
            values[spec.name] = self._value(spec, spec.name, details)

    def _value(self, spec: FieldSpec, path: str, details: dict[str, Detail]) -> Any:
        if spec.is_array:
            details[path] = null(NullReason.NOT_EXTRACTED)
            return None
        if spec.type is FieldType.OBJECT:
            found = {p.name: self._value(p, f"{path}.{p.name}", details) for p in spec.properties}
            return found if any(v is not None for v in found.values()) else None
        value, detail = self._scalar(Target(path, spec))
        details[path] = detail
        return value

    def _scalar(self, target: Target) -> tuple[Any, Detail]:
        hits = self.by_key.get(target.path, [])
        found = candidates(target, hits, self.index, self.starts, self.hints)
        if not found and target.role is not None and target.role.key in FALLBACKS:
            fallback = FALLBACKS[target.role.key](self.index, self.hits, self.hints)
            found = [fallback] if fallback is not None else []
        if target.spec.possible_values:
            return resolve_choices(target.spec, found, self.index)
        if found:
            best = found[0]
            return best.reading.value, grounded(best.reading.words, best.page, best.confidence)
        return None, _missing(hits)


def _missing(hits: Sequence[LabelHit]) -> Detail:
    if hits:  # a label was seen, but nothing readable next to it
        return null(NullReason.NOT_EXTRACTED, words=hits[0].words, page=hits[0].line.page)
    return null(NullReason.NOT_IN_DOCUMENT)


def _targets(spec: FieldSpec, path: str) -> Iterator[Target]:
    if spec.is_array:
        return
    if spec.type is FieldType.OBJECT:
        for prop in spec.properties:
            yield from _targets(prop, f"{path}.{prop.name}")
    else:
        yield Target(path, spec)


def _phrases(targets: Sequence[Target]) -> dict[str, tuple[Phrase, ...]]:
    phrases = {t.path: label_phrases(t.spec) for t in targets}
    taken = {t.role.key for t in targets if t.role is not None}
    for role in ROLES:
        if role.key not in taken:
            phrases[f"role:{role.key}"] = tuple(
                (" ".join(tokens(label)), weight) for label, weight in role_phrases(role)
            )
    return phrases
