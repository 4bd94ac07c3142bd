"""Jobs from uploaded bytes: multipart `POST /api/jobs`, and the two-step upload-url flow.

With local storage, `upload-url` answers a URL of the API itself (`PUT /api/uploads/:key`)
signed with an HMAC and valid for `UPLOAD_URL_TTL_SECONDS`; with S3 storage, a presigned S3
URL. Each URL handed out is a `PendingUpload` row: a user may hold
`MAX_PENDING_UPLOADS_PER_USER` of them, and the `quarry.expire_uploads` task drops the staged
bytes of those not confirmed within `UPLOAD_EXPIRY_SECONDS`. `confirm-upload` turns the staged
bytes into a document and a job, and ends the pending upload.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.db import Database
from quarry.core.errors import (
    BadRequest,
    Conflict,
    ErrorDetail,
    Forbidden,
    NotFound,
    PayloadTooLarge,
)
from quarry.core.time import utcnow
from quarry.documents import service as documents
from quarry.jobs import service
from quarry.jobs.models import Job, PendingUpload
from quarry.sources import mime
from quarry.sources.fetched import FetchedFile
from quarry.sources.upload import ReceivedForm
from quarry.storage.base import BlobStore, BlobTooLarge

# what `issue_ticket` makes: "up_" and 32 letters or digits
UPLOAD_KEY_PATTERN = r"^up_[A-Za-z0-9]{32}$"
EXPIRE_BATCH = 200


async def create_from_form(
    session: AsyncSession,
    stored: documents.StoredFiles,
    settings: Settings,
    user_id: str,
    form: ReceivedForm,
) -> Job:
    """`POST /api/jobs` multipart: `file`, `type`, `schemaId`, `externalRef?`, `callbackUrl?`.

    The form's file is already in the blob store (`stored`, written before the transaction)."""
    received = _single_file(form, "file")
    service.check_job_type(form.value("type"))
    callback_url = form.value("callbackUrl") or None
    service.check_callback_url(callback_url, settings)
    pinned = await service.pin(session, user_id, form.value("schemaId"))
    service.require_supported(received.mime_type, received.file_name)
    document = await documents.record_file(
        session, user_id=user_id, fetched=received, stored=stored
    )
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


async def issue_ticket(
    session: AsyncSession, settings: Settings, user_id: str, file_name: str
) -> UploadTicket:
    """A new upload URL's key and signature, recorded as pending; 409 past the user's cap."""
    await _check_pending_cap(session, settings, user_id)
    key = "up_" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
    expires = int(time.time()) + settings.upload_url_ttl_seconds
    issued = datetime.fromtimestamp(expires - settings.upload_url_ttl_seconds, UTC)
    session.add(
        PendingUpload(
            key=key,
            user_id=user_id,
            file_name=file_name,
            created_at=issued,
            expires_at=issued + timedelta(seconds=settings.upload_expiry_seconds),
        )
    )
    return UploadTicket(
        key, datetime.fromtimestamp(expires, UTC), _sign(settings, user_id, key, expires)
    )


async def _check_pending_cap(session: AsyncSession, settings: Settings, user_id: str) -> None:
    # one issuer at a time per user, so concurrent requests cannot pass the cap together
    await session.execute(
        text("SELECT 1 FROM user_account WHERE id = :id FOR UPDATE"), {"id": user_id}
    )
    pending = await session.scalar(
        select(func.count())
        .select_from(PendingUpload)
        .where(PendingUpload.user_id == user_id, PendingUpload.expires_at > utcnow())
    )
    limit = settings.max_pending_uploads_per_user
    if (pending or 0) >= limit:
        raise Conflict(
            f"You have {limit} upload URLs not confirmed yet; confirm them or wait until they "
            "expire",
            code="UPLOAD_LIMIT_REACHED",
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
    file_name: str | None,
    schema_id: str,
    external_ref: str | None = None,
    callback_url: str | None = None,
) -> Job:
    """The job of a staged upload; `file_name` defaults to the one given to upload-url."""
    service.check_callback_url(callback_url, settings)
    pinned = await service.pin(session, user_id, schema_id)
    announced = await _end_pending(session, user_id, key)
    file_name = file_name or announced
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
        external_ref=external_ref or None,
        callback_url=callback_url,
    )


async def _end_pending(session: AsyncSession, user_id: str, key: str) -> str:
    """The pending upload of `key` is confirmed now (its file name is returned); 404 when it
    is unknown or has expired."""
    ended = await session.scalar(
        delete(PendingUpload)
        .where(
            PendingUpload.key == key,
            PendingUpload.user_id == user_id,
            PendingUpload.expires_at > utcnow(),
        )
        .returning(PendingUpload.file_name)
    )
    if ended is None:
        raise NotFound(
            f"Nothing was uploaded for key {key}, or the upload has expired",
            code="UPLOAD_NOT_FOUND",
        )
    return str(ended)


async def expire_uploads(db: Database, blobs: BlobStore) -> int:
    """Drop the staged bytes of uploads not confirmed in time; returns how many were dropped."""
    dropped = 0
    while True:
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    delete(PendingUpload)
                    .where(
                        PendingUpload.key.in_(
                            select(PendingUpload.key)
                            .where(PendingUpload.expires_at <= utcnow())
                            .limit(EXPIRE_BATCH)
                            .with_for_update(skip_locked=True)
                        )
                    )
                    .returning(PendingUpload.user_id, PendingUpload.key)
                )
            ).all()
            for user_id, key in rows:
                await blobs.delete_staged(staging_key(user_id, key))
        dropped += len(rows)
        if len(rows) < EXPIRE_BATCH:
            return dropped
