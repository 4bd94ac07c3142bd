"""Jobs: create (upload, staged upload, stored document), read, review, restart, cancel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.db import fetch_page
from quarry.core.errors import BadRequest, Conflict, ErrorDetail, NotFound, PayloadTooLarge
from quarry.core.field_values import validate_values
from quarry.core.fields import specs_from_wire
from quarry.core.ids import new_id
from quarry.core.time import utcnow
from quarry.documents import service as documents
from quarry.documents.models import Document
from quarry.events import service as events
from quarry.extraction_schemas import service as schemas
from quarry.extraction_schemas.versions import specs_of
from quarry.jobs import transitions
from quarry.jobs.models import Extraction, Job
from quarry.jobs.schemas import ExtractionOut, job_wire
from quarry.jobs.states import JobStatus
from quarry.queue.defer import defer_job_processing
from quarry.results.order import order_details, order_fields
from quarry.sources import mime
from quarry.sources.netguard import (
    BlockedUrl,
    InvalidUrl,
    address_policy,
    check_url_at_request_time,
)
from quarry.webhooks import outbox

JOB_TYPE = "EXTRACTION"


@dataclass(frozen=True)
class JobFilters:
    status: JobStatus | None = None
    schema_id: str | None = None
    parent_run_id: str | None = None
    external_ref: str | None = None


def new_job(
    *,
    user_id: str,
    schema_id: str,
    schema_version: int,
    source: dict[str, Any],
    document: Document | None = None,
    external_ref: str | None = None,
    callback_url: str | None = None,
    run_id: str | None = None,
    position: int = 0,
) -> Job:
    now = utcnow()
    return Job(
        id=new_id("job"),
        user_id=user_id,
        type=JOB_TYPE,
        status=JobStatus.PENDING,
        schema_id=schema_id,
        schema_version=schema_version,
        parent_run_id=run_id,
        position=position,
        external_ref=external_ref,
        source=source,
        document=document,
        attempts=0,
        callback_url=callback_url,
        created_at=now,
        updated_at=now,
    )


def check_job_type(value: str | None, field: str = "type") -> None:
    """`type` / `jobType` may be left out (the only type, EXTRACTION); another value is 400."""
    if value not in (None, "", JOB_TYPE):
        raise BadRequest(
            f"{field} must be {JOB_TYPE}", details=[ErrorDetail(field, f"must be {JOB_TYPE}")]
        )


def check_callback_url(url: str | None, settings: Settings, field: str = "callbackUrl") -> None:
    if url is None:
        return
    try:
        check_url_at_request_time(url, policy=address_policy(settings))
    except (InvalidUrl, BlockedUrl) as exc:
        raise BadRequest(
            f"{field} is not allowed: {exc}", details=[ErrorDetail(field, str(exc))]
        ) from exc


async def create_standalone(
    session: AsyncSession,
    *,
    user_id: str,
    pinned: tuple[str, int],
    document: Document,
    source: dict[str, Any],
    external_ref: str | None = None,
    callback_url: str | None = None,
) -> Job:
    """A standalone job on a stored document, queued in this transaction."""
    schema_id, version = pinned
    job = new_job(
        user_id=user_id,
        schema_id=schema_id,
        schema_version=version,
        source=source,
        document=document,
        external_ref=external_ref,
        callback_url=callback_url,
    )
    session.add(job)
    await transitions.queue_new(session, [job], None)
    return job


def require_supported(mime_type: str, file_name: str) -> None:
    if not mime.is_supported(mime_type):
        raise BadRequest(
            f"{file_name!r} is {mime_type}, which Quarry cannot extract from",
            code="UNSUPPORTED_FILE_TYPE",
        )


async def get_job(session: AsyncSession, user_id: str, job_id: str) -> Job:
    job = await session.get(Job, job_id)
    if job is None or job.user_id != user_id:
        raise NotFound(f"Job {job_id} not found", code="JOB_NOT_FOUND")
    return job


async def list_jobs(
    session: AsyncSession,
    user_id: str,
    filters: JobFilters,
    *,
    offset: int,
    limit: int,
    run_order: bool = False,
) -> tuple[list[Job], int]:
    query = select(Job).where(Job.user_id == user_id)
    for column, value in (
        (Job.status, filters.status),
        (Job.schema_id, filters.schema_id),
        (Job.parent_run_id, filters.parent_run_id),
        (Job.external_ref, filters.external_ref),
    ):
        if value is not None:
            query = query.where(column == value)
    order = (Job.position,) if run_order else (Job.created_at.desc(), Job.id.desc())
    return await fetch_page(session, query, *order, offset=offset, limit=limit)


async def get_extraction(session: AsyncSession, user_id: str, job_id: str) -> Extraction:
    job = await get_job(session, user_id, job_id)
    extraction = await session.get(Extraction, job.id)
    if job.status is not JobStatus.COMPLETED or extraction is None:
        raise Conflict(
            f"Job {job_id} is {job.status}; its extraction is not ready",
            code="EXTRACTION_NOT_READY",
        )
    return extraction


async def ordered_extraction(session: AsyncSession, extraction: Extraction) -> ExtractionOut:
    """The extraction as the API shows it: fields and details in its schema version's order
    (the jsonb columns they are stored in do not keep key order)."""
    specs = await specs_of(session, extraction.schema_id, extraction.schema_version)
    out = ExtractionOut.model_validate(extraction)
    return out.model_copy(
        update={
            "fields": order_fields(specs, out.fields),
            "field_details": order_details(specs, out.field_details),
        }
    )


async def review_extraction(
    session: AsyncSession, user_id: str, job_id: str, changes: dict[str, Any], *, max_bytes: int
) -> Extraction:
    """Replace the given fields after validating them against the job's pinned schema version.

    The reviewed values are copied into the `job.updated` event and its webhooks, so their
    JSON may hold at most `max_bytes` (MAX_REVIEW_BYTES): 413 `REVIEW_TOO_LARGE` otherwise."""
    _check_review_size(changes, max_bytes)
    extraction = await get_extraction(session, user_id, job_id)
    version = await schemas.get_version(
        session, user_id, extraction.schema_id, extraction.schema_version
    )
    values, errors = validate_values(specs_from_wire(version.fields), changes, partial=True)
    if errors:
        raise BadRequest("Some fields do not match the schema", details=errors)
    now = utcnow()
    extraction.fields = {**extraction.fields, **values}
    extraction.field_details = _reviewed_details(extraction.field_details, values)
    extraction.reviewed, extraction.reviewed_at, extraction.updated_at = True, now, now
    job = await get_job(session, user_id, job_id)
    event = await events.record(
        session,
        user_id=user_id,
        type="job.updated",
        job_id=job.id,
        run_id=job.parent_run_id,
        data={"job": job_wire(job), "extraction": {"fields": extraction.fields}},
    )
    await outbox.fan_out(session, user_id, [event], schema_id=job.schema_id)
    return extraction


def _check_review_size(changes: dict[str, Any], max_bytes: int) -> None:
    size = len(json.dumps(changes, ensure_ascii=False, separators=(",", ":")).encode())
    if size > max_bytes:
        raise PayloadTooLarge(
            f"The reviewed fields hold {size} bytes of JSON; at most {max_bytes} are accepted",
            code="REVIEW_TOO_LARGE",
            details=[ErrorDetail("fields", f"at most {max_bytes} bytes of JSON")],
        )


def _reviewed_details(details: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A value set by a person is certain: confidence 1, no longer tied to a source snippet."""
    kept = {
        path: d for path, d in details.items() if path.split("[")[0].split(".")[0] not in values
    }
    for name, value in values.items():
        detail: dict[str, Any] = {
            "confidence": 1.0,
            "page": None,
            "bbox": None,
            "text": None,
            "grounded": False,
            "reviewed": True,
        }
        if value is None:
            detail["nullReason"] = "NOT_IN_DOCUMENT"
        kept[name] = detail
    return kept


async def restart(session: AsyncSession, user_id: str, job_id: str) -> Job:
    job = await get_job(session, user_id, job_id)
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise Conflict(
            f"Job {job_id} is {job.status}; only FAILED or CANCELLED jobs restart",
            code="JOB_STATE_CONFLICT",
        )
    if job.parent_run_id is not None:
        run = await transitions.lock_run(session, job.parent_run_id)
        if run is not None:
            run.cancel_requested_at = None
    job = await transitions.move(session, job.id, JobStatus.QUEUED)
    await defer_job_processing(session, [job.id])
    return job


async def cancel(session: AsyncSession, user_id: str, job_id: str) -> Job:
    job = await get_job(session, user_id, job_id)
    if job.status.is_terminal:
        raise Conflict(f"Job {job_id} is already {job.status}", code="JOB_STATE_CONFLICT")
    return await transitions.move(session, job.id, JobStatus.CANCELLED)


async def create_from_document(
    session: AsyncSession, user_id: str, document_id: str, schema_id: str
) -> Job:
    document = await documents.get_document(session, user_id, document_id)
    return await create_standalone(
        session,
        user_id=user_id,
        pinned=await pin(session, user_id, schema_id),
        document=document,
        source={"kind": "DOCUMENT"},
    )


async def pin(session: AsyncSession, user_id: str, schema_id: str | None) -> tuple[str, int]:
    """The schema id and its current version, for a new job to keep (404 if not the user's)."""
    if not schema_id:
        raise BadRequest("schemaId is required", details=[ErrorDetail("schemaId", "required")])
    schema, version = await schemas.pin(session, user_id, schema_id)
    return schema.id, version
