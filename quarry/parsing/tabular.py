"""CSV → ParsedDocument: one line per row, and the whole file as one table (its first row
marked as the header when it reads as one).

The delimiter is sniffed among `,` `;` tab and `|`. Cells are laid out in padded columns of the
synthetic grid (see `text.py`), so a row reads like a printed table row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.model import Cell, Page, ParsedDocument, Table
from quarry.parsing.tables import header_rows_of
from quarry.parsing.text import decode_text, grid_box, synthetic_page

_SNIFF_BYTES = 64 * 1024
_MAX_COLUMN_WIDTH = 60
_CELL_GAP = 4


def parse_csv(data: bytes, *, mime_type: str = "text/csv") -> ParsedDocument:
    text = decode_text(data)
    try:
        reader = csv.reader(io.StringIO(text), _dialect(text))
        rows = [[" ".join(cell.split()) for cell in row] for row in reader]
    except csv.Error as exc:
        raise JobFailure(JobErrorCode.CORRUPT_DOCUMENT, f"the CSV cannot be read: {exc}") from None
    rows = [row for row in rows if any(row)]
    return ParsedDocument(pages=(_page(rows),), mime_type=mime_type)


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _page(rows: Sequence[Sequence[str]]) -> Page:
    laid_out = lay_out_rows(rows)
    page = synthetic_page(1, [text for text, _ in laid_out])
    columns, height = int(page.width), int(page.height)
    table_rows = tuple(
        tuple(
            Cell(cell, grid_box(r, pos, pos + len(cell), height, columns))
            for cell, pos in zip(row, positions, strict=True)
        )
        for r, (row, (_, positions)) in enumerate(zip(rows, laid_out, strict=True))
    )
    return Page(
        number=1,
        width=page.width,
        height=page.height,
        words=page.words,
        lines=page.lines,
        tables=(Table(rows=table_rows, header_rows=header_rows_of(rows)),) if table_rows else (),
    )


def lay_out_rows(rows: Sequence[Sequence[str]]) -> list[tuple[str, list[int]]]:
    """Rows of cells as lines of aligned, padded columns, with where each cell starts."""
    widths = _column_widths(rows)
    starts = [sum(widths[:i]) + i * _CELL_GAP for i in range(len(widths))]
    return [_layout_row(row, starts) for row in rows]


def _column_widths(rows: Sequence[Sequence[str]]) -> list[int]:
    count = max((len(row) for row in rows), default=0)
    return [
        max((min(len(row[c]), _MAX_COLUMN_WIDTH) for row in rows if c < len(row)), default=0)
        for c in range(count)
    ]


def _layout_row(row: Sequence[str], starts: Sequence[int]) -> tuple[str, list[int]]:
    """The row as one line of padded columns, and where each cell starts in it."""
    text = ""
    positions = []
    for index, cell in enumerate(row):
        start = max(starts[index], len(text) + _CELL_GAP) if text else starts[index]
        positions.append(start)
        text = text.ljust(start) + cell
    return text, positions
