"""Creating routes answer through here so `Idempotency-Key` replays the first answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.documents.service import StoredFiles, put_files
from quarry.http.forms import FormSpec, receive_form
from quarry.idempotency import service
from quarry.sources.upload import ReceivedForm
from quarry.storage.base import BlobStore

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Replays the first answer for 24 h"),
]


async def created(
    session: AsyncSession,
    *,
    user_id: str,
    key: str | None,
    route: str,
    payload: Any,
    create: Callable[[], Awaitable[dict[str, Any]]],
) -> JSONResponse:
    answer = await service.run_once(
        session,
        user_id=user_id,
        key=key,
        route=route,
        request_fingerprint=service.fingerprint(payload),
        create=create,
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


def form_payload(form: ReceivedForm) -> dict[str, Any]:
    """What identifies a multipart request: its fields and its files' names and hashes."""
    files = [[u.field_name, u.file.file_name, u.file.sha256] for u in form.files]
    return {"fields": form.fields, "files": files}


async def created_from_form(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    blobs: BlobStore,
    *,
    user_id: str,
    key: str | None,
    route: str,
    spec: FormSpec,
    max_files: int,
    create: Callable[[ReceivedForm, StoredFiles], Awaitable[dict[str, Any]]],
) -> JSONResponse:
    """Receive a multipart body, write its files to the blob store (before `session` runs a
    statement: no transaction is open while bytes are written), create from it
    (idempotently), and always drop its temp files."""
    form = await receive_form(request, settings, spec, max_files=max_files)
    try:
        stored = await put_files(blobs, (uploaded.file for uploaded in form.files))
        return await created(
            session,
            user_id=user_id,
            key=key,
            route=route,
            payload=form_payload(form),
            create=lambda: create(form, stored),
        )
    finally:
        form.cleanup()
