"""ASGI middleware: a request id for every request (echoed as `X-Request-Id`, in logs and 500
answers), and the input checks that come before routing."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quarry.core.errors import ErrorDetail
from quarry.core.input_checks import NUL_MESSAGE
from quarry.http.errors import error_body


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text: str = value.decode("latin-1")[:64]
            if text.replace("-", "").isalnum():
                return text
    return None


class InputGuardMiddleware:
    """Checks that come before routing, for every request:

    - a NUL character in the path, the query or a header answers 400 `VALIDATION_ERROR`
      (PostgreSQL cannot store NUL in text, and no id or filter contains one);
    - a trailing slash under `/api/` (and on `/metrics/`) is dropped (`/api/jobs/` is
      `/api/jobs`), so clients get the route itself rather than a redirect with an empty body.
      Other paths (a web app) keep theirs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _nul_field(scope)
        if field is not None:
            detail = ErrorDetail(field, NUL_MESSAGE)
            body = error_body(400, "VALIDATION_ERROR", "The request is not valid", [detail])
            await JSONResponse(body, status_code=400)(scope, receive, send)
            return
        await self.app(_without_trailing_slash(scope), receive, send)


def _nul_field(scope: Scope) -> str | None:
    path: str = scope["path"]
    if "\x00" in path:
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return name.replace("\x00", "") or "query"
        return "query"
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for header, raw in headers:
        if b"\x00" in header or b"\x00" in raw:
            return header.replace(b"\x00", b"").decode("latin-1")
    return None


def _without_trailing_slash(scope: Scope) -> Scope:
    path: str = scope["path"]
    if not (path.startswith("/api/") or path == "/metrics/") or not path.endswith("/"):
        return scope
    trimmed = path.rstrip("/")
    raw: bytes = scope.get("raw_path") or path.encode()
    return {**scope, "path": trimmed, "raw_path": raw.rstrip(b"/")}
