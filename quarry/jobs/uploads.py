"""Jobs from uploaded bytes: multipart `POST /api/jobs`, and the two-step upload-url flow.

With local storage, `upload-url` answers a URL of the API itself (`PUT /api/uploads/:key`)
signed with an HMAC and valid for `UPLOAD_URL_TTL`; with S3 storage, a presigned S3 URL.
`confirm-upload` then turns the staged bytes into a document and a job.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.errors import BadRequest, ErrorDetail, Forbidden, NotFound, PayloadTooLarge
from quarry.documents import service as documents
from quarry.jobs import service
from quarry.jobs.models import Job
from quarry.sources import mime
from quarry.sources.fetched import FetchedFile
from quarry.sources.upload import ReceivedForm
from quarry.storage.base import BlobStore, BlobTooLarge

UPLOAD_URL_TTL = 15 * 60


async def create_from_form(
    session: AsyncSession, blobs: BlobStore, settings: Settings, user_id: str, form: ReceivedForm
) -> Job:
    """`POST /api/jobs` multipart: `file`, `type`, `schemaId`, `externalRef?`, `callbackUrl?`."""
    received = _single_file(form, "file")
    service.check_job_type(form.value("type"))
    callback_url = form.value("callbackUrl") or None
    service.check_callback_url(callback_url, settings)
    pinned = await service.pin(session, user_id, form.value("schemaId"))
    service.require_supported(received.mime_type, received.file_name)
    document = await documents.store_fetched(session, blobs, user_id=user_id, fetched=received)
    return await service.create_standalone(
        session,
        user_id=user_id,
        pinned=pinned,
        document=document,
        source={"kind": "UPLOAD"},
        external_ref=_external_ref(form.value("externalRef")),
        callback_url=callback_url,
    )


def _single_file(form: ReceivedForm, name: str) -> FetchedFile:
    files = form.files_named(name)
    if len(files) != 1:
        raise BadRequest(
            f"Send exactly one file in the form field {name!r}",
            details=[ErrorDetail(name, "exactly one file is required")],
        )
    return files[0]


def _external_ref(value: str | None) -> str | None:
    if value is not None and len(value) > 500:
        raise BadRequest("externalRef is too long", details=[ErrorDetail("externalRef", "≤ 500")])
    return value or None


@dataclass(frozen=True)
class UploadTicket:
    key: str
    expires_at: datetime
    signature: str


def issue_ticket(settings: Settings, user_id: str) -> UploadTicket:
    key = "up_" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
    expires = int(time.time()) + UPLOAD_URL_TTL
    return UploadTicket(
        key, datetime.fromtimestamp(expires, UTC), _sign(settings, user_id, key, expires)
    )


def staging_key(user_id: str, key: str) -> str:
    return f"{user_id}-{key}"


def _sign(settings: Settings, user_id: str, key: str, expires: int) -> str:
    message = f"upload:{user_id}:{key}:{expires}".encode()
    return hmac.new(settings.jwt_access_secret.encode(), message, hashlib.sha256).hexdigest()


def check_ticket(settings: Settings, user_id: str, key: str, expires: int, signature: str) -> None:
    if expires < time.time():
        raise Forbidden("This upload URL has expired", code="UPLOAD_URL_EXPIRED")
    if not hmac.compare_digest(_sign(settings, user_id, key, expires), signature):
        raise Forbidden("This upload URL is not valid", code="UPLOAD_URL_INVALID")


async def receive_staged(
    blobs: BlobStore, settings: Settings, user_id: str, key: str, body: AsyncIterator[bytes]
) -> int:
    try:
        return await blobs.put_staged(
            staging_key(user_id, key), body, max_size=settings.max_file_size
        )
    except BlobTooLarge as exc:
        raise PayloadTooLarge(f"The file is larger than {exc.limit} bytes") from exc


async def confirm(
    session: AsyncSession,
    blobs: BlobStore,
    settings: Settings,
    user_id: str,
    *,
    key: str,
    file_name: str,
    schema_id: str,
) -> Job:
    pinned = await service.pin(session, user_id, schema_id)
    try:
        blob = await blobs.promote_staged(
            staging_key(user_id, key), max_size=settings.max_file_size
        )
    except BlobTooLarge as exc:
        raise PayloadTooLarge(f"The file is larger than {exc.limit} bytes") from exc
    if blob is None:
        raise NotFound(f"Nothing was uploaded for key {key}", code="UPLOAD_NOT_FOUND")
    async with blobs.local_path(blob.key) as path:
        mime_type = mime.sniff(path, file_name)
    service.require_supported(mime_type, file_name)
    document = await documents.record_blob(
        session, user_id=user_id, blob=blob, file_name=file_name, mime_type=mime_type
    )
    return await service.create_standalone(
        session,
        user_id=user_id,
        pinned=pinned,
        document=document,
        source={"kind": "UPLOAD"},
    )
