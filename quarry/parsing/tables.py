"""Tables found in the layout of a page's lines (a PDF text layer or OCR output).

Invoices put line items under a row of column headings, so a table starts at a line whose
wide-gapped segments are mostly known headings ("Description", "Qty", "Unit price",
"Amount", in several languages). Its columns are the headings' horizontal zones; the lines
below are cut into segments and each segment goes to the zone it overlaps most. A line whose
only text is in the description column continues the row above (a description wrapped over
two lines is one row). The table ends at a totals line, a wide vertical gap, or a line that
does not fit the columns.

Geometry is compared in physical units: a gap counts as wide relative to the text height,
using the page's aspect ratio to compare x and y.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from quarry.parsing.model import BBox, Cell, Line, Table, Word, union_bbox
from quarry.parsing.table_vocabulary import HEADINGS, NUMERIC_HEADINGS, TOTAL_WORD, fold_heading

# Words further apart than this many text heights start a new segment (a new column).
_SEGMENT_GAP = 0.9
_MAX_ROW_GAP = 3.0  # text heights of vertical gap that end a table
_MIN_HEADINGS = 2
_MAX_ROWS = 500
_NUMBER = re.compile(r"^[-+(]?[$€£¥]?\d[\d.,'’ ]*%?\)?[$€£]?$")
_MAX_SKIPPED = 2
_TIGHT_GAP = 1.0  # text heights: a wrapped line sits this close under its row


@dataclass
class _Segment:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bbox(self) -> BBox:
        return union_bbox(w.bbox for w in self.words)


@dataclass
class _Row:
    lines: dict[int, list[list[_Segment]]] = field(default_factory=dict)

    def add(self, column: int, segments: list[_Segment]) -> None:
        self.lines.setdefault(column, []).append(segments)


def find_tables(lines: Sequence[Line], aspect: float = 1.0) -> tuple[Table, ...]:
    """Every heading-led table of the page's lines; `aspect` is page width / page height."""
    tables: list[Table] = []
    index = 0
    while index < len(lines):
        header = _segments(lines[index], aspect)
        if _is_header(header):
            table, used = _read_table(header, lines[index + 1 :], aspect)
            if table is not None:
                tables.append(table)
                index += used
        index += 1
    return tuple(tables)


def segments_of(line: Line, aspect: float = 1.0) -> list[str]:
    """The texts of a line's wide-gapped segments (what a reader sees as separate cells)."""
    return [segment.text for segment in _segments(line, aspect)]


def _segments(line: Line, aspect: float) -> list[_Segment]:
    segments: list[_Segment] = []
    for word in line.words:
        if segments and _gap(segments[-1].words[-1], word, aspect) <= _SEGMENT_GAP:
            segments[-1].words.append(word)
        else:
            segments.append(_Segment([word]))
    return segments


def _gap(left: Word, right: Word, aspect: float) -> float:
    height = max(left.bbox[3] - left.bbox[1], right.bbox[3] - right.bbox[1], 1e-9)
    return (right.bbox[0] - left.bbox[2]) * aspect / height


def _heading_words(text: str) -> list[str]:
    return fold_heading(text).split()


def _is_heading(segment: _Segment) -> bool:
    words = _heading_words(segment.text)
    return bool(words) and any(w in HEADINGS for w in words) and len(words) <= 4


def _is_header(segments: list[_Segment]) -> bool:
    if len(segments) < _MIN_HEADINGS:
        return False
    headings = sum(1 for s in segments if _is_heading(s))
    numbers = sum(1 for s in segments if _NUMBER.match(s.text))
    return headings >= _MIN_HEADINGS and headings * 2 >= len(segments) and numbers == 0


def _zones(header: list[_Segment]) -> list[tuple[float, float]]:
    boxes = [s.bbox for s in header]
    cuts = [(a[2] + b[0]) / 2 for a, b in itertools.pairwise(boxes)]
    edges = [-1.0, *cuts, 2.0]
    return list(itertools.pairwise(edges))


def _column(segment: _Segment, zones: list[tuple[float, float]]) -> int:
    x0, _, x1, _ = segment.bbox
    overlaps = [min(x1, z1) - max(x0, z0) for z0, z1 in zones]
    return max(range(len(zones)), key=lambda i: overlaps[i])


def _text_columns(header: list[_Segment]) -> frozenset[int]:
    """Columns whose heading names no quantity, price or amount (description, code, ...)."""
    columns = frozenset(
        index
        for index, segment in enumerate(header)
        if not any(w in NUMERIC_HEADINGS for w in _heading_words(segment.text))
    )
    return columns or frozenset({0})


def _numeric_cells(placed: dict[int, list[_Segment]], text_columns: frozenset[int]) -> int:
    return sum(
        1
        for column, segments in placed.items()
        if column not in text_columns and any(_has_digit(s.text) for s in segments)
    )


@dataclass
class _Reader:
    """The lines under one header, classified one by one (see the module docstring)."""

    header: list[_Segment]
    aspect: float
    zones: list[tuple[float, float]] = field(init=False)
    text_columns: frozenset[int] = field(init=False)
    head: dict[int, list[_Segment]] = field(init=False)
    rows: list[_Row] = field(default_factory=list)
    after_total: bool = False
    skipped: int = 0  # lines dropped since the last totals line
    used: int = 0

    def __post_init__(self) -> None:
        self.zones = _zones(self.header)
        self.text_columns = _text_columns(self.header)
        self.head = {index: [segment] for index, segment in enumerate(self.header)}

    def take(self, placed: dict[int, list[_Segment]], index: int, tight: bool) -> bool:
        """Use one line; False when the table has ended before it. `tight`: the line sits
        close under the previous one."""
        kind = _kind(placed, self.text_columns)
        texts = [s.text for segments in placed.values() for s in segments]
        if kind != "continuation" and not self.rows and not any(map(_has_digit, texts)):
            for column, segments in placed.items():  # a second line of headings
                self.head.setdefault(column, []).extend(segments)
            return True
        if kind == "total":
            self.after_total = True
            self.skipped = 0
            return True
        if kind == "row" and self.after_total and _numeric_cells(placed, self.text_columns) < 2:
            return False  # prose with a number after the totals
        if kind == "row":
            self.rows.append(_Row())
            for column, segments in placed.items():
                self.rows[-1].add(column, segments)
            self.after_total = False
            self.used = index + 1
            return True
        return self._text_line(placed, kind, index, tight)

    def _text_line(
        self, placed: dict[int, list[_Segment]], kind: str, index: int, tight: bool
    ) -> bool:
        if kind == "text" and not (tight and self.rows and not self.after_total):
            return False  # prose or a footer under the rows
        if self.rows and not self.after_total:
            for column, segments in placed.items():  # wrapped text of the row above
                self.rows[-1].add(column, segments)
            self.used = index + 1
            return True
        self.skipped += 1  # a section heading ("--- Food ---") before the next row
        return self.skipped <= _MAX_SKIPPED


def _kind(placed: dict[int, list[_Segment]], text_columns: frozenset[int]) -> str:
    """ "continuation" (text columns only), "total", "row" (a number in a numeric column)
    or "text" (anything else)."""
    if set(placed) <= text_columns:
        return "continuation"
    for column, segments in placed.items():
        totals = any(TOTAL_WORD.search(s.text) for s in segments)
        if totals and (column not in text_columns or len(placed) <= 2):
            return "total"
    numeric = [
        column
        for column, segments in placed.items()
        if column not in text_columns and any(_has_digit(s.text) for s in segments)
    ]
    return "row" if numeric else "text"


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _read_table(
    header: list[_Segment], below: Sequence[Line], aspect: float
) -> tuple[Table | None, int]:
    reader = _Reader(header, aspect)
    previous = union_bbox(s.bbox for s in header)
    for index, line in enumerate(below[:_MAX_ROWS]):
        if not _continues(line, previous, header):
            break
        tight = line.bbox[1] - previous[3] <= _TIGHT_GAP * (line.bbox[3] - line.bbox[1])
        if not reader.take(_place(_segments(line, aspect), reader.zones), index, tight):
            break
        previous = line.bbox
    if not reader.rows:
        return None, 0
    head = [_merge(reader.head.get(c, [])) for c in range(len(reader.zones))]
    return _table(head, reader.rows, len(reader.zones)), reader.used


def _merge(segments: list[_Segment]) -> _Segment:
    return _Segment([w for s in segments for w in s.words])


def _place(segments: list[_Segment], zones: list[tuple[float, float]]) -> dict[int, list[_Segment]]:
    placed: dict[int, list[_Segment]] = {}
    for segment in _split_numbers(segments, zones):
        placed.setdefault(_column(segment, zones), []).append(segment)
    return placed


def _split_numbers(
    segments: list[_Segment], zones: list[tuple[float, float]]
) -> Iterator[_Segment]:
    """A segment of numbers spread over several columns (narrow gaps) is cut per word."""
    for segment in segments:
        columns = {_column(_Segment([w]), zones) for w in segment.words}
        if len(columns) > 1 and all(_NUMBER.match(w.text) for w in segment.words):
            yield from (_Segment([w]) for w in segment.words)
        else:
            yield segment


def _continues(line: Line, previous: BBox, header: list[_Segment]) -> bool:
    height = max(line.bbox[3] - line.bbox[1], 1e-9)
    if (line.bbox[1] - previous[3]) / height > _MAX_ROW_GAP:
        return False
    left = header[0].bbox[0]
    right = header[-1].bbox[2]
    width = right - left
    # A line reaching far outside the table's width is body text, not a row.
    return line.bbox[0] >= left - width * 0.25 and line.bbox[2] <= right + width * 0.25


def _table(header: list[_Segment], rows: list[_Row], width: int) -> Table:
    head = tuple(Cell(s.text, s.bbox) if s.words else Cell("") for s in header)
    body = tuple(tuple(_cell(row, column) for column in range(width)) for row in rows)
    boxes = [c.bbox for r in (head, *body) for c in r if c.bbox is not None]
    return Table(rows=(head, *body), header_rows=1, bbox=union_bbox(boxes))


def _cell(row: _Row, column: int) -> Cell:
    lines = row.lines.get(column)
    if not lines:
        return Cell("")
    text = "\n".join(" ".join(s.text for s in segments) for segments in lines)
    box = union_bbox(s.bbox for segments in lines for s in segments)
    return Cell(text, box)


def header_rows_of(rows: Sequence[Sequence[str]]) -> int:
    """1 when the first row of a grid (CSV, sheet, HTML or DOCX table) reads as headings.

    It does when it has known headings, or when all its cells are text while a later row
    holds a number in a column where the first row has text.
    """
    if len(rows) < 2 or not rows[0] or not any(rows[0]):
        return 0
    first = [cell.strip() for cell in rows[0]]
    if any(_NUMBER.match(cell) for cell in first if cell):
        return 0
    named = sum(1 for cell in first if cell and _is_heading(_Segment([Word(cell, (0, 0, 0, 0))])))
    if named >= _MIN_HEADINGS:
        return 1
    return int(
        any(
            _NUMBER.match(cell.strip()) and column < len(first) and first[column]
            for row in rows[1:]
            for column, cell in enumerate(row)
            if cell.strip()
        )
    )
