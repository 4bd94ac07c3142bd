"""Arrays of objects (line items) from tables: heading → property, one object per row.

Tables come from the parser (`Page.tables`, with cell boxes where the source has geometry)
or, when the parser found none with recognisable headings, from the layout
(`table_layout`). Each property takes the column its name means (`columns`); a cell is read as
the property's type (an amount, a quantity, text). Rows where no property got a value are
dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.offline.columns import Column, property_columns
from quarry.engines.offline.context import DocumentContext
from quarry.engines.offline.readers import Hints, read_money, read_number, read_text
from quarry.engines.offline.table_layout import LayoutRow, find_tables, heading_lines_of
from quarry.parsing.model import BBox, ParsedDocument, Table, Word

LAYOUT_CONFIDENCE = 0.7
PARSED_CONFIDENCE = 0.8
_SUMMARY_ROLES = ("subtotal", "tax", "rounding", "discount")
_END_ROLES = ("total", "tendered", "change")


@dataclass(frozen=True)
class CellValue:
    value: Any
    words: tuple[Word, ...]
    page: int
    confidence: float


@dataclass(frozen=True)
class Row:
    cells: dict[str, CellValue]
    confidence: float

    def get(self, name: str) -> CellValue | None:
        return self.cells.get(name)


def extract_rows(
    document: ParsedDocument, ctx: DocumentContext, properties: Sequence[FieldSpec]
) -> list[Row]:
    columns = property_columns(tuple(properties))
    if not columns:
        return []
    specs = {p.name: p for p in properties}
    rows = list(_from_parsed(document, columns, specs, ctx.hints))
    if rows:
        return rows
    summary = _lines_starting_with(ctx, _SUMMARY_ROLES)
    ends = _lines_starting_with(ctx, _END_ROLES)
    found = []
    for table in find_tables(ctx.index, summary, ends):
        for layout_row in table:
            lines = _description_lines(layout_row)
            row = _row(
                layout_row.cells,
                layout_row.page,
                columns=columns,
                specs=specs,
                hints=ctx.hints,
                lines=lines,
            )
            if row is not None:
                found.append(row)
    return found


def _lines_starting_with(ctx: DocumentContext, roles: Sequence[str]) -> frozenset[int]:
    return frozenset(
        h.line.number
        for key in roles
        for h in ctx.hits_of_role(key)
        if h.first_word == 0 and h.segment == 0
    )


def _description_lines(row: LayoutRow) -> str | None:
    words = row.cells.get(Column.DESCRIPTION) or []
    if not words:
        return None
    cuts = [0, *row.breaks, len(words)]
    parts = [" ".join(w.text for w in words[a:b]) for a, b in itertools.pairwise(cuts)]
    return "\n".join(p for p in parts if p)


def _row(
    cells: dict[Column, list[Word]],
    page: int,
    *,
    columns: dict[str, Column],
    specs: dict[str, FieldSpec],
    hints: Hints,
    confidence: float = LAYOUT_CONFIDENCE,
    lines: str | None = None,
) -> Row | None:
    """One object; `lines` is the description's text with its line breaks, when known."""
    values: dict[str, CellValue] = {}
    for name, column in columns.items():
        words = cells.get(column) or []
        reading = _read(specs[name], column, words, hints)
        if reading is not None:
            value, used = reading
            if column is Column.DESCRIPTION and lines and specs[name].type is FieldType.TEXT:
                value = lines
            values[name] = CellValue(value, used, page, confidence)
    return Row(values, confidence) if values else None


def _read(
    spec: FieldSpec, column: Column, words: Sequence[Word], hints: Hints
) -> tuple[Any, tuple[Word, ...]] | None:
    if not words:
        return None
    if spec.type is FieldType.NUMBER:
        reader = read_number if column is Column.QUANTITY else read_money
        reading = reader([words], hints)
    else:
        reading = read_text([words], hints)
    if reading is None:
        return None
    value = reading.value
    if spec.type is FieldType.TEXT and not isinstance(value, str):
        value = str(value)
    return value, reading.words


# --- tables the parser recognised -----------------------------------------------------------


def _from_parsed(
    document: ParsedDocument,
    columns: dict[str, Column],
    specs: dict[str, FieldSpec],
    hints: Hints,
) -> Iterator[Row]:
    for page in document.pages:
        for table in page.tables:
            layout = _parsed_columns(table)
            if not layout:
                continue
            for cells in table.rows[max(table.header_rows, 1) :]:
                by_column = {
                    column: _cell_words(cells[i].text, cells[i].bbox or table.bbox)
                    for i, column in layout.items()
                    if i < len(cells) and cells[i].text.strip()
                }
                text = next(
                    (
                        cells[i].text
                        for i, c in layout.items()
                        if c is Column.DESCRIPTION and i < len(cells)
                    ),
                    None,
                )
                row = _row(
                    by_column,
                    page.number,
                    columns=columns,
                    specs=specs,
                    hints=hints,
                    confidence=PARSED_CONFIDENCE,
                    lines=text,
                )
                if row is not None and _is_item(row, columns, set(layout.values())):
                    yield row


def _is_item(row: Row, columns: dict[str, Column], present: set[Column]) -> bool:
    """A row with an amount (or, in a table without amounts, any number)."""
    taken = {n: c for n, c in columns.items() if c in present}
    amounts = [n for n, c in taken.items() if c is Column.AMOUNT]
    wanted = amounts or [n for n, c in taken.items() if c.numeric]
    return any(row.get(n) is not None for n in wanted) if wanted else True


def _parsed_columns(table: Table) -> dict[int, Column]:
    """Column index → meaning, from the table's heading row (or its first row)."""
    if not table.rows:
        return {}
    header = table.header or tuple(cell.text for cell in table.rows[0])
    return heading_lines_of(header)


def _cell_words(text: str, bbox: BBox | None) -> list[Word]:
    box = bbox or (0.0, 0.0, 0.0, 0.0)
    return [Word(part, box) for part in text.split()]


__all__ = ["CellValue", "LayoutRow", "Row", "extract_rows"]
