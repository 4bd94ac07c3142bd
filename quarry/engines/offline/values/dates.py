"""Dates as printed → `datetime.date`: numeric (`28/11/2022`, `2023-03-20`, `8-9-2022`,
`01.05.14`) and with month names in English, German, French, Dutch, Spanish, Italian and
Portuguese (`7. Mai 2014`, `August 3 , 2014`, `14/JUN/2017`).

Day/month order of an ambiguous numeric date (`04/05/2023`) comes from `DateOrder`, which
`infer_date_order` reads off the document's other dates (one with a day above 12 settles it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar janvier januari enero gennaio janeiro janv jänner",
        "february feb februar fevrier februari febrero febbraio fevereiro fevr",
        "march mar marz maerz mars maart marzo marco",
        "april apr avril abril aprile",
        "may mai mei mayo maggio maio",
        "june jun juni juin junio giugno junho",
        "july jul juli juillet julio luglio julho juil",
        "august aug augustus aout agosto ago",
        "september sep sept septembre settembre septiembre setembro set",
        "october oct oktober octobre okt octubre ottobre outubro out",
        "november nov novembre noviembre novembro",
        "december dec dezember decembre dez diciembre dicembre dezembro",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH = r"([A-Za-zÀ-ÿ]{3,10})\.?"
# Not inside a longer run of digit groups: "04.71.48.58.27" is a phone number, not 4 July 1948.
_NUMERIC = re.compile(r"(?<![\d.])(?<!\d[/-])(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})(?!\d|[./-]\d)")
_DAY_FIRST = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er)?\.?[\s/-]*(?:de\s+)?"
    + _MONTH
    + r"[\s,/-]*(?:de\s+)?(\d{4}|\d{2}(?!\d))"
)
_MONTH_FIRST = re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})")
_LOST_SEPARATOR = re.compile(
    r"(?<![\d./-])(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])[./-]((?:19|20)\d{2})(?![\d./-])"
)
_COMPACT = re.compile(r"(?<![\d])((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")


class DateOrder(StrEnum):
    DMY = "DMY"
    MDY = "MDY"


@dataclass(frozen=True)
class DateMatch:
    value: date
    start: int
    end: int
    ambiguous: bool  # day and month could be swapped


def infer_date_order(texts: Iterable[str]) -> DateOrder | None:
    """DMY or MDY from numeric dates whose day is above 12; None without evidence."""
    dmy = mdy = 0
    for text in texts:
        for match in _NUMERIC.finditer(text):
            first, second = int(match.group(1)), int(match.group(3))
            if len(match.group(1)) == 4:
                continue
            dmy += 31 >= first > 12 >= second
            mdy += 31 >= second > 12 >= first
    if dmy == mdy:
        return None
    return DateOrder.DMY if dmy > mdy else DateOrder.MDY


def find_dates(
    text: str, order: DateOrder = DateOrder.DMY, *, compact: bool = False
) -> list[DateMatch]:
    """Every date in `text`, left to right; `compact` also reads `20180428` (after a label)."""
    found = [*_numeric(text, order), *_named(text)]
    if compact:
        found.extend(_compact(text))
    found.sort(key=lambda m: m.start)
    kept: list[DateMatch] = []
    for match in found:
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


def parse_date(text: str, order: DateOrder = DateOrder.DMY) -> date | None:
    found = find_dates(text, order)
    return found[0].value if found else None


def _numeric(text: str, order: DateOrder) -> Iterator[DateMatch]:
    for match in _NUMERIC.finditer(text):
        a, b, c = match.group(1), int(match.group(3)), match.group(4)
        if len(a) == 4:
            value = _make(int(a), b, int(c))
            ambiguous = False
        elif len(c) in (2, 4):
            day, month = (int(a), b) if order is DateOrder.DMY else (b, int(a))
            if day <= 12 and month > 12:
                day, month = month, day
            value = _make(_year(c), month, day)
            ambiguous = int(a) <= 12 and b <= 12 and int(a) != b
        else:
            continue
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), ambiguous)


def _named(text: str) -> Iterator[DateMatch]:
    for match in _DAY_FIRST.finditer(text):
        month = _month(match.group(2))
        value = _make(_year(match.group(3)), month, int(match.group(1))) if month else None
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), False)
    for match in _MONTH_FIRST.finditer(text):
        month = _month(match.group(1))
        value = _make(int(match.group(3)), month, int(match.group(2))) if month else None
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), False)


def _compact(text: str) -> Iterator[DateMatch]:
    for match in _COMPACT.finditer(text):
        value = _make(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), False)
    for match in _LOST_SEPARATOR.finditer(text):  # "1303/2018": OCR lost "13/03"'s slash
        value = _make(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), True)


def _month(name: str) -> int | None:
    folded = unicodedata.normalize("NFKD", name.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _MONTHS.get(folded)


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


def _make(year: int, month: int | None, day: int) -> date | None:
    if month is None or not 1000 <= year <= 2999:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
