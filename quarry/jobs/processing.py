"""What a worker does with one job: start an attempt, get the document, extract, finish.

Each step that changes state runs in its own short transaction through `transitions`, fenced
by the attempt number: a worker whose attempt was superseded (the job was cancelled, or
re-run after this worker was presumed dead) cannot overwrite the newer state.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.core.time import utcnow
from quarry.documents import service as documents
from quarry.documents.models import Document
from quarry.engines.base import ExtractionResult
from quarry.engines.llm import engine_options
from quarry.engines.runner import ExtractionCancelled, IsolationLimits, extract_isolated
from quarry.extraction_schemas import service as schemas
from quarry.extraction_schemas.models import ExtractionSchema
from quarry.integrations.fetching import fetch_source
from quarry.jobs import transitions
from quarry.jobs.models import Extraction, Job
from quarry.jobs.states import JobStatus
from quarry.parsing.options import OcrOptions
from quarry.queue.defer import defer_job_processing
from quarry.runs.models import ImportBatch, JobRun
from quarry.sources import mime
from quarry.sources.netguard import address_policy
from quarry.sources.url import fetch_url

if TYPE_CHECKING:
    from quarry.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    job_id: str
    user_id: str
    number: int
    fields: list[dict[str, Any]]
    engine: str
    source: dict[str, Any]
    document_id: str | None


async def process_job(runtime: Runtime, job_id: str) -> None:
    attempt = await _begin(runtime, job_id)
    if attempt is None:
        return
    try:
        document = await _document(runtime, attempt)
        result = await _extract(runtime, attempt, document)
    except ExtractionCancelled:
        log.info("job %s: attempt %d stopped (cancelled or superseded)", job_id, attempt.number)
        return
    except JobFailure as failure:
        await _fail_or_retry(runtime, attempt, failure)
        return
    except Exception:
        log.exception("job %s: unexpected error", job_id)
        unexpected = JobFailure(JobErrorCode.INTERNAL_ERROR, "unexpected error", transient=True)
        await _fail_or_retry(runtime, attempt, unexpected)
        return
    await _finish(runtime, attempt, document, result)


async def _begin(runtime: Runtime, job_id: str) -> Attempt | None:
    async with runtime.db.transaction() as session:
        job = await session.get(Job, job_id)
        if job is None or job.status not in (JobStatus.QUEUED, JobStatus.PROCESSING):
            return None
        if job.status is JobStatus.PROCESSING and job.attempts >= runtime.settings.job_max_attempts:
            message = f"the worker processing this job stopped {job.attempts} times"
            await transitions.move(
                session,
                job_id,
                JobStatus.FAILED,
                failure=transitions.Failure("INTERNAL_ERROR", message),
            )
            await _count_fetch_failure(session, job)
            return None
        try:
            job = await transitions.move(
                session, job_id, JobStatus.PROCESSING, event_extra={"worker": _worker_name()}
            )
        except transitions.IllegalTransition:  # cancelled since it was read: nothing to do
            log.info("job %s: not started, it was cancelled or finished meanwhile", job_id)
            return None
        version = await schemas.get_version(session, job.user_id, job.schema_id, job.schema_version)
        engine = await session.scalar(
            select(ExtractionSchema.engine).where(ExtractionSchema.id == job.schema_id)
        )
        return Attempt(
            job.id,
            job.user_id,
            job.attempts,
            list(version.fields),
            engine or runtime.settings.extraction_engine,
            dict(job.source),
            job.document_id,
        )


def _worker_name() -> str:
    """Which process took the attempt (host:pid), recorded on the `job.started` event."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def _document(runtime: Runtime, attempt: Attempt) -> Document:
    if attempt.document_id is not None:
        async with runtime.db.session() as session:
            document = await session.get(Document, attempt.document_id)
            assert document is not None
            return document
    if attempt.source.get("kind") not in ("URL", "INTEGRATION"):
        raise JobFailure(JobErrorCode.INTERNAL_ERROR, "the job has no document to process")
    return await _fetch(runtime, attempt)


async def _fetch(runtime: Runtime, attempt: Attempt) -> Document:
    settings = runtime.settings
    work = settings.data_dir / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as folder:
        if attempt.source.get("kind") == "INTEGRATION":
            fetched = await fetch_source(runtime, attempt.user_id, attempt.source, Path(folder))
        else:
            fetched = await fetch_url(
                str(attempt.source["url"]),
                Path(folder),
                max_size=settings.max_file_size,
                policy=address_policy(settings),
                connect_timeout=settings.url_connect_timeout_seconds,
                read_timeout=settings.url_read_timeout_seconds,
                max_redirects=settings.url_max_redirects,
            )
        stored = await documents.put_files(runtime.blobs, [fetched])  # before the transaction
        async with runtime.db.transaction() as session:
            job = await _current(session, attempt)
            document = await documents.record_file(
                session, user_id=attempt.user_id, fetched=fetched, stored=stored
            )
            job.document = document
            await _count_fetched(session, job)
            return document


async def _current(session: AsyncSession, attempt: Attempt) -> Job:
    """The job, locked, if this attempt is still the current one; else stop the attempt."""
    job = await transitions.lock_job(session, attempt.job_id)
    if job is None or job.status is not JobStatus.PROCESSING or job.attempts != attempt.number:
        raise ExtractionCancelled()
    return job


async def _extract(runtime: Runtime, attempt: Attempt, document: Document) -> ExtractionResult:
    settings = runtime.settings
    limits = IsolationLimits(
        timeout_seconds=settings.extraction_timeout_seconds,
        memory_mb=settings.extraction_memory_mb,
        max_pages=settings.max_pages,
        ocr=OcrOptions.from_settings(settings),
    )

    async def superseded() -> bool:
        async with runtime.db.session() as session:
            row = (
                await session.execute(
                    select(Job.status, Job.attempts).where(Job.id == attempt.job_id)
                )
            ).one_or_none()
        return row is None or row[0] is not JobStatus.PROCESSING or row[1] != attempt.number

    mime.check_declared_type(document.file_name, document.mime_type)
    options = engine_options(settings, attempt.engine)  # ENGINE_ERROR when not configured
    async with runtime.blobs.local_path(document.storage_key) as path:
        return await extract_isolated(
            path,
            mime_type=document.mime_type,
            file_name=document.file_name,
            fields=attempt.fields,
            engine=attempt.engine,
            limits=limits,
            should_stop=superseded,
            options=options,
        )


async def _finish(
    runtime: Runtime, attempt: Attempt, document: Document, result: ExtractionResult
) -> None:
    try:
        async with runtime.db.transaction() as session:
            await _current(session, attempt)
            await _save_extraction(session, attempt, result)
            stored = await session.get(Document, document.id)
            if stored is not None and result.pages is not None:
                stored.pages = result.pages
            if stored is not None and result.rotations:
                stored.page_rotations = _turns(result.rotations)
            await transitions.move(
                session,
                attempt.job_id,
                JobStatus.COMPLETED,
                attempt=attempt.number,
                event_extra={"extraction": {"fields": result.fields}},
            )
    except ExtractionCancelled:
        log.info(
            "job %s: result of attempt %d discarded (cancelled)", attempt.job_id, attempt.number
        )


def _turns(rotations: tuple[int, ...]) -> list[int] | None:
    """Each page's OCR quarter turn, or None when no page was turned."""
    return list(rotations) if any(rotations) else None


async def _save_extraction(
    session: AsyncSession, attempt: Attempt, result: ExtractionResult
) -> None:
    job = await session.get(Job, attempt.job_id)
    assert job is not None
    now = utcnow()
    extraction = await session.get(Extraction, attempt.job_id)
    if extraction is None:
        extraction = Extraction(job_id=job.id, user_id=job.user_id, created_at=now)
        session.add(extraction)
    extraction.schema_id, extraction.schema_version = job.schema_id, job.schema_version
    extraction.fields, extraction.field_details = result.fields, result.field_details
    extraction.engine, extraction.usage = result.engine, result.usage
    job.usage = result.usage
    extraction.reviewed, extraction.reviewed_at = False, None
    extraction.updated_at = now


async def _fail_or_retry(runtime: Runtime, attempt: Attempt, failure: JobFailure) -> None:
    settings = runtime.settings
    retry = failure.transient and attempt.number < settings.job_max_attempts
    try:
        async with runtime.db.transaction() as session:
            job = await _current(session, attempt)
            if retry:
                await transitions.move(session, job.id, JobStatus.QUEUED, attempt=attempt.number)
                delay = settings.job_retry_base_seconds * 2 ** (attempt.number - 1)
                await defer_job_processing(
                    session, [job.id], scheduled_at=utcnow() + timedelta(seconds=delay)
                )
                return
            await transitions.move(
                session,
                job.id,
                JobStatus.FAILED,
                attempt=attempt.number,
                failure=transitions.Failure(failure.code, failure.message),
            )
            await _count_fetch_failure(session, job)
    except ExtractionCancelled:
        log.info(
            "job %s: failure of attempt %d discarded (cancelled)", attempt.job_id, attempt.number
        )


async def _import_batch(session: AsyncSession, job: Job) -> ImportBatch | None:
    if job.parent_run_id is None:
        return None
    batch_id = await session.scalar(
        select(JobRun.import_batch_id).where(JobRun.id == job.parent_run_id)
    )
    if batch_id is None:
        return None
    return await session.get(ImportBatch, batch_id, with_for_update=True)


async def _count_fetched(session: AsyncSession, job: Job) -> None:
    batch = await _import_batch(session, job)
    if batch is not None:
        batch.fetched_files += 1


async def _count_fetch_failure(session: AsyncSession, job: Job) -> None:
    """A job that failed before its file was fetched counts as a failed import."""
    if job.document_id is None and job.source.get("kind") in ("URL", "INTEGRATION"):
        batch = await _import_batch(session, job)
        if batch is not None:
            batch.failed_files += 1
