"""XLSX → ParsedDocument: one page per sheet (its name in `Page.section`), cells as a table.

Read with openpyxl in read-only mode: cached values, never formulas; dates as ISO dates. The
package is checked first (see `ooxml`), openpyxl parses XML through defusedxml, and at most
`MAX_CELLS` cells are read (the rest is dropped with a warning), so a sheet claiming a
million rows costs no more than a small one.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.flow import Flow
from quarry.parsing.model import Page, ParsedDocument
from quarry.parsing.ooxml import open_package
from quarry.parsing.options import ParseOptions

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_CELLS = 200_000
MAX_EMPTY_ROWS = 100_000


def parse_xlsx(path: Path, options: ParseOptions) -> ParsedDocument:
    open_package(path, "XLSX").close()  # structure and size checks before openpyxl reads it
    from openpyxl import load_workbook  # ~0.2 s to import: only when a sheet comes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except DefusedXmlException:
            raise _bomb() from None
        except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as exc:
            raise JobFailure(JobErrorCode.CORRUPT_DOCUMENT, f"the XLSX is damaged: {exc}") from None
        try:
            pages, truncated = _sheets(book, options.max_pages)
        finally:
            book.close()
    warning = (f"only the first {MAX_CELLS} cells were read",) if truncated else ()
    return ParsedDocument(pages=pages, mime_type=XLSX_MIME, warnings=warning)


def _sheets(book: Any, max_pages: int) -> tuple[tuple[Page, ...], bool]:
    names = list(book.sheetnames)
    if len(names) > max_pages:
        raise JobFailure(
            JobErrorCode.TOO_MANY_PAGES,
            f"the XLSX has {len(names)} sheets; at most {max_pages} are allowed",
        )
    budget = MAX_CELLS
    pages: list[Page] = []
    truncated = False
    for name in names:
        sheet = book[name]
        if not hasattr(sheet, "reset_dimensions"):
            continue  # a chart sheet: no cells
        sheet.reset_dimensions()  # trust the cells, not the claimed size
        rows, used, cut = _rows(_safe_rows(sheet), budget)
        budget -= used
        truncated = truncated or cut
        flow = Flow()
        flow.table(rows)
        pages.append(flow.page(len(pages) + 1, section=name))
    return tuple(pages), truncated


def _safe_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    try:
        yield from sheet.iter_rows(values_only=True)
    except DefusedXmlException:
        raise _bomb() from None
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as exc:
        raise JobFailure(JobErrorCode.CORRUPT_DOCUMENT, f"the XLSX is damaged: {exc}") from None


def _rows(rows: Iterable[tuple[Any, ...]], budget: int) -> tuple[list[list[str]], int, bool]:
    """Rows as text (trailing empty cells dropped), cells used, and whether it was cut."""
    out: list[list[str]] = []
    used = 0
    empty = 0
    for row in rows:
        used += max(len(row), 1)
        if used > budget:
            return out, used, True
        texts = [_text(value) for value in row]
        while texts and not texts[-1]:
            texts.pop()
        empty = 0 if texts else empty + 1
        if empty > MAX_EMPTY_ROWS:
            break
        if texts:
            out.append(texts)
    return out, used, False


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


def _bomb() -> JobFailure:
    return JobFailure(
        JobErrorCode.RESOURCE_LIMIT,
        "the document was refused: its XML declares entities (an entity-expansion bomb?)",
    )
