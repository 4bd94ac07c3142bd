"""The one exception type of the client.

    QuarryError                 every failure of a call: the API's error answer, or no answer
     └── QuarryTimeout          `runs.wait(timeout=…)` ran out (also a built-in TimeoutError)
    WebhookVerificationError    `verify_webhook`: the body is not signed by your secret

An API error carries what the server sent (`{"statusCode", "error", "code", "message",
"details"}`); a network failure has `status_code` None and `code` `CONNECTION_ERROR` or
`TIMEOUT`, with the httpx exception as `__cause__`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class ErrorDetail:
    """One `{field, message}` of a validation error (`urls[2].url`, `fields[0].name`)."""

    field: str
    message: str


class QuarryError(Exception):
    """A call to Quarry failed; `code` is the API's stable error code."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str = "UNKNOWN_ERROR",
        details: list[ErrorDetail] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.details = details or []
        self.request_id = request_id

    def __str__(self) -> str:
        where = f"{self.status_code} " if self.status_code is not None else ""
        text = f"{where}{self.code}: {self.message}"
        if self.details:
            text += " (" + "; ".join(f"{d.field}: {d.message}" for d in self.details) + ")"
        return text


class QuarryTimeout(QuarryError, TimeoutError):
    """A wait for a run ran past its timeout; the run goes on on the server."""


class WebhookVerificationError(ValueError):
    """A webhook body whose signature or timestamp does not check out."""


def error_from_response(response: httpx.Response) -> QuarryError:
    """The QuarryError for a non-2xx answer (read body)."""
    body = _json_or_none(response)
    if not isinstance(body, dict):
        text = response.text.strip()[:500] or response.reason_phrase
        return QuarryError(
            text, status_code=response.status_code, code=f"HTTP_{response.status_code}"
        )
    details = [
        ErrorDetail(str(item.get("field", "")), str(item.get("message", "")))
        for item in body.get("details") or []
        if isinstance(item, dict)
    ]
    return QuarryError(
        str(body.get("message") or response.reason_phrase),
        status_code=response.status_code,
        code=str(body.get("code") or f"HTTP_{response.status_code}"),
        details=details,
        request_id=body.get("requestId") or response.headers.get("x-request-id"),
    )


def error_from_transport(exc: httpx.TransportError) -> QuarryError:
    code = "TIMEOUT" if isinstance(exc, httpx.TimeoutException) else "CONNECTION_ERROR"
    return QuarryError(f"{type(exc).__name__}: {exc}", code=code)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
