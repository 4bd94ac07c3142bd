"""Label–value pairs read off a sample document's lines, and the type a printed value has.

Lines are first cut into cells at wide gaps (columns). In a cell, `Label: value` is a pair; a
cell that is only `Label:` takes the next cell of its line, or, when the whole line is labels
(`Invoice Date:   Due Date:`), the words of the next line standing under each label. Without
a colon, a short label followed by a date, an amount or one code (`Total   $ 279.84`,
`Rechnungsdatum 7. Mai 2014`, `BIC INGBNL2A`) is a pair too, and so is a label naming a
number followed by digits (`Rechnungsnr. 30064443`). A bare integer after a plain label (a
postcode, a year) is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from quarry.core.fields import FieldType
from quarry.engines.offline.values.dates import DateOrder, find_dates
from quarry.extraction_schemas.ai_prompt import snake_case, type_for_name
from quarry.parsing.model import Line, Page, ParsedDocument, Word

_MAX_LABEL_WORDS = 5
_CELL_GAP = 1.5  # line heights
_CURRENCY = r"(?:[€$£¥₹]|EUR|USD|GBP|CHF|JPY|CAD|AUD|INR|MYR|SGD|Rs\.?)"
_AMOUNT = re.compile(rf"{_CURRENCY}?\s*[-+(]?\s*\d[\d.,' ]*\)?\s*(?:%|{_CURRENCY})?", re.I)
_IDENTIFIER = re.compile(r"0\d+|\d{5,}")
_GROUPS = re.compile(r"^\+|^[^.,]*\d \d+ \d[^.,]*$")  # +49 6051 916 44 10, 507 500 94
_BOOLEANS = frozenset(
    ["yes", "no", "true", "false", "ja", "nein", "oui", "non", "si", "sí", "y", "n"]
)
_CURRENCY_WORD = re.compile(_CURRENCY, re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    label: str
    value: str
    page: int


def is_printed_date(text: str) -> bool:
    """Whether `text` is, as a whole, a date as documents print it (`03/20/2023`,
    `7. Mai 2014`, `March 20, 2023`), read as the offline engine reads dates."""
    value = text.strip()
    return any(
        match.start == 0 and match.end == len(value)
        for order in (DateOrder.DMY, DateOrder.MDY)
        for match in find_dates(value, order)
    )


def value_type(text: str) -> FieldType:
    """The type a printed value has: a date, an amount or number, yes/no, else text."""
    value = text.strip()
    if not value:
        return FieldType.TEXT
    if value.casefold() in _BOOLEANS:
        return FieldType.BOOLEAN
    if is_printed_date(value):
        return FieldType.DATE
    if _IDENTIFIER.fullmatch(value):
        return FieldType.TEXT  # a long or zero-led digit string is a number *name*
    if _AMOUNT.fullmatch(value) and any(ch.isdigit() for ch in value) and not _GROUPS.search(value):
        return FieldType.NUMBER
    return FieldType.TEXT


def field_type(name: str, value: str) -> FieldType:
    named, sure = type_for_name(name)
    if sure and named is FieldType.TEXT:
        return FieldType.TEXT
    found = value_type(value)
    return named if found is FieldType.TEXT and sure else found


# --- pairs ---------------------------------------------------------------------------------


def label_value_pairs(document: ParsedDocument) -> list[Pair]:
    pairs: list[Pair] = []
    for page in document.pages:
        lines = page.lines
        for index, line in enumerate(lines):
            below = lines[index + 1] if index + 1 < len(lines) else None
            pairs += [
                Pair(label, value, page.number) for label, value in _line_pairs(page, line, below)
            ]
    return pairs


def _line_pairs(page: Page, line: Line, below: Line | None) -> list[tuple[str, str]]:
    cells = _cells(page, line)
    pairs: list[tuple[str, str]] = []
    waiting: list[tuple[str, float]] = []  # labels still without a value, with their left x
    skip = False
    for position, cell in enumerate(cells):
        if skip:
            skip = False
            continue
        found, empty, last_is_empty = _cell_pairs(cell)
        pairs += found
        following = cells[position + 1] if position + 1 < len(cells) else None
        if following is None or _colon_ends(following):
            waiting += empty
            continue
        if last_is_empty:
            pairs.append((empty.pop()[0], _text(following)))
            skip = True
        elif _is_label_cell(cell) and _plain_value(_text(cell), _text(following)):
            pairs.append((_text(cell), _text(following)))  # "Total      $ 279.84"
            skip = True
        waiting += empty
    if waiting and not pairs and below is not None:
        pairs += _labels_over(waiting, below)
    return pairs


def _cells(page: Page, line: Line) -> list[list[Word]]:
    """The line's words in runs separated by gaps wider than 1.5 line heights (a column
    gap; a space is far narrower, also in text formats' one-cell-per-character layout)."""
    height = (line.bbox[3] - line.bbox[1]) * (page.height / page.width if page.width else 1)
    height *= _CELL_GAP
    cells: list[list[Word]] = []
    for word in line.words:
        if cells and word.bbox[0] - cells[-1][-1].bbox[2] <= max(height, 1e-9):
            cells[-1].append(word)
        else:
            cells.append([word])
    return cells


def _cell_pairs(
    cell: list[Word],
) -> tuple[list[tuple[str, str]], list[tuple[str, float]], bool]:
    """A cell's pairs, its labels without a value (with their x), and whether the cell ends
    with such a label."""
    ends = _colon_ends(cell)
    if not ends:
        return _plain_pairs(cell), [], False
    starts = _label_starts(cell, ends)
    pairs: list[tuple[str, str]] = []
    empty: list[tuple[str, float]] = []
    for number, (first, end) in enumerate(zip(starts, ends, strict=True)):
        if first < 0:
            continue
        value_end = max(starts[number + 1], end + 1) if number + 1 < len(ends) else len(cell)
        label = _text(cell[first : end + 1]).rstrip(":").strip()
        value = _text(cell[end + 1 : value_end])
        if not label:
            continue
        if value:
            pairs.append((label, value))
        else:
            empty.append((label, cell[first].bbox[0]))
    last_is_empty = bool(empty) and ends[-1] == len(cell) - 1 and starts[-1] >= 0
    return pairs, empty, last_is_empty


def _colon_ends(cell: list[Word]) -> list[int]:
    """Indexes of the words that end a label (`Date:`)."""
    return [i for i, w in enumerate(cell) if w.text.endswith(":") and labelish(w.text[:-1])]


def _label_starts(cell: list[Word], ends: list[int]) -> list[int]:
    """Where each label begins: the labelish words since the previous label's colon (so in
    `Invoice Date: Due Date: Reference:` every label is whole and has no value yet); -1 when
    they are too many for a label (a sentence ending in a colon)."""
    starts = []
    for number, end in enumerate(ends):
        floor = ends[number - 1] + 1 if number else 0
        first = end
        while first > floor and labelish(cell[first - 1].text):
            first -= 1
        if end - first >= _MAX_LABEL_WORDS:
            first = -1  # "Please use the following communication for your payment:"
        starts.append(first)
    return starts


def labelish(text: str) -> bool:
    return (
        any(ch.isalpha() for ch in text)
        and not any(ch.isdigit() for ch in text)
        and "//" not in text
        and not _CURRENCY_WORD.fullmatch(text)
        and len(text) <= 40
    )


def _plain_pairs(cell: list[Word]) -> list[tuple[str, str]]:
    """`Total $ 279.84`, `Zahlungsziel 21.05.14`, `BIC INGBNL2A`: a label, then a value."""
    runs: list[tuple[bool, list[Word]]] = []
    for word in cell:
        kind = labelish(word.text)
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(word)
        else:
            runs.append((kind, [word]))
    if len(runs) < 2 or not runs[0][0] or len(runs[0][1]) > 3:
        return []
    label, rest = _text(runs[0][1]), _text([w for _, words in runs[1:] for w in words])
    if _strong_value(rest):
        return [(label, rest)]
    if len(runs) % 2 or any(kind != (i % 2 == 0) for i, (kind, _) in enumerate(runs)):
        return []
    pairs = [(_text(runs[i][1]), _text(runs[i + 1][1])) for i in range(0, len(runs), 2)]
    return pairs if all(_plain_value(label, value) for label, value in pairs) else []


def _plain_value(label: str, value: str) -> bool:
    """`Rechnungsnr. 30064443`: a bare number goes with a label naming a number."""
    if len(label.split()) > 3:
        return False
    digits = value.replace(" ", "").removeprefix("+")
    return _strong_value(value) or (
        digits.isdigit() and type_for_name(snake_case(label)) == (FieldType.TEXT, True)
    )


def _strong_value(value: str) -> bool:
    """A value that stands without a colon: a date, an amount (with decimals, a currency or
    %), yes/no, or one code mixing letters and digits. A bare integer (a house number, a
    postcode, a year) does not."""
    kind = value_type(value)
    if kind in (FieldType.DATE, FieldType.BOOLEAN):
        return True
    if kind is FieldType.NUMBER:
        return not value.strip().isdigit()
    words = value.split()
    return len(words) == 1 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _is_label_cell(cell: list[Word]) -> bool:
    return 0 < len(cell) <= 3 and all(labelish(w.text) for w in cell)


def _labels_over(labels: list[tuple[str, float]], below: Line) -> list[tuple[str, str]]:
    """Values of a row of labels: the next line's words under each label (by left edge)."""
    columns: dict[int, list[Word]] = {}
    slack = 0.01
    for word in below.words:
        left = [i for i, (_, x) in enumerate(labels) if x <= word.bbox[0] + slack]
        if left:
            columns.setdefault(left[-1], []).append(word)
    return [(labels[i][0], _text(words)) for i, words in sorted(columns.items())]


def _text(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words).strip()
