"""Flowing documents (DOCX, XLSX sheets, e-mail headers) → synthetic pages with tables.

Paragraphs become lines of the character grid of `text.py`; a table's cells are laid out in
padded columns, one line per row (cells wrapping over several lines are joined with spaces
on the row's line and kept whole in the cell), and each table also becomes a `Table` whose
cell boxes point at that grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from quarry.parsing.model import Cell, Page, Table, union_bbox
from quarry.parsing.tables import header_rows_of
from quarry.parsing.tabular import lay_out_rows
from quarry.parsing.text import grid_box, synthetic_page


@dataclass
class _PendingTable:
    first_line: int
    rows: list[list[str]]
    positions: list[list[int]]
    header_rows: int


@dataclass
class Flow:
    """Lines and tables in reading order, turned into one synthetic page."""

    lines: list[str] = field(default_factory=list)
    tables: list[_PendingTable] = field(default_factory=list)

    def paragraph(self, text: str) -> None:
        self.lines.extend(part.rstrip() for part in text.split("\n"))

    def table(self, rows: Sequence[Sequence[str]], header_rows: int | None = None) -> None:
        cells = [[_tidy(cell) for cell in row] for row in rows]
        cells = [row for row in cells if any(row)]
        if not cells:
            return
        flat = [[cell.replace("\n", " ") for cell in row] for row in cells]
        guessed = header_rows_of(flat) if header_rows is None else header_rows
        pending = _PendingTable(len(self.lines), cells, [], guessed)
        for text, positions in lay_out_rows(flat):
            self.lines.append(text)
            pending.positions.append(positions)
        self.tables.append(pending)

    @property
    def empty(self) -> bool:
        return not any(line.strip() for line in self.lines)

    def page(self, number: int, section: str | None = None) -> Page:
        page = synthetic_page(number, self.lines)
        rows, columns = int(page.height), int(page.width)
        tables = tuple(_table(t, rows, columns) for t in self.tables)
        return replace(page, tables=tables, section=section)


def _tidy(cell: str) -> str:
    """Spaces normalised within each line of a cell; empty lines dropped."""
    return "\n".join(" ".join(line.split()) for line in cell.split("\n") if line.strip())


def _table(pending: _PendingTable, rows: int, columns: int) -> Table:
    built = []
    for offset, (row, positions) in enumerate(zip(pending.rows, pending.positions, strict=False)):
        line = pending.first_line + offset
        built.append(
            tuple(
                Cell(text, grid_box(line, pos, pos + len(text), rows, columns) if text else None)
                for text, pos in zip(row, positions, strict=False)
            )
        )
    boxes = [c.bbox for r in built for c in r if c.bbox is not None]
    return Table(
        rows=tuple(built),
        header_rows=pending.header_rows,
        bbox=union_bbox(boxes) if boxes else None,
    )
