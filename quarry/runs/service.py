"""Job runs: create from uploads or public URLs, read, list children, cancel, retry failed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.db import fetch_page
from quarry.core.errors import BadRequest, Conflict, ErrorDetail, NotFound
from quarry.core.ids import new_id
from quarry.core.time import utcnow
from quarry.documents import service as documents
from quarry.events import service as events
from quarry.jobs import service as jobs
from quarry.jobs import transitions
from quarry.jobs.models import Job
from quarry.runs.models import ImportBatch, JobRun, RunSource, RunStatus
from quarry.runs.schemas import FromUrlsIn, run_wire
from quarry.sources.netguard import (
    BlockedUrl,
    InvalidUrl,
    address_policy,
    check_url_at_request_time,
)
from quarry.sources.upload import ReceivedForm
from quarry.webhooks import outbox


def new_run(
    user_id: str, pinned: tuple[str, int], source: RunSource, total: int, callback_url: str | None
) -> JobRun:
    now = utcnow()
    return JobRun(
        id=new_id("run"),
        user_id=user_id,
        status=RunStatus.PROCESSING,
        job_type=jobs.JOB_TYPE,
        schema_id=pinned[0],
        schema_version=pinned[1],
        source=source,
        total_jobs=total,
        completed_jobs=0,
        failed_jobs=0,
        cancelled_jobs=0,
        event_seq=0,
        callback_url=callback_url,
        created_at=now,
        updated_at=now,
    )


async def start_run(session: AsyncSession, run: JobRun, children: list[Job]) -> None:
    """Insert the run and its children, write `job_run.created`, queue every child."""
    session.add(run)
    await session.flush()
    event = await events.record(
        session,
        user_id=run.user_id,
        type="job_run.created",
        data={"jobRun": run_wire(run)},
        run_id=run.id,
    )
    await outbox.fan_out(session, run.user_id, [event], schema_id=run.schema_id)
    session.add_all(children)
    await transitions.queue_new(session, children, run)


async def create_from_form(
    session: AsyncSession,
    stored: documents.StoredFiles,
    settings: Settings,
    user_id: str,
    form: ReceivedForm,
) -> JobRun:
    """`POST /api/job-runs` multipart: repeated `files`, `schemaId`, `jobType`, `callbackUrl?`,
    `externalRefs?` (a JSON array, the n-th item for the n-th file). The files are already in
    the blob store (`stored`, written before the transaction)."""
    files = form.files_named("files")
    if not files:
        raise BadRequest(
            "Send at least one file in the form field 'files'",
            details=[ErrorDetail("files", "at least one file is required")],
        )
    jobs.check_job_type(form.value("jobType"), "jobType")
    callback_url = form.value("callbackUrl") or None
    jobs.check_callback_url(callback_url, settings)
    refs = external_refs(form.value("externalRefs"), len(files))
    pinned = await jobs.pin(session, user_id, form.value("schemaId"))
    run = new_run(user_id, pinned, RunSource.UPLOAD, len(files), callback_url)
    children = []
    for position, received in enumerate(files):
        document = await documents.record_file(
            session, user_id=user_id, fetched=received, stored=stored
        )
        children.append(
            jobs.new_job(
                user_id=user_id,
                schema_id=pinned[0],
                schema_version=pinned[1],
                source={"kind": "UPLOAD"},
                document=document,
                external_ref=refs[position],
                run_id=run.id,
                position=position,
            )
        )
    await start_run(session, run, children)
    return run


MAX_EXTERNAL_REF = 500


def external_refs(raw: str | None, count: int) -> list[str | None]:
    """The form's `externalRefs`: a JSON array of strings (≤ 500 characters) or nulls, one per
    file; absent → no references."""
    if raw is None or not raw.strip():
        return [None] * count
    try:
        refs = json.loads(raw)
    except ValueError:
        refs = None
    if not isinstance(refs, list) or len(refs) != count:
        raise BadRequest(
            "externalRefs must be a JSON array with one item per file",
            details=[ErrorDetail("externalRefs", f"a JSON array of {count} items")],
        )
    for index, ref in enumerate(refs):
        if ref is not None and (not isinstance(ref, str) or len(ref) > MAX_EXTERNAL_REF):
            raise BadRequest(
                "Each external reference is a string of at most 500 characters, or null",
                details=[ErrorDetail(f"externalRefs[{index}]", "a string ≤ 500 characters")],
            )
    return refs


async def create_from_urls(
    session: AsyncSession, settings: Settings, user_id: str, body: FromUrlsIn
) -> tuple[JobRun, ImportBatch]:
    if len(body.urls) > settings.max_urls_per_run:
        raise BadRequest(
            f"At most {settings.max_urls_per_run} URLs per run",
            details=[ErrorDetail("urls", f"≤ {settings.max_urls_per_run} items")],
        )
    _check_urls(body, settings)
    jobs.check_callback_url(body.callback_url, settings)
    pinned = await jobs.pin(session, user_id, body.schema_id)
    items = [ImportItem({"kind": "URL", "url": item.url}, item.external_ref) for item in body.urls]
    return await start_import_run(session, user_id, pinned, items, body.callback_url)


@dataclass(frozen=True)
class ImportItem:
    """One file of a run whose files are fetched by their jobs: its source and reference."""

    source: dict[str, Any]
    external_ref: str | None


async def start_import_run(
    session: AsyncSession,
    user_id: str,
    pinned: tuple[str, int],
    items: list[ImportItem],
    callback_url: str | None,
) -> tuple[JobRun, ImportBatch]:
    """A run and its import batch, one queued child job per item, in this transaction."""
    run = new_run(user_id, pinned, _import_source(items), len(items), callback_url)
    batch = ImportBatch(
        id=new_id("imp"),
        user_id=user_id,
        run_id=run.id,
        total_files=len(items),
        fetched_files=0,
        failed_files=0,
    )
    run.import_batch_id = batch.id
    children = [
        jobs.new_job(
            user_id=user_id,
            schema_id=pinned[0],
            schema_version=pinned[1],
            source=item.source,
            external_ref=item.external_ref,
            run_id=run.id,
            position=position,
        )
        for position, item in enumerate(items)
    ]
    session.add(run)
    await session.flush()
    session.add(batch)
    await start_run(session, run, children)
    return run, batch


def _import_source(items: list[ImportItem]) -> RunSource:
    kinds = {item.source["kind"] for item in items}
    if kinds == {"URL"}:
        return RunSource.URLS
    return RunSource.INTEGRATION if kinds == {"INTEGRATION"} else RunSource.MIXED


def _check_urls(body: FromUrlsIn, settings: Settings) -> None:
    details = []
    for index, item in enumerate(body.urls):
        try:
            check_url_at_request_time(item.url, policy=address_policy(settings))
        except (InvalidUrl, BlockedUrl) as exc:
            details.append(ErrorDetail(f"urls[{index}].url", str(exc)))
    if details:
        raise BadRequest("Some URLs cannot be fetched", code="INVALID_URL", details=details)


async def get_run(session: AsyncSession, user_id: str, run_id: str) -> JobRun:
    run = await session.get(JobRun, run_id)
    if run is None or run.user_id != user_id:
        raise NotFound(f"Job run {run_id} not found", code="JOB_RUN_NOT_FOUND")
    return run


async def list_runs(
    session: AsyncSession,
    user_id: str,
    *,
    status: RunStatus | None,
    schema_id: str | None,
    offset: int,
    limit: int,
) -> tuple[list[JobRun], int]:
    query = select(JobRun).where(JobRun.user_id == user_id)
    if status is not None:
        query = query.where(JobRun.status == status)
    if schema_id is not None:
        query = query.where(JobRun.schema_id == schema_id)
    order = (JobRun.created_at.desc(), JobRun.id.desc())
    return await fetch_page(session, query, *order, offset=offset, limit=limit)


async def cancel(session: AsyncSession, user_id: str, run_id: str) -> JobRun:
    await get_run(session, user_id, run_id)
    run = await transitions.lock_run(session, run_id)
    assert run is not None
    if run.status is not RunStatus.PROCESSING:
        raise Conflict(f"Job run {run_id} is already {run.status}", code="JOB_RUN_STATE_CONFLICT")
    run.cancel_requested_at = utcnow()
    await transitions.cancel_children(session, run)
    return run


async def retry_failed(session: AsyncSession, user_id: str, run_id: str) -> JobRun:
    """Re-queue a finished run's FAILED children (fresh attempts); the run processes again and
    sends its final event anew when it settles. A run without failed jobs is left as it is."""
    await get_run(session, user_id, run_id)
    run = await transitions.lock_run(session, run_id)
    assert run is not None
    if run.status is RunStatus.PROCESSING:
        raise Conflict(
            f"Job run {run_id} is still processing; retry its failed jobs once it has finished",
            code="JOB_RUN_STATE_CONFLICT",
        )
    if run.failed_jobs == 0:
        return run
    run.cancel_requested_at = None  # as a restarted job does: the run runs again
    retried = await transitions.requeue_failed(session, run)
    await _uncount_fetch_failures(session, run, retried)
    return run


async def _uncount_fetch_failures(session: AsyncSession, run: JobRun, retried: list[Job]) -> None:
    """Jobs that failed before their file was fetched are fetched again: the import batch
    stops counting them as failed imports."""
    unfetched = [job for job in retried if job.document_id is None]
    if not unfetched or run.import_batch_id is None:
        return
    batch = await session.get(ImportBatch, run.import_batch_id, with_for_update=True)
    if batch is not None:
        batch.failed_files = max(0, batch.failed_files - len(unfetched))


def created_answer(run: JobRun, batch: ImportBatch | None) -> dict[str, Any]:
    return {
        "jobRunId": run.id,
        "importBatchId": batch.id if batch else None,
        "totalFiles": run.total_jobs,
    }
