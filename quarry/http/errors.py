"""Translate every error into the spec's shape: `{statusCode, error, code, message, details}`."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from quarry.core.db import translate_failure
from quarry.core.errors import ErrorDetail, QuarryError
from quarry.core.input_checks import error_path

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
}


def error_body(status: int, code: str, message: str, details: list[ErrorDetail]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "statusCode": status,
        "error": HTTPStatus(status).phrase,
        "code": code,
        "message": message,
    }
    if details:
        body["details"] = [{"field": d.field, "message": d.message} for d in details]
    return body


def _response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


async def _quarry_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QuarryError)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    body = error_body(exc.status_code, exc.code, exc.message, exc.details)
    return _response(exc.status_code, body, headers)


def _location(error: dict[str, Any]) -> str:
    """`("body", "urls", 2, "url")` → `urls[2].url`."""
    loc = [p for p in error["loc"] if p not in ("body", "query", "path", "header", "form")]
    return error_path(loc, error["type"], error.get("ctx")) or "body"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [ErrorDetail(_location(e), e["msg"]) for e in exc.errors()]
    body = error_body(400, "VALIDATION_ERROR", "The request is not valid", details)
    return _response(400, body)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
    body = error_body(exc.status_code, code, message, [])
    return _response(exc.status_code, body, headers or None)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> set[str]:
    """Every method some route fully serves at this path (Starlette names only the first
    matching route's, though GET and POST of one path are often two routes)."""
    routes = request.app.router.routes
    path = {
        "type": "http",
        "path": request.scope["path"],
        "root_path": request.scope.get("root_path", ""),
    }
    return {
        method
        for method in _METHODS
        if any(route.matches({**path, "method": method})[0] is Match.FULL for route in routes)
    }


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """PostgreSQL refused a value (SQLSTATE class 22: out of range, NUL, bad encoding): the
    last line of defence behind the input checks, so such input is a 400, never a 500."""
    log.warning("value refused by the database in %s %s: %s", request.method, request.url.path, exc)
    message = "A value in the request cannot be stored (out of range or not valid text)"
    return _response(400, error_body(400, "VALIDATION_ERROR", message, []))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "-")
    log.exception(
        "unexpected error in %s %s (request %s)", request.method, request.url.path, request_id
    )
    message = f"An unexpected error occurred (request id {request_id})"
    body = error_body(500, "INTERNAL_ERROR", message, [])
    body["requestId"] = request_id
    return _response(500, body)


async def _infrastructure_error(request: Request, exc: Exception) -> JSONResponse:
    """Database down or disk full: the coded 503/507, logged without a stack trace."""
    translated = translate_failure(exc)
    if translated is None:
        return await _unexpected(request, exc)
    log.warning(
        "%s %s answered %s: %s",
        request.method,
        request.url.path,
        translated.code,
        str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
    )
    return await _quarry_error(request, translated)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QuarryError, _quarry_error)
    for failure in (SQLAlchemyError, psycopg.Error, OSError):
        app.add_exception_handler(failure, _infrastructure_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
