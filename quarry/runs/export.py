"""A run's results as one file: JSON, JSONL, CSV or XLSX, one record per child job.

Records come in submission order (`position`), read in keyset pages of `PAGE_SIZE` rows, each
page in its own short session, so a 10,000-job run is exported without holding it in memory
or keeping a transaction open while a slow client downloads. Fields and field details are put
in the order of the run's pinned schema version (`quarry/results/order.py`); the columns and
writers are those of `quarry extract` (`quarry/results/`).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from sqlalchemy import Row, and_, select, tuple_

from quarry.core.db import Database
from quarry.core.errors import BadRequest, ErrorDetail
from quarry.core.fields import FieldSpec
from quarry.documents.models import Document
from quarry.extraction_schemas.versions import specs_of
from quarry.jobs.models import Extraction, Job
from quarry.jobs.states import JobStatus
from quarry.results.order import SchemaOrder
from quarry.results.records import ResultRecord
from quarry.results.writers import FORMATS, Format, text_format
from quarry.results.xlsx import XlsxBook
from quarry.runs.models import JobRun

PAGE_SIZE = 500
_FILE_CHUNK = 1 << 16


@dataclass(frozen=True)
class ExportRequest:
    format: Format
    statuses: tuple[JobStatus, ...]  # empty: every job

    def file_name(self, run_id: str) -> str:
        return f"run-{run_id}-results.{self.format.name}"


def parse_request(format_name: str, status: str | None) -> ExportRequest:
    """Check `format` and the comma-separated `status` filter (400 VALIDATION_ERROR)."""
    chosen = FORMATS.get(format_name.strip().lower())
    if chosen is None:
        expected = ", ".join(FORMATS)
        raise BadRequest(
            f"format must be one of {expected}",
            details=[ErrorDetail("format", f"one of {expected}")],
        )
    names = [part.strip().upper() for part in (status or "").split(",") if part.strip()]
    unknown = [name for name in names if name not in JobStatus.__members__]
    if unknown:
        allowed = ", ".join(JobStatus)
        raise BadRequest(
            f"Unknown job status {', '.join(unknown)}",
            details=[ErrorDetail("status", f"comma-separated, each one of {allowed}")],
        )
    return ExportRequest(chosen, tuple(dict.fromkeys(JobStatus(name) for name in names)))


async def open_export(
    db: Database, run: JobRun, request: ExportRequest, work: Path
) -> AsyncIterator[bytes]:
    """The export's bytes. An XLSX workbook is written into a temporary file in `work` first
    (unlinked as soon as it is open, so it vanishes once sent or abandoned); the text formats
    are produced page by page as they are sent."""
    async with db.session() as session:
        specs = await specs_of(session, run.schema_id, run.schema_version)
    if request.format.name != "xlsx":
        return _text_chunks(db, run.id, specs, request)
    await asyncio.to_thread(work.mkdir, parents=True, exist_ok=True)
    path = await _xlsx_file(db, run.id, specs, request, work)
    file = await asyncio.to_thread(path.open, "rb")
    await asyncio.to_thread(path.unlink)  # the open handle keeps it readable; nothing to leak
    return _file_chunks(file)


async def record_pages(
    db: Database,
    run_id: str,
    specs: Sequence[FieldSpec],
    statuses: Sequence[JobStatus],
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[list[ResultRecord]]:
    """The run's records in submission order, a page at a time."""
    order = SchemaOrder(specs)
    after: tuple[int, str] = (-1, "")
    while True:
        async with db.session() as session:
            rows = (await session.execute(_page_query(run_id, statuses, after, page_size))).all()
        if not rows:
            return
        yield [_record(order, row) for row in rows]
        after = (rows[-1].position, rows[-1].id)
        if len(rows) < page_size:
            return


def _page_query(
    run_id: str, statuses: Sequence[JobStatus], after: tuple[int, str], limit: int
) -> Any:
    query = (
        select(
            Job.id,
            Job.position,
            Job.external_ref,
            Job.status,
            Job.error_code,
            Job.source,
            Document.file_name,
            Extraction.fields,
            Extraction.field_details,
        )
        .outerjoin(Document, Document.id == Job.document_id)
        .outerjoin(Extraction, and_(Extraction.job_id == Job.id, Job.status == JobStatus.COMPLETED))
        .where(Job.parent_run_id == run_id, tuple_(Job.position, Job.id) > after)
        .order_by(Job.position, Job.id)
        .limit(limit)
    )
    return query.where(Job.status.in_(statuses)) if statuses else query


def _record(order: SchemaOrder, row: Row[Any]) -> ResultRecord:
    return ResultRecord(
        job_id=row.id,
        external_ref=row.external_ref,
        file_name=row.file_name or _source_name(row.source),
        status=str(row.status),
        error_code=row.error_code,
        fields=order.fields(row.fields) if row.fields is not None else None,
        field_details=order.details(row.field_details) if row.field_details is not None else None,
    )


def _source_name(source: dict[str, Any]) -> str | None:
    """The file name a job without a stored document will have: the URL's last segment."""
    url = source.get("url")
    if not isinstance(url, str):
        return None
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name or None


async def _text_chunks(
    db: Database, run_id: str, specs: Sequence[FieldSpec], request: ExportRequest
) -> AsyncIterator[bytes]:
    """The JSON, JSONL or CSV file, a page of records per chunk."""
    text = text_format(request.format.name, specs)
    yield text.begin().encode()
    async for page in record_pages(db, run_id, specs, request.statuses):
        yield "".join(text.record(record) for record in page).encode()
    yield text.end().encode()


async def _xlsx_file(
    db: Database, run_id: str, specs: Sequence[FieldSpec], request: ExportRequest, folder: Path
) -> Path:
    """Write the workbook into a temporary file in `folder` (rows go to disk as they come)."""
    handle, name = tempfile.mkstemp(prefix="export-", suffix=".xlsx", dir=folder)
    os.close(handle)
    path = Path(name)
    try:
        book = XlsxBook(specs, path)
        async for page in record_pages(db, run_id, specs, request.statuses):
            await asyncio.to_thread(_add_all, book, page)
        await asyncio.to_thread(book.close)
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return path


def _add_all(book: XlsxBook, records: list[ResultRecord]) -> None:
    for record in records:
        book.add(record)


async def _file_chunks(file: BinaryIO) -> AsyncIterator[bytes]:
    """An open (already unlinked) file's bytes in chunks."""
    with file:
        while chunk := await asyncio.to_thread(file.read, _FILE_CHUNK):
            yield chunk
