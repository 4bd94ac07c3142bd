"""One error tree with stable codes; translated to HTTP only at the boundary.

    QuarryError                      base; never raised itself
    ├── BadRequest          400      input that cannot be accepted (VALIDATION_ERROR, ...)
    ├── Unauthorized        401      missing, expired or invalid credentials
    ├── Forbidden           403      role too low, registration closed, API key where JWT needed
    ├── NotFound            404      missing, deleted, or owned by someone else
    ├── Conflict            409      state forbids the action, duplicate, idempotency mismatch
    ├── PayloadTooLarge     413      a file over MAX_FILE_SIZE, a review over its cap
    ├── UnsupportedMediaType 415     a body of another media type than the route reads
    ├── RateLimited         429      too many requests; carries retry_after seconds
    ├── ServiceUnavailable  503      a dependency (database, storage) is down
    │   └── DatabaseUnavailable 503  PostgreSQL cannot be reached (DATABASE_UNAVAILABLE);
    │                                carries retry_after seconds
    └── StorageFull         507      the disk (or quota) holding data or blobs is full

    JobFailure                       a document's processing failed with a spec errorCode;
                                     `transient` failures are retried, the rest fail the job.

`core.db.translate_failure` turns psycopg/SQLAlchemy connection errors and a full disk
(OSError ENOSPC/EDQUOT, PostgreSQL's 53100) into the last two; the HTTP layer calls it at the
boundary. Every raise names its own `code`; the HTTP layer writes
`{statusCode, error, code, message, details}` and nothing else.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


@dataclass(frozen=True)
class ErrorDetail:
    field: str
    message: str


class QuarryError(Exception):
    status_code: ClassVar[int] = 500
    default_code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[ErrorDetail] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or []


class BadRequest(QuarryError):
    status_code = 400
    default_code = "VALIDATION_ERROR"


class Unauthorized(QuarryError):
    status_code = 401
    default_code = "UNAUTHORIZED"


class Forbidden(QuarryError):
    status_code = 403
    default_code = "FORBIDDEN"


class NotFound(QuarryError):
    status_code = 404
    default_code = "NOT_FOUND"


class Conflict(QuarryError):
    status_code = 409
    default_code = "CONFLICT"


class PayloadTooLarge(QuarryError):
    status_code = 413
    default_code = "FILE_TOO_LARGE"


class UnsupportedMediaType(QuarryError):
    status_code = 415
    default_code = "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(QuarryError):
    status_code = 429
    default_code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ServiceUnavailable(QuarryError):
    status_code = 503
    default_code = "SERVICE_UNAVAILABLE"


class DatabaseUnavailable(ServiceUnavailable):
    """PostgreSQL is down or restarting; the client should retry after `retry_after` seconds."""

    default_code = "DATABASE_UNAVAILABLE"
    retry_after = 5

    def __init__(self, message: str = "The database is unavailable; retry shortly") -> None:
        super().__init__(message)


class StorageFull(QuarryError):
    """A write of data or blobs failed because the disk or the user's quota is full."""

    status_code = 507
    default_code = "STORAGE_FULL"

    def __init__(self, message: str = "Quarry's storage is full; nothing was kept") -> None:
        super().__init__(message)


_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(exc: BaseException) -> bool:
    """True for an OSError saying the disk or a quota is full (ENOSPC, EDQUOT)."""
    return isinstance(exc, OSError) and exc.errno in _DISK_FULL


class JobErrorCode(StrEnum):
    """The spec's stable `errorCode` values of a failed job."""

    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    CORRUPT_DOCUMENT = "CORRUPT_DOCUMENT"
    ENCRYPTED_DOCUMENT = "ENCRYPTED_DOCUMENT"
    TOO_MANY_PAGES = "TOO_MANY_PAGES"
    DOWNLOAD_FAILED = "DOWNLOAD_FAILED"
    URL_BLOCKED = "URL_BLOCKED"
    SOURCE_NOT_FOUND = "SOURCE_NOT_FOUND"
    SOURCE_ACCESS_DENIED = "SOURCE_ACCESS_DENIED"
    EXTRACTION_TIMEOUT = "EXTRACTION_TIMEOUT"
    RESOURCE_LIMIT = "RESOURCE_LIMIT"
    ENGINE_ERROR = "ENGINE_ERROR"
    PROVIDER_RATE_LIMITED = "PROVIDER_RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class JobFailure(Exception):
    """Processing a document failed; `transient` failures may succeed on a later attempt."""

    def __init__(self, code: JobErrorCode, message: str, *, transient: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.transient = transient
