"""Runs whose files come from connected storage (`from-sources`) or from a mix of URLs and
integrations (`/integrations/trigger`), and the import batch that tracks their fetching.

Everything that can be checked when the request arrives is checked then (the integration is
the caller's, file ids and URLs are well-formed, the item count is within MAX_URLS_PER_RUN); one
bad item rejects the request with 400 and its index in `details`. The run, its import batch and
every child job are created in the request's transaction; each job fetches its own file, so a
missing, forbidden or oversized file fails that job alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.errors import BadRequest, ErrorDetail, NotFound
from quarry.integrations import providers, service
from quarry.integrations.models import Integration
from quarry.integrations.schemas import FromSourcesIn, SourceFileIn, TriggerFileIn, TriggerIn
from quarry.jobs import service as jobs
from quarry.jobs.models import Job
from quarry.jobs.states import JobStatus
from quarry.runs import service as runs
from quarry.runs.models import ImportBatch, JobRun
from quarry.runs.service import ImportItem
from quarry.sources.connectors import TooManyFiles, walk_files
from quarry.sources.netguard import (
    AddressPolicy,
    BlockedUrl,
    InvalidUrl,
    address_policy,
    check_url_at_request_time,
)

if TYPE_CHECKING:
    from quarry.runtime import Runtime

INVALID = "INVALID_SOURCE"


async def create_from_sources(
    session: AsyncSession, runtime: Runtime, user_id: str, body: FromSourcesIn
) -> tuple[JobRun, ImportBatch]:
    """`POST /api/job-runs/from-sources`: listed `fileIds`, or every file of `folderId`."""
    if (body.file_ids is None) == (body.folder_id is None):
        detail = ErrorDetail("fileIds", "give either fileIds or folderId")
        raise BadRequest("Give either fileIds or folderId", details=[detail])
    integration = await service.get(session, user_id, body.integration_id)
    limit = runtime.settings.max_urls_per_run
    listed = _listed(integration, body.file_ids, limit) if body.file_ids is not None else None
    jobs.check_callback_url(body.callback_url, runtime.settings)
    pinned = await jobs.pin(session, user_id, body.schema_id)
    if listed is None:
        listed = await _folder(runtime, integration, body.folder_id or None, body.recursive)
    return await runs.start_import_run(session, user_id, pinned, listed, body.callback_url)


def _listed(
    integration: Integration, file_ids: list[str | SourceFileIn], limit: int
) -> list[ImportItem]:
    _check_count(len(file_ids), limit, "fileIds")
    items, details = [], []
    for index, entry in enumerate(file_ids):
        item = (
            entry
            if isinstance(entry, SourceFileIn)
            else SourceFileIn.model_validate({"fileId": entry})
        )
        problem = providers.file_id_problem(integration.provider, integration.config, item.file_id)
        if problem:
            details.append(ErrorDetail(f"fileIds[{index}]", problem))
        items.append(ImportItem(_source(integration.id, item.file_id), item.external_ref))
    if details:
        raise BadRequest("Some files cannot be imported", code=INVALID, details=details)
    return items


async def _folder(
    runtime: Runtime, integration: Integration, folder_id: str | None, recursive: bool
) -> list[ImportItem]:
    limit = runtime.settings.max_urls_per_run
    try:
        async with service.request_errors(), service.connected(runtime, integration) as connector:
            files = await walk_files(connector, folder_id, recursive=recursive, limit=limit)
    except TooManyFiles:
        detail = ErrorDetail("folderId", f"more than {limit} files")
        raise BadRequest(f"The folder holds more than {limit} files", details=[detail]) from None
    if not files:
        detail = ErrorDetail("folderId", "no files")
        raise BadRequest("The folder holds no files", details=[detail])
    return [ImportItem(_source(integration.id, entry.file_id), None) for entry in files]


async def create_from_trigger(
    session: AsyncSession, runtime: Runtime, user_id: str, body: TriggerIn
) -> tuple[JobRun, ImportBatch]:
    """`POST /api/integrations/trigger`: public URLs and integration files in one run."""
    _check_count(len(body.files), runtime.settings.max_urls_per_run, "files")
    ids = {f.integration_id for f in body.files if f.integration_id}
    integrations = await service.owned(session, user_id, ids)
    items, details = [], []
    for index, entry in enumerate(body.files):
        item, problems = _trigger_item(entry, index, integrations, address_policy(runtime.settings))
        items.append(item)
        details += problems
    if details:
        raise BadRequest("Some files cannot be imported", code=INVALID, details=details)
    jobs.check_callback_url(body.callback_url, runtime.settings)
    pinned = await jobs.pin(session, user_id, body.schema_id)
    return await runs.start_import_run(session, user_id, pinned, items, body.callback_url)


def _trigger_item(
    entry: TriggerFileIn,
    index: int,
    integrations: dict[str, Integration],
    policy: AddressPolicy,
) -> tuple[ImportItem, list[ErrorDetail]]:
    where = f"files[{index}]"
    if entry.url is not None and entry.integration_id is None and entry.file_id is None:
        try:
            check_url_at_request_time(entry.url, policy=policy)
        except (InvalidUrl, BlockedUrl) as exc:
            return _none(), [ErrorDetail(f"{where}.url", str(exc))]
        return ImportItem({"kind": "URL", "url": entry.url}, entry.external_ref), []
    if entry.url is not None or not entry.integration_id or not entry.file_id:
        return _none(), [ErrorDetail(where, "give either url, or integrationId and fileId")]
    integration = integrations.get(entry.integration_id)
    if integration is None:
        message = f"integration {entry.integration_id} not found"
        return _none(), [ErrorDetail(f"{where}.integrationId", message)]
    problem = providers.file_id_problem(integration.provider, integration.config, entry.file_id)
    if problem:
        return _none(), [ErrorDetail(f"{where}.fileId", problem)]
    return ImportItem(_source(integration.id, entry.file_id), entry.external_ref), []


def _none() -> ImportItem:
    return ImportItem({}, None)


def _source(integration_id: str, file_id: str) -> dict[str, Any]:
    return {"kind": "INTEGRATION", "integrationId": integration_id, "fileId": file_id}


def _check_count(count: int, limit: int, field: str) -> None:
    if count > limit:
        raise BadRequest(
            f"At most {limit} files per run", details=[ErrorDetail(field, f"≤ {limit} items")]
        )


async def get_batch(session: AsyncSession, user_id: str, batch_id: str) -> dict[str, Any]:
    """An import batch with counts derived from its run's jobs (exact, restarts included)."""
    batch = await session.get(ImportBatch, batch_id)
    if batch is None or batch.user_id != user_id:
        raise NotFound(f"Import batch {batch_id} not found", code="IMPORT_BATCH_NOT_FOUND")
    unfetched = Job.document_id.is_(None)
    active = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING)
    counts = (
        await session.execute(
            select(
                func.count().filter(Job.document_id.is_not(None)),
                func.count().filter(unfetched, Job.status == JobStatus.FAILED),
                func.count().filter(unfetched, Job.status.in_(active)),
                func.count().filter(unfetched, Job.status == JobStatus.CANCELLED),
            ).where(Job.parent_run_id == batch.run_id)
        )
    ).one()
    return {
        "id": batch.id,
        "job_run_id": batch.run_id,
        "total_files": batch.total_files,
        "fetched_files": counts[0],
        "failed_files": counts[1],
        "pending_files": counts[2],
        "cancelled_files": counts[3],
        "created_at": batch.created_at,
        "updated_at": batch.updated_at,
    }
