"""The XLSX result workbook: a "Results" sheet like the CSV, one sheet per line-item field.

Written with openpyxl's write-only mode, so rows are streamed to temporary files instead of
being held in memory. Cells are typed: numbers are numbers, dates are dates (`yyyy-mm-dd`),
booleans are booleans, arrays are JSON text. Text is always text: a value such as `=1+1` is
stored as a string, never as a formula.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from quarry.core.fields import FieldSpec, FieldType
from quarry.results.columns import Column, field_columns, item_tables, text_cell
from quarry.results.records import IDENTITY, ResultRecord

MAIN_SHEET = "Results"
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_MAX = 31


class XlsxBook:
    def __init__(self, specs: Sequence[FieldSpec], path: Path) -> None:
        self._path = path
        self._book = Workbook(write_only=True)
        self._columns = field_columns(specs)
        self._main = self._sheet(MAIN_SHEET, [*IDENTITY, *(c.header for c in self._columns)])
        self._tables = [
            (table, self._sheet(table.field, ["jobId", *(c.header for c in table.columns)]))
            for table in item_tables(specs)
        ]

    def add(self, record: ResultRecord) -> None:
        main = self._main
        identity = [_cell(main, None, value) for value in record.identity()]
        values = [_cell(main, c, c.value(record.fields)) for c in self._columns]
        main.append(identity + values)
        for table, sheet in self._tables:
            for row in table.rows(record.fields):
                cells = [_cell(sheet, c, v) for c, v in zip(table.columns, row, strict=True)]
                sheet.append([_cell(sheet, None, record.job_id), *cells])

    def close(self) -> None:
        self._book.save(self._path)

    def _sheet(self, name: str, headers: list[str]) -> WriteOnlyWorksheet:
        taken = {sheet.title.lower() for sheet in self._book.worksheets}
        sheet: WriteOnlyWorksheet = self._book.create_sheet(_sheet_title(name, taken))
        sheet.append([_cell(sheet, None, header) for header in headers])
        return sheet


def _cell(sheet: WriteOnlyWorksheet, column: Column | None, value: Any) -> Cell:
    cell = WriteOnlyCell(sheet, value=_typed(column, value))
    if isinstance(cell.value, date):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula
    return cell


def _typed(column: Column | None, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list | dict):
        return _text(text_cell(value))
    if column is not None and column.type is FieldType.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return _text(value)
    if isinstance(value, str):
        return _text(value)
    return value


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


def _sheet_title(name: str, taken: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub("_", name)[:_SHEET_NAME_MAX] or "items"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: _SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    return title
