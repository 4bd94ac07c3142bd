"""Values found without a label, for roles where the document itself is evidence enough.

Each is grounded (the words are on the page) but carries a low confidence:
    date       the first date in the document not announced by another date's label
    currency   the best-supported currency code or symbol in the whole document
    vendor     the first line near the top of page 1 naming a company ("... GmbH", "... Ltd")
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from quarry.engines.offline.candidates import Candidate
from quarry.engines.offline.labels import LabelHit
from quarry.engines.offline.layout_index import LayoutIndex
from quarry.engines.offline.readers import Hints, Reading, read_currency, read_date, read_text
from quarry.parsing.model import Word

_DATE_CONFIDENCE = 0.4
_CURRENCY_CONFIDENCE = 0.6
_VENDOR_CONFIDENCE = 0.35
_VENDOR_TOP_LINES = 12
_NAME_WORDS = 3
_COMPANY = re.compile(
    r"(gmbh|ag|ltd|limited|inc|llc|plc|b\.v|n\.v|s\.a|s\.a\.s|sarl|s\.r\.l|sdn|bhd|pvt|pty|"
    r"corp|corporation|co|oy|ab|aps|kg)\.?",
    re.IGNORECASE,
)

Fallback = Callable[[LayoutIndex, Sequence[LabelHit], Hints], Candidate | None]


def first_date(index: LayoutIndex, hits: Sequence[LabelHit], hints: Hints) -> Candidate | None:
    other_dates = {h.line.number for h in hits if "date" in h.key and h.key != "date"}
    for line in index.lines:
        if line.number in other_dates:
            continue
        reading = read_date([s.words for s in line.segments], hints)
        if reading is not None:
            return _candidate(reading, line.page, line.number, _DATE_CONFIDENCE)
    return None


def document_currency(
    index: LayoutIndex, hits: Sequence[LabelHit], hints: Hints
) -> Candidate | None:
    words = [w for line in index.lines for s in line.segments for w in s.words]
    reading = read_currency([words], hints)
    if reading is None:
        return None
    line = next(ln for ln in index.lines if reading.words[0] in ln.line.words)
    return _candidate(reading, line.page, line.number, _CURRENCY_CONFIDENCE)


def company_line(index: LayoutIndex, hits: Sequence[LabelHit], hints: Hints) -> Candidate | None:
    first_page = index.lines[0].page if index.lines else 1
    for line in index.lines[:_VENDOR_TOP_LINES]:
        if line.page != first_page:
            break
        for segment in line.segments:
            words = _company_name(segment.words)
            reading = read_text([words], hints) if words else None
            if reading is not None:
                return _candidate(reading, line.page, line.number, _VENDOR_CONFIDENCE)
    return None


def _company_name(words: Sequence[Word]) -> list[Word]:
    """Up to three name words before a legal-form suffix (and any suffixes right after it)."""
    suffix = next((i for i, w in enumerate(words) if _COMPANY.fullmatch(w.text.rstrip(",;"))), None)
    if suffix is None or suffix == 0:
        return []
    end = suffix + 1
    while end < len(words) and _COMPANY.fullmatch(words[end].text.rstrip(",;")):
        end += 1
    start = suffix
    while start > 0 and suffix - start < _NAME_WORDS and not _ends_sentence(words[start - 1].text):
        start -= 1
    return list(words[start:end])


def _ends_sentence(text: str) -> bool:
    return text.endswith((".", ":", ",", "-", "–")) or text in ("-", "–", "|")


def _candidate(reading: Reading, page: int, order: int, confidence: float) -> Candidate:
    return Candidate(
        reading=reading, page=page, confidence=confidence, rank=confidence, order=order
    )


FALLBACKS: dict[str, Fallback] = {
    "date": first_date,
    "currency": document_currency,
    "vendor": company_line,
}
