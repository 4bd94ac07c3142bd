"""Creating routes answer through here so `Idempotency-Key` replays the first answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.http.multipart import ReceivedForm
from quarry.idempotency import service

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
    files = [[f.field_name, f.file_name, f.sha256] for f in form.files]
    return {"fields": form.fields, "files": files}
