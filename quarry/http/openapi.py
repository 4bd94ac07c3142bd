"""The OpenAPI document, saying every error each operation can answer, with the error envelope.

FastAPI documents what a route returns when it works. The errors are derived here, once, from
what the document already says about each operation, so a route added later gets them without
a hand edit:

    every operation                        400 (a NUL in a header, a bad parameter), 500
    every operation but liveness           503 (the database or a dependency is down)
    a security requirement (bearer token)  401, 403
    a path parameter (an id)               404
    an `Idempotency-Key` header            409 (the key was used with another request)
    a request body                         415 (a body of another media type)
    a multipart or binary request body     413 (a file over MAX_FILE_SIZE), 507 (disk full)

Statuses a route declares itself (`responses=`: 409 for a state conflict, 429 for rate limits,
413 for a review over its cap) keep their descriptions. Every 4xx/5xx answer gets the
`ErrorOut` schema: `{statusCode, error, code, message, details?}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from quarry.core.api_model import ErrorOut

Operation = dict[str, Any]
LIVENESS_PATHS = frozenset({"/api/health"})
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}

DESCRIPTIONS = {
    400: "Invalid input (VALIDATION_ERROR and the codes in errors.md); `details` names fields",
    401: "Missing, invalid, expired or revoked credentials",
    403: "The credentials do not allow this (role, or an API key where a login is needed)",
    404: "No such resource, or another user's",
    409: "The state does not allow this, or the Idempotency-Key was used with another request",
    413: "The body or a file is over its size limit",
    415: "The body is not of the media type this operation reads",
    429: "Too many requests; see Retry-After",
    500: "An unexpected error; the answer carries requestId",
    503: "The database or another dependency is unavailable; retry later",
    507: "STORAGE_FULL: no space left for the file; nothing half-written is kept",
}


def _always(path: str, operation: Operation) -> bool:
    return True


def _not_liveness(path: str, operation: Operation) -> bool:
    return path not in LIVENESS_PATHS


def _authenticated(path: str, operation: Operation) -> bool:
    return bool(operation.get("security"))


def _has_path_parameter(path: str, operation: Operation) -> bool:
    return any(p.get("in") == "path" for p in operation.get("parameters", []))


def _idempotent(path: str, operation: Operation) -> bool:
    headers = (
        p["name"].lower() for p in operation.get("parameters", []) if p.get("in") == "header"
    )
    return "idempotency-key" in headers


def _has_body(path: str, operation: Operation) -> bool:
    return "requestBody" in operation


def _has_file_body(path: str, operation: Operation) -> bool:
    content = operation.get("requestBody", {}).get("content", {})
    return bool({"multipart/form-data", "application/octet-stream"} & set(content))


RULES: list[tuple[Callable[[str, Operation], bool], tuple[int, ...]]] = [
    (_always, (400, 500)),
    (_not_liveness, (503,)),
    (_authenticated, (401, 403)),
    (_has_path_parameter, (404,)),
    (_idempotent, (409,)),
    (_has_body, (415,)),
    (_has_file_body, (413, 507)),
]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    _add_error_envelope(schema)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            declare_errors(path, operation)
    return schema


def _add_error_envelope(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error = ErrorOut.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    components.update(error.pop("$defs", {}), ErrorOut=error)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)


def declare_errors(path: str, operation: Operation) -> None:
    """Add the statuses `RULES` derive for `operation`; give every error the envelope."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's own validation answer; Quarry answers 400
    for applies, statuses in RULES:
        if applies(path, operation):
            for status in statuses:
                responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
    for code, response in responses.items():
        if code[:1] in ("4", "5"):
            response["content"] = {"application/json": {"schema": ERROR_REF}}
