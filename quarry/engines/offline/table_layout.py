"""Tables found in the layout: a heading line, then rows whose words sit under the headings.

A heading line is a line made mostly of known column headings (at least two different ones,
one of them a description or an amount). Each following line is a row when it has a number
under a numeric heading; a line without one right under a row continues that row's
description ("Acme beeswax" under "Beeswax XL"); summary lines ("Subtotal", "Total", "Tax")
are skipped, and the table ends at two summary lines in a row, a wide vertical gap, a new
heading line or the end of the page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from quarry.engines.offline.columns import DESCRIPTIVE, PRIORITY, Column, heading_phrases
from quarry.engines.offline.layout_index import IndexedLine, LayoutIndex
from quarry.engines.offline.values.numbers import parse_number
from quarry.engines.offline.vocabulary import tokens
from quarry.parsing.model import Word

MIN_COVERAGE = 0.6
FUZZY_HEADING = 90.0
MAX_ROWS = 200
_MAX_GAP_LINES = 4.0
_MAX_QUIET_LINES = 4


@dataclass(frozen=True)
class Heading:
    column: Column
    x0: float
    x1: float
    text: str = ""


@dataclass
class LayoutRow:
    page: int
    cells: dict[Column, list[Word]]
    breaks: list[int] = field(default_factory=list)  # description word indexes starting a line


def find_tables(
    index: LayoutIndex, summary_lines: frozenset[int], end_lines: frozenset[int]
) -> list[list[LayoutRow]]:
    """Every table of the document: its rows, in reading order. `summary_lines` (subtotal,
    tax) are skipped; `end_lines` (the total, cash, change) end a table."""
    matcher = _matcher()
    tables = []
    heading_lines = {}
    for line in index.lines:
        headings = matcher.headings(line)
        if headings:
            heading_lines[line.number] = headings
    for number, headings in heading_lines.items():
        rows = list(
            _rows(
                index,
                number,
                headings,
                summary_lines=summary_lines,
                end_lines=end_lines,
                heading_lines=heading_lines.keys(),
            )
        )
        if rows:
            tables.append(rows)
    return tables


def _rows(
    index: LayoutIndex,
    start: int,
    headings: Sequence[Heading],
    *,
    summary_lines: frozenset[int],
    end_lines: frozenset[int],
    heading_lines: Collection[int],
) -> Iterator[LayoutRow]:
    header = index.lines[start]
    height = max(header.line.bbox[3] - header.line.bbox[1], 0.004)
    previous: LayoutRow | None = None
    bottom, quiet, summaries, emitted = header.line.bbox[3], 0, 0, 0
    for line in index.lines[start + 1 :]:
        too_far = line.line.bbox[1] - bottom > _MAX_GAP_LINES * height * 2
        if line.page != header.page or line.number in heading_lines or too_far:
            break
        if line.number in end_lines:
            break
        bottom = line.line.bbox[3]
        if line.number in summary_lines:
            summaries, previous = summaries + 1, None
            if summaries >= 2:
                break
            continue
        cells = assign(line.line.words, headings)
        if _is_row(cells, headings):
            summaries, quiet = 0, 0
            previous = LayoutRow(line.page, cells)
            emitted += 1
            yield previous
            if emitted >= MAX_ROWS:
                return
        elif previous is not None and cells.get(Column.DESCRIPTION):
            previous.breaks.append(len(previous.cells[Column.DESCRIPTION]))
            previous.cells[Column.DESCRIPTION].extend(cells[Column.DESCRIPTION])
        else:
            quiet += 1
            if quiet >= _MAX_QUIET_LINES:
                break


def _is_row(cells: dict[Column, list[Word]], headings: Sequence[Heading]) -> bool:
    columns = {h.column for h in headings}
    wanted = [Column.AMOUNT] if Column.AMOUNT in columns else [c for c in columns if c.numeric]
    return any(_has_number(cells.get(c, [])) for c in wanted)


def _has_number(words: Sequence[Word]) -> bool:
    return any(parse_number(w.text.rstrip("%")) is not None for w in words)


def assign(words: Sequence[Word], headings: Sequence[Heading]) -> dict[Column, list[Word]]:
    """Each word to the column under whose heading it sits."""
    cells: dict[Column, list[Word]] = defaultdict(list)
    numeric = [h for h in headings if h.column.numeric]
    first_numeric = min((h.x0 for h in numeric), default=1.0)
    for word in words:
        cells[_column_of(word, headings, first_numeric)].append(word)
    cells.setdefault(Column.DESCRIPTION, [])
    return cells


def _column_of(word: Word, headings: Sequence[Heading], first_numeric: float) -> Column:
    x0, x1 = word.bbox[0], word.bbox[2]
    overlaps = [(min(x1, h.x1) - max(x0, h.x0), h) for h in headings]
    best = max(overlaps, key=lambda item: item[0])
    if best[0] > 0:
        return best[1].column
    if x1 <= first_numeric:
        text = [h for h in headings if not h.column.numeric and h.x0 <= x1]
        return max(text, key=lambda h: h.x0).column if text else Column.DESCRIPTION
    centre = (x0 + x1) / 2
    return min(headings, key=lambda h: min(abs(centre - h.x0), abs(centre - h.x1))).column


def is_heading_line(line: IndexedLine) -> bool:
    return bool(_matcher().headings(line))


def heading_lines_of(header: Sequence[str]) -> dict[int, Column]:
    """Column index → meaning for a parsed table's heading cells; {} when they are not one."""
    matcher = _matcher()
    named = [
        (position, Heading(column, 0.0, 0.0, " ".join(tokens(text))))
        for position, text in enumerate(header)
        if (column := matcher.column_for(text)) is not None
    ]
    headings = _one_description([h for _, h in named])
    found: dict[int, Column] = {}
    for (position, _), heading in zip(named, headings, strict=True):
        if heading.column not in found.values():
            found[position] = heading.column
    columns = set(found.values())
    if len(columns) < 2 or Column.DESCRIPTION not in columns:
        return {}
    return found


@lru_cache(maxsize=1)
def _matcher() -> _HeadingMatcher:
    return _HeadingMatcher()


class _HeadingMatcher:
    def __init__(self) -> None:
        self.exact: dict[str, Column] = {}
        for phrase, column in heading_phrases():
            self.exact.setdefault(phrase, column)
        self.longest = max(len(p.split()) for p in self.exact)
        self.fuzzy = [p for p in self.exact if len(p) > 4]

    def headings(self, line: IndexedLine) -> list[Heading]:
        words = line.line.words
        if len(words) < 2 or len(words) > 16:
            return []
        spans = [(t, i) for i, w in enumerate(words) for t in tokens(w.text)]
        return self._accept(words, self._scan(spans))

    def column_for(self, text: str) -> Column | None:
        """The column a heading cell names ("Unit Price", "Qté", "BTW Prijs incl. BTW"), or
        None; a cell naming several takes the first of `PRIORITY`."""
        spans = [(t, 0) for t in tokens(text)]
        named = {column for column, _, _ in self._scan(spans)}
        return next((c for c in PRIORITY if c in named), None)

    def _scan(self, spans: list[tuple[str, int]]) -> list[tuple[Column, int, int]]:
        """(column, first word, last word) of every heading in `spans`, left to right."""
        found: list[tuple[Column, int, int]] = []
        position = 0
        while position < len(spans):
            match = self._match_at(spans, position)
            if match is None:
                position += 1
                continue
            column, length = match
            found.append((column, spans[position][1], spans[position + length - 1][1]))
            position += length
        return found

    def _match_at(self, spans: list[tuple[str, int]], position: int) -> tuple[Column, int] | None:
        for length in range(min(self.longest, len(spans) - position), 0, -1):
            window = " ".join(t for t, _ in spans[position : position + length])
            if window in self.exact:
                return self.exact[window], length
            if length == 1 and len(window) > 4:
                best = process.extractOne(
                    window, self.fuzzy, scorer=fuzz.ratio, score_cutoff=FUZZY_HEADING
                )
                if best is not None:
                    return self.exact[best[0]], 1
        return None

    def _accept(self, words: Sequence[Word], found: list[tuple[Column, int, int]]) -> list[Heading]:
        columns = {c for c, _, _ in found}
        if len(columns) < 2 or Column.DESCRIPTION not in columns:
            return []  # a tax summary ("Rate, Net, Tax, Total") lists no goods
        covered = {i for _, a, b in found for i in range(a, b + 1)}
        if len(covered) < MIN_COVERAGE * len(words):
            return []
        headings = [
            Heading(
                column,
                words[first].bbox[0],
                words[last].bbox[2],
                " ".join(tokens(" ".join(w.text for w in words[first : last + 1]))),
            )
            for column, first, last in found
        ]
        return _one_description(headings)


def _one_description(headings: list[Heading]) -> list[Heading]:
    """Beside a "Description" heading, an "Item"/"Artikel" heading is the item's code."""
    described = [h for h in headings if h.column is Column.DESCRIPTION]
    if len(described) < 2:
        return headings
    keep = next((h for h in described if h.text in DESCRIPTIVE), described[-1])
    return [
        h
        if h.column is not Column.DESCRIPTION or h is keep
        else Heading(Column.CODE, h.x0, h.x1, h.text)
        for h in headings
    ]
