"""Browsing cursors: the provider's page token, sealed so that only Quarry's own come back.

A `nextCursor` is `<base64url of the provider's token>.<HMAC>`, bound to the integration and
the folder it pages through. A cursor that was not made here (garbage, edited, or from another
folder) is refused with 400 before any provider is called, rather than passing it on and
answering the provider's refusal as an outage.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from quarry.core.errors import BadRequest, ErrorDetail

_SIG_CHARS = 32


def seal(secret: str, integration_id: str, folder_id: str | None, token: str | None) -> str | None:
    if token is None:
        return None
    body = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
    return f"{body}.{_signature(secret, integration_id, folder_id, body)}"


def open_cursor(secret: str, integration_id: str, folder_id: str | None, cursor: str) -> str:
    """The provider's token inside `cursor`, or 400 `VALIDATION_ERROR` (field `cursor`)."""
    body, _, signature = cursor.rpartition(".")
    expected = _signature(secret, integration_id, folder_id, body)
    if not body or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise _invalid()
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid() from None


def _signature(secret: str, integration_id: str, folder_id: str | None, body: str) -> str:
    message = f"cursor:{integration_id}:{folder_id or ''}:{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:_SIG_CHARS]


def _invalid() -> BadRequest:
    return BadRequest(
        "This cursor was not made for this folder; use the nextCursor of the previous page",
        details=[ErrorDetail("cursor", "not a nextCursor of this folder")],
    )
