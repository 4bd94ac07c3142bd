"""`/api/job-runs`: batch runs of uploads and public URLs, their children, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from quarry.auth.deps import CurrentUser
from quarry.core.api_model import Page
from quarry.documents.service import StoredFiles
from quarry.http.deps import PagingDep, RuntimeDep, SessionDep
from quarry.http.forms import BINARY, FormSpec
from quarry.http.idempotency import IdempotencyKey, created, created_from_form
from quarry.integrations import imports
from quarry.integrations.schemas import FromSourcesIn
from quarry.jobs import service as jobs
from quarry.jobs.schemas import JobOut
from quarry.jobs.states import JobStatus
from quarry.results.writers import FORMATS
from quarry.runs import export, service
from quarry.runs.models import RunStatus
from quarry.runs.schemas import FromUrlsIn, JobRunOut, RunCreatedOut, run_wire
from quarry.sources.upload import ReceivedForm

router = APIRouter(prefix="/api/job-runs", tags=["job runs"])

RUN_FORM = FormSpec(
    properties={
        "files": {"type": "array", "items": BINARY},
        "schemaId": {"type": "string", "minLength": 1},
        "jobType": {"type": "string", "enum": ["EXTRACTION"], "default": "EXTRACTION"},
        "callbackUrl": {"type": "string", "format": "uri"},
        "externalRefs": {
            "type": "string",
            "description": "JSON array: the n-th item is the n-th file's externalRef (a string "
            "or null); a Quarry extension",
        },
    },
    required=("files", "schemaId"),
)


@router.post(
    "",
    status_code=201,
    response_model=JobRunOut,
    openapi_extra=RUN_FORM.openapi(),
    responses={413: {"description": "a file larger than MAX_FILE_SIZE"}},
)
async def create_run(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create(form: ReceivedForm, stored: StoredFiles) -> dict[str, Any]:
        run = await service.create_from_form(
            session, stored, runtime.settings, principal.user_id, form
        )
        return run_wire(run)

    return await created_from_form(
        request,
        session,
        runtime.settings,
        runtime.blobs,
        user_id=principal.user_id,
        key=idempotency_key,
        route="POST /api/job-runs",
        spec=RUN_FORM,
        max_files=runtime.settings.max_files_per_run,
        create=create,
    )


@router.post("/from-urls", status_code=201, response_model=RunCreatedOut)
async def from_urls(
    body: FromUrlsIn,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> dict[str, Any]:
        run, batch = await service.create_from_urls(
            session, runtime.settings, principal.user_id, body
        )
        return service.created_answer(run, batch)

    return await created(
        session,
        user_id=principal.user_id,
        key=idempotency_key,
        route="POST /api/job-runs/from-urls",
        payload=body.model_dump(mode="json"),
        create=create,
    )


@router.post("/from-sources", status_code=201, response_model=RunCreatedOut)
async def from_sources(
    body: FromSourcesIn,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Files of a connected integration (`fileIds`, or every file of `folderId`)."""

    async def create() -> dict[str, Any]:
        run, batch = await imports.create_from_sources(session, runtime, principal.user_id, body)
        return service.created_answer(run, batch)

    return await created(
        session,
        user_id=principal.user_id,
        key=idempotency_key,
        route="POST /api/job-runs/from-sources",
        payload=body.model_dump(mode="json"),
        create=create,
    )


@router.get("", response_model=Page[JobRunOut])
async def list_runs(
    principal: CurrentUser,
    session: SessionDep,
    paging: PagingDep,
    status: RunStatus | None = None,
    schema_id: Annotated[str | None, Query(alias="schemaId")] = None,
) -> Page[JobRunOut]:
    runs, total = await service.list_runs(
        session,
        principal.user_id,
        status=status,
        schema_id=schema_id,
        offset=paging.offset,
        limit=paging.limit,
    )
    items = [JobRunOut.model_validate(run) for run in runs]
    return Page[JobRunOut].of(items, page=paging.page, limit=paging.limit, total=total)


@router.get("/{run_id}", response_model=JobRunOut)
async def get_run(run_id: str, principal: CurrentUser, session: SessionDep) -> JobRunOut:
    return JobRunOut.model_validate(await service.get_run(session, principal.user_id, run_id))


@router.get("/{run_id}/jobs", response_model=Page[JobOut])
async def run_jobs(
    run_id: str,
    principal: CurrentUser,
    session: SessionDep,
    paging: PagingDep,
    status: JobStatus | None = None,
) -> Page[JobOut]:
    await service.get_run(session, principal.user_id, run_id)
    filters = jobs.JobFilters(status=status, parent_run_id=run_id)
    children, total = await jobs.list_jobs(
        session,
        principal.user_id,
        filters,
        offset=paging.offset,
        limit=paging.limit,
        run_order=True,
    )
    items = [JobOut.model_validate(job) for job in children]
    return Page[JobOut].of(items, page=paging.page, limit=paging.limit, total=total)


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One record per child job in submission order; a file download "
        '(`Content-Disposition: attachment; filename="run-<id>-results.<ext>"`)',
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
            FORMATS["xlsx"].media_type: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    400: {"description": "VALIDATION_ERROR: unknown format or status"},
    404: {"description": "JOB_RUN_NOT_FOUND"},
}


@router.get("/{run_id}/results", response_class=StreamingResponse, responses=EXPORT_RESPONSES)
async def export_results(
    run_id: str,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    *,
    format_name: Annotated[
        str, Query(alias="format", description="json (default), jsonl, csv or xlsx")
    ] = "json",
    status: Annotated[
        str | None, Query(description="only jobs in these statuses, comma-separated")
    ] = None,
) -> StreamingResponse:
    """The run's results as one file, streamed: identity columns, then the schema's fields."""
    run = await service.get_run(session, principal.user_id, run_id)
    request = export.parse_request(format_name, status)
    work = runtime.settings.data_dir / "tmp"
    return StreamingResponse(
        await export.open_export(runtime.db, run, request, work),
        media_type=request.format.media_type,
        headers={"Content-Disposition": f'attachment; filename="{request.file_name(run.id)}"'},
    )


@router.post(
    "/{run_id}/retry-failed",
    response_model=JobRunOut,
    responses={409: {"description": "JOB_RUN_STATE_CONFLICT: the run is still processing"}},
)
async def retry_failed(run_id: str, principal: CurrentUser, session: SessionDep) -> JobRunOut:
    """Queue the run's FAILED jobs again, with fresh attempts; the run processes again."""
    return JobRunOut.model_validate(await service.retry_failed(session, principal.user_id, run_id))


@router.post("/{run_id}/cancel", response_model=JobRunOut)
async def cancel_run(run_id: str, principal: CurrentUser, session: SessionDep) -> JobRunOut:
    return JobRunOut.model_validate(await service.cancel(session, principal.user_id, run_id))
