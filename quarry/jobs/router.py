"""`/api/jobs`: standalone jobs, their extraction, review, restart and cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from quarry.auth.deps import CurrentUser
from quarry.core.api_model import Page
from quarry.documents.service import StoredFiles
from quarry.http.deps import PagingDep, RuntimeDep, SessionDep, SettingsDep
from quarry.http.forms import BINARY, FormSpec
from quarry.http.idempotency import IdempotencyKey, created, created_from_form
from quarry.jobs import service, uploads
from quarry.jobs.schemas import (
    ConfirmUploadIn,
    ExtractionOut,
    ExtractionPatchIn,
    JobFromDocumentIn,
    JobOut,
    UploadUrlIn,
    UploadUrlOut,
    job_wire,
)
from quarry.jobs.states import JobStatus
from quarry.sources.fetched import safe_file_name
from quarry.sources.upload import ReceivedForm

router = APIRouter(prefix="/api", tags=["jobs"])

JOB_FORM = FormSpec(
    properties={
        "file": BINARY,
        "type": {"type": "string", "enum": ["EXTRACTION"], "default": "EXTRACTION"},
        "schemaId": {"type": "string", "minLength": 1},
        "externalRef": {"type": "string", "maxLength": 500},
        "callbackUrl": {"type": "string", "format": "uri"},
    },
    required=("file", "schemaId"),
)


@router.post(
    "/jobs",
    status_code=201,
    response_model=JobOut,
    openapi_extra=JOB_FORM.openapi(),
    responses={413: {"description": "file larger than MAX_FILE_SIZE"}},
)
async def create_job(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create(form: ReceivedForm, stored: StoredFiles) -> dict[str, Any]:
        job = await uploads.create_from_form(
            session, stored, runtime.settings, principal.user_id, form
        )
        return job_wire(job)

    return await created_from_form(
        request,
        session,
        runtime.settings,
        runtime.blobs,
        user_id=principal.user_id,
        key=idempotency_key,
        route="POST /api/jobs",
        spec=JOB_FORM,
        max_files=1,
        create=create,
    )


@router.post("/jobs/upload-url", status_code=201, response_model=UploadUrlOut)
async def upload_url(
    body: UploadUrlIn,
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
) -> UploadUrlOut:
    """A URL to PUT a file to; 409 `UPLOAD_LIMIT_REACHED` past MAX_PENDING_UPLOADS_PER_USER."""
    ticket = await uploads.issue_ticket(
        session, runtime.settings, principal.user_id, safe_file_name(body.filename, "upload")
    )
    staged = uploads.staging_key(principal.user_id, ticket.key)
    url = await runtime.blobs.staged_put_url(staged, content_type=body.content_type)
    if url is None:
        url = str(
            request.url_for("put_upload", key=ticket.key).include_query_params(
                u=principal.user_id,
                expires=int(ticket.expires_at.timestamp()),
                signature=ticket.signature,
            )
        )
    return UploadUrlOut(upload_url=url, key=ticket.key, expires_at=ticket.expires_at)


PUT_UPLOAD = {
    "security": [],
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
}


@router.put(
    "/uploads/{key}",
    status_code=204,
    name="put_upload",
    openapi_extra=PUT_UPLOAD,
    responses={403: {"description": "UPLOAD_URL_EXPIRED, UPLOAD_URL_INVALID"}},
)
async def put_upload(
    key: Annotated[str, Path(pattern=uploads.UPLOAD_KEY_PATTERN)],
    request: Request,
    runtime: RuntimeDep,
    *,
    u: Annotated[str, Query()],
    expires: Annotated[int, Query(ge=0, le=2**40)],
    signature: Annotated[str, Query()],
) -> Response:
    uploads.check_ticket(runtime.settings, u, key, expires, signature)
    await uploads.receive_staged(runtime.blobs, runtime.settings, u, key, request.stream())
    return Response(status_code=204)


@router.post("/jobs/confirm-upload", status_code=201, response_model=JobOut)
async def confirm_upload(
    body: ConfirmUploadIn,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> dict[str, Any]:
        job = await uploads.confirm(
            session,
            runtime.blobs,
            runtime.settings,
            principal.user_id,
            key=body.key,
            file_name=body.filename,
            schema_id=body.schema_id,
            external_ref=body.external_ref,
            callback_url=body.callback_url,
        )
        return job_wire(job)

    return await created(
        session,
        user_id=principal.user_id,
        key=idempotency_key,
        route="POST /api/jobs/confirm-upload",
        payload=body.model_dump(mode="json"),
        create=create,
    )


@router.post("/jobs/from-document/{document_id}", status_code=201, response_model=JobOut)
async def from_document(
    document_id: str,
    body: JobFromDocumentIn,
    principal: CurrentUser,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> dict[str, Any]:
        job = await service.create_from_document(
            session, principal.user_id, document_id, body.schema_id
        )
        return job_wire(job)

    return await created(
        session,
        user_id=principal.user_id,
        key=idempotency_key,
        route=f"POST /api/jobs/from-document/{document_id}",
        payload=body.model_dump(mode="json"),
        create=create,
    )


@router.get("/jobs", response_model=Page[JobOut])
async def list_jobs(
    principal: CurrentUser,
    session: SessionDep,
    paging: PagingDep,
    *,
    status: JobStatus | None = None,
    schema_id: Annotated[str | None, Query(alias="schemaId")] = None,
    parent_run_id: Annotated[str | None, Query(alias="parentRunId")] = None,
    external_ref: Annotated[str | None, Query(alias="externalRef")] = None,
) -> Page[JobOut]:
    filters = service.JobFilters(status, schema_id, parent_run_id, external_ref)
    jobs, total = await service.list_jobs(
        session, principal.user_id, filters, offset=paging.offset, limit=paging.limit
    )
    items = [JobOut.model_validate(job) for job in jobs]
    return Page[JobOut].of(items, page=paging.page, limit=paging.limit, total=total)


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(job_id: str, principal: CurrentUser, session: SessionDep) -> JobOut:
    return JobOut.model_validate(await service.get_job(session, principal.user_id, job_id))


@router.get(
    "/jobs/{job_id}/extraction",
    response_model=ExtractionOut,
    responses={409: {"description": "EXTRACTION_NOT_READY"}},
)
async def get_extraction(job_id: str, principal: CurrentUser, session: SessionDep) -> ExtractionOut:
    extraction = await service.get_extraction(session, principal.user_id, job_id)
    return await service.ordered_extraction(session, extraction)


@router.patch(
    "/jobs/{job_id}/extraction",
    response_model=ExtractionOut,
    responses={
        409: {"description": "EXTRACTION_NOT_READY"},
        413: {"description": "REVIEW_TOO_LARGE: the fields' JSON is over MAX_REVIEW_BYTES"},
    },
)
async def review_extraction(
    job_id: str,
    body: ExtractionPatchIn,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ExtractionOut:
    extraction = await service.review_extraction(
        session, principal.user_id, job_id, body.fields, max_bytes=settings.max_review_bytes
    )
    return await service.ordered_extraction(session, extraction)


@router.post("/jobs/{job_id}/restart", response_model=JobOut)
async def restart(job_id: str, principal: CurrentUser, session: SessionDep) -> JobOut:
    return JobOut.model_validate(await service.restart(session, principal.user_id, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
async def cancel(job_id: str, principal: CurrentUser, session: SessionDep) -> JobOut:
    return JobOut.model_validate(await service.cancel(session, principal.user_id, job_id))
