"""Grounding: is an engine's value printed in the document, and where?

Any engine (the offline engine, an LLM engine) can check its values against the
`ParsedDocument` it was given and build spec-shaped `fieldDetails` from the answer:

    details = ground_fields(document, context.fields, values, confidences={"total": 0.9})

    grounder = Grounder(document)                  # index once per document
    evidence = grounder.locate(279.84, "number")   # Evidence(grounded, page, bbox, text, score)

How a value is looked for, by field type:

    number    any printed amount with that value: "1.234,56", "$4.11", "RM 50.80", "39. 90"
    date      any printed date with that day, in any format and language the offline engine
              reads ("03/20/2023", "20.03.23", "7. Mai 2014", "20180428")
    text      the text itself, case, spacing and punctuation aside, as whole words: "US" is
              not found in "CUSTREF123" nor "W" in "WwWwAN"; text shorter than 2 characters
              is never grounded by text alone. Else the closest line or run of lines
              (rapidfuzz partial ratio >= 90) for text of 5+ characters; a currency code
              also matches its symbol ("USD" ↔ "$4.11")
    boolean   only through a quote (`quotes={"paid": "Paid: yes"}`); a bare true/false
              cannot be found in a document

A value that is not found gets `grounded: false` and a lowered confidence
(`min(confidence × 0.5, 0.4)`); a null gets `nullReason` NOT_IN_DOCUMENT (or the reason given).
Objects are grounded property by property (`vendor.name`), arrays item by item
(`line_items[2].amount`). A quote, when given, picks the occurrence nearest to it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from rapidfuzz import fuzz

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.offline.values.currency import ISO_CODES, currency_of_token
from quarry.engines.offline.values.dates import DateOrder, find_dates
from quarry.engines.offline.values.numbers import DecimalStyle, parse_number
from quarry.parsing.layout import joined_text
from quarry.parsing.model import BBox, Line, ParsedDocument, Word, union_bbox

UNGROUNDED_FACTOR = 0.5
UNGROUNDED_CAP = 0.4
FUZZY_MIN = 90.0
_FUZZY_MIN_CHARS = 5
_TEXT_MIN_CHARS = 2
_COMPACT_MIN_CHARS = 6
_WINDOW_LINES = 4
_TOLERANCE = 0.005
_SPLIT_HEAD = re.compile(r"^\D{0,3}\d{1,7}[.,]$")
_SPLIT_TAIL = re.compile(r"^\d{2}$")


@dataclass(frozen=True)
class Evidence:
    """Where a value was found; `score` (0-1) is how closely the printed text matched."""

    grounded: bool
    page: int | None = None
    bbox: BBox | None = None
    text: str | None = None
    score: float = 0.0


NOT_FOUND = Evidence(grounded=False)


@dataclass(frozen=True)
class _Span:
    page: int
    words: tuple[Word, ...]
    line: int  # document-wide line number

    def evidence(self, score: float = 1.0) -> Evidence:
        return Evidence(
            True,
            self.page,
            union_bbox(w.bbox for w in self.words),
            " ".join(w.text for w in self.words),
            score,
        )


class Grounder:
    """One document, indexed for looking values up."""

    def __init__(self, document: ParsedDocument) -> None:
        self.lines: list[tuple[int, Line]] = [
            (page.number, line) for page in document.pages for line in page.lines
        ]

    def locate(
        self, value: Any, field_type: FieldType | str, *, quote: str | None = None
    ) -> Evidence:
        """Where `value` (of the schema type `field_type`) is printed, or NOT_FOUND."""
        kind = FieldType(field_type)
        near = self._quote_line(quote) if quote else None
        spans: list[tuple[_Span, float]] = []
        if value is None or kind is FieldType.OBJECT:
            return NOT_FOUND
        if (
            kind is FieldType.NUMBER
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            spans = [(s, 1.0) for s in self._numbers(float(value))]
        elif kind is FieldType.DATE:
            spans = [(s, 1.0) for s in self._dates(str(value))]
        elif kind is FieldType.TEXT:
            spans = self._texts(str(value))
        elif kind is FieldType.BOOLEAN and quote:
            spans = self._texts(quote)
        if not spans:
            return NOT_FOUND
        best = min(spans, key=lambda item: (-item[1], abs(item[0].line - near) if near else 0))
        return best[0].evidence(best[1])

    # --- numbers --------------------------------------------------------------------------

    @cached_property
    def _number_index(self) -> list[tuple[float, _Span]]:
        found = []
        for number, (page, line) in enumerate(self.lines):
            for word in _joined_amounts(line.words):
                for style in (None, DecimalStyle.POINT, DecimalStyle.COMMA):
                    parsed = parse_number(word.text.rstrip(",;:"), style)
                    if parsed is not None:
                        found.append((parsed, _Span(page, (word,), number)))
        return found

    def _numbers(self, value: float) -> Iterator[_Span]:
        seen: set[int] = set()
        for parsed, span in self._number_index:
            if abs(parsed - value) <= _TOLERANCE and id(span.words[0]) not in seen:
                seen.add(id(span.words[0]))
                yield span

    # --- dates ----------------------------------------------------------------------------

    def _dates(self, value: str) -> Iterator[_Span]:
        try:
            wanted = date.fromisoformat(value)
        except ValueError:
            return
        for number, (page, line) in enumerate(self.lines):
            starts, text = joined_text(line.words)
            for order in (DateOrder.DMY, DateOrder.MDY):
                for match in find_dates(text, order, compact=True):
                    if match.value == wanted:
                        words = tuple(
                            w
                            for w, s in zip(line.words, starts, strict=True)
                            if match.start <= s < match.end
                        )
                        yield _Span(page, words or line.words, number)

    # --- text -----------------------------------------------------------------------------

    def _texts(self, value: str) -> list[tuple[_Span, float]]:
        wanted = _fold(value)
        if not wanted:
            return []
        exact = list(self._exact(wanted))
        if exact:
            return [(s, 1.0) for s in exact]
        if value.strip().upper() in ISO_CODES:
            return [(s, 0.9) for s in self._currency(value.strip().upper())]
        if len(wanted.replace(" ", "")) < _FUZZY_MIN_CHARS:
            return []
        return self._fuzzy(wanted)

    def _exact(self, wanted: str) -> Iterator[_Span]:
        if len(wanted.replace(" ", "")) < _TEXT_MIN_CHARS:
            return
        for size in range(1, _WINDOW_LINES + 1):
            found = False
            for window in self._windows(size):
                folded = _fold(" ".join(w.text for w in window.words))
                if contains_words(folded, wanted):
                    found = True
                    yield _narrow(window, wanted)
            if found:
                return

    def _fuzzy(self, wanted: str) -> list[tuple[_Span, float]]:
        for size in range(1, _WINDOW_LINES + 1):
            found = []
            for window in self._windows(size):
                folded = _fold(" ".join(w.text for w in window.words))
                if len(folded) < len(wanted) * 0.8:
                    continue
                score = _word_aligned_ratio(wanted, folded)
                if score >= FUZZY_MIN:
                    found.append((_narrow(window, wanted), score / 100))
            if found:
                return found
        return []

    def _windows(self, size: int) -> Iterator[_Span]:
        """Every run of `size` consecutive lines on one page."""
        for start in range(len(self.lines) - size + 1):
            page = self.lines[start][0]
            if self.lines[start + size - 1][0] != page:
                continue
            words = tuple(w for _, line in self.lines[start : start + size] for w in line.words)
            yield _Span(page, words, start)

    def _currency(self, code: str) -> Iterator[_Span]:
        for number, (page, line) in enumerate(self.lines):
            for word in line.words:
                found = currency_of_token(word.text)
                if found is not None and found[0] == code:
                    yield _Span(page, (word,), number)

    def _quote_line(self, quote: str) -> int | None:
        found = self._texts(quote)
        return max(found, key=lambda item: item[1])[0].line if found else None


def contains_words(folded: str, wanted: str) -> bool:
    """Whether `wanted` is in `folded` (both `_fold`ed) as whole words: "us" is in "made in
    us" but not in "custref123". Long values also match with their spaces dropped, still
    starting and ending on word boundaries ("de 123 456 789" in "de123456789")."""
    if f" {wanted} " in f" {folded} ":
        return True
    compact = wanted.replace(" ", "")
    if len(compact) < _COMPACT_MIN_CHARS:
        return False
    parts = folded.split()
    for start in range(len(parts)):
        joined = ""
        for part in parts[start:]:
            joined += part
            if len(joined) >= len(compact):
                if joined == compact:
                    return True
                break
    return False


def _word_aligned_ratio(wanted: str, folded: str) -> float:
    """rapidfuzz's partial ratio, with the matched part widened to whole words: "ref12" scores
    100 inside "custref123" by the partial ratio, but only as well as "custref123" here."""
    alignment = fuzz.partial_ratio_alignment(wanted, folded)
    if alignment is None:
        return 0.0
    start = folded.rfind(" ", 0, alignment.dest_start) + 1
    end = folded.find(" ", alignment.dest_end)
    return float(fuzz.ratio(wanted, folded[start : end if end >= 0 else len(folded)]))


def _narrow(window: _Span, wanted: str) -> _Span:
    """The words of `window` that hold `wanted` (the whole window when they cannot be told)."""
    wanted_tokens = set(wanted.split())
    hits = [i for i, w in enumerate(window.words) if set(_fold(w.text).split()) & wanted_tokens]
    if not hits:
        return window
    return _Span(window.page, window.words[hits[0] : hits[-1] + 1], window.line)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


def _joined_amounts(words: Sequence[Word]) -> list[Word]:
    """The line's words, plus amounts OCR split at the decimal mark ("39. 90")."""
    result = list(words)
    for head, tail in itertools.pairwise(words):
        if _SPLIT_HEAD.match(head.text) and _SPLIT_TAIL.match(tail.text):
            box = union_bbox((head.bbox, tail.bbox))
            result.append(Word(head.text + tail.text, box, min(head.confidence, tail.confidence)))
    return result


# --- fieldDetails for a whole result --------------------------------------------------------


def adjusted_confidence(confidence: float, evidence: Evidence) -> float:
    """The engine's confidence, lowered when the value was not found in the document."""
    if evidence.grounded:
        return confidence
    return min(confidence * UNGROUNDED_FACTOR, UNGROUNDED_CAP)


def detail(evidence: Evidence, confidence: float) -> dict[str, Any]:
    return {
        "confidence": round(adjusted_confidence(confidence, evidence), 3),
        "page": evidence.page,
        "bbox": [round(v, 5) for v in evidence.bbox] if evidence.bbox else None,
        "text": evidence.text,
        "grounded": evidence.grounded,
    }


def null_detail(reason: str = "NOT_IN_DOCUMENT") -> dict[str, Any]:
    return {
        "confidence": 0.0,
        "page": None,
        "bbox": None,
        "text": None,
        "grounded": False,
        "nullReason": reason,
    }


def ground_fields(
    document: ParsedDocument,
    fields: Sequence[FieldSpec],
    values: Mapping[str, Any],
    *,
    confidences: Mapping[str, float] | None = None,
    quotes: Mapping[str, str] | None = None,
    null_reasons: Mapping[str, str] | None = None,
    default_confidence: float = 0.8,
) -> dict[str, dict[str, Any]]:
    """`fieldDetails` for every path of `values`, shaped by `fields`.

    `confidences`, `quotes` and `null_reasons` are keyed by path (`total`,
    `line_items[0].amount`); missing confidences default to `default_confidence`.
    """
    grounding = _Grounding(
        Grounder(document), confidences or {}, quotes or {}, null_reasons or {}, default_confidence
    )
    details: dict[str, dict[str, Any]] = {}
    for spec in fields:
        grounding.walk(spec, spec.name, values.get(spec.name), details)
    return details


@dataclass(frozen=True)
class _Grounding:
    grounder: Grounder
    confidences: Mapping[str, float]
    quotes: Mapping[str, str]
    null_reasons: Mapping[str, str]
    default_confidence: float

    def walk(self, spec: FieldSpec, path: str, value: Any, out: dict[str, dict[str, Any]]) -> None:
        if value is None:
            out[path] = null_detail(self.null_reasons.get(path, "NOT_IN_DOCUMENT"))
        elif spec.is_array and isinstance(value, list):
            item = FieldSpec(spec.name, spec.type, properties=spec.properties)
            for number, element in enumerate(value):
                self.walk(item, f"{path}[{number}]", element, out)
            out[path] = _summary(out, [f"{path}[{n}]" for n in range(len(value))])
        elif spec.type is FieldType.OBJECT and isinstance(value, Mapping):
            for prop in spec.properties:
                self.walk(prop, f"{path}.{prop.name}", value.get(prop.name), out)
            out[path] = _summary(out, [f"{path}.{p.name}" for p in spec.properties])
        else:
            evidence = self.grounder.locate(value, spec.type, quote=self.quotes.get(path))
            confidence = self.confidences.get(path, self.default_confidence)
            out[path] = detail(evidence, confidence)


def _summary(out: Mapping[str, dict[str, Any]], children: Sequence[str]) -> dict[str, Any]:
    """An array's or object's own entry: its least confident part, grounded when all
    found parts are, on the page of its first part."""
    found = [out[c] for c in children if c in out and "nullReason" not in out[c]]
    if not found:
        return (
            {**null_detail(), "nullReason": "NOT_IN_DOCUMENT"}
            if not children
            else {"confidence": 0.0, "page": None, "bbox": None, "text": None, "grounded": False}
        )
    return {
        "confidence": min(d["confidence"] for d in found),
        "page": found[0]["page"],
        "bbox": None,
        "text": None,
        "grounded": all(d["grounded"] for d in found),
    }
