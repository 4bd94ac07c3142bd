"""The OpenAPI document declares every status each operation can answer, with the error envelope
(issue 9, item 13), also for routes added later, and documents request bodies as they are read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from quarry.app import create_app
from quarry.auth.deps import CurrentUser
from quarry.core.config import load_settings

PUBLIC = {
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/logout"),
    ("get", "/api/health"),
    ("get", "/api/ready"),
    ("put", "/api/uploads/{key}"),
    ("get", "/api/integrations/oauth/{provider}/callback"),
}
MULTIPART = {("post", "/api/jobs"), ("post", "/api/job-runs"), ("post", "/api/schema/ai")}
ERROR = {"$ref": "#/components/schemas/ErrorOut"}


def build(tmp_path: Path, *extra: APIRouter) -> FastAPI:
    settings = load_settings(
        database_url="postgresql://nobody@127.0.0.1:1/none",
        QUARRY_DATA_DIR=tmp_path,
        jwt_access_secret="s" * 40,
        webhook_encryption_key="k" * 40,
    )
    app = create_app(settings)
    for router in extra:
        app.include_router(router)
    return app


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    paths = app.openapi()["paths"]
    return [(m, p, op) for p, ops in paths.items() for m, op in ops.items()]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, dict[str, Any]]]:
    return operations(build(tmp_path_factory.mktemp("data")))


def expected_statuses(method: str, path: str, op: dict[str, Any]) -> set[str]:
    wanted = {"400", "500"}
    if path != "/api/health":
        wanted.add("503")
    if (method, path) not in PUBLIC:
        wanted |= {"401", "403"}
    if "{" in path:
        wanted.add("404")
    if "requestBody" in op:
        wanted.add("415")
    if (method, path) in MULTIPART or path == "/api/uploads/{key}":
        wanted.add("413")
    headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
    if "Idempotency-Key" in headers:
        wanted.add("409")
    return wanted


def test_every_operation_declares_its_error_statuses(
    document: list[tuple[str, str, dict[str, Any]]],
) -> None:
    assert len(document) >= 60
    for method, path, op in document:
        declared = set(op["responses"])
        missing = expected_statuses(method, path, op) - declared
        assert not missing, f"{method.upper()} {path} lacks {sorted(missing)}"
        assert "422" not in declared, f"{method.upper()} {path}"


def test_every_error_answer_has_the_envelope(
    document: list[tuple[str, str, dict[str, Any]]],
) -> None:
    for method, path, op in document:
        for status, response in op["responses"].items():
            if status[0] in "45":
                schema = response["content"]["application/json"]["schema"]
                assert schema == ERROR, f"{method.upper()} {path} {status}"


def test_authentication_is_declared_where_it_is_needed(
    document: list[tuple[str, str, dict[str, Any]]],
) -> None:
    for method, path, op in document:
        secured = bool(op.get("security"))
        assert secured == ((method, path) not in PUBLIC), f"{method.upper()} {path}"


def test_request_bodies_are_documented_as_read(
    document: list[tuple[str, str, dict[str, Any]]],
) -> None:
    bodies = {
        (m, p): set(op["requestBody"]["content"]) for m, p, op in document if "requestBody" in op
    }
    for key in MULTIPART:
        assert bodies[key] == {"multipart/form-data"}, key
    assert bodies[("put", "/api/uploads/{key}")] == {"application/octet-stream"}
    others = {
        k: v for k, v in bodies.items() if k not in MULTIPART and k[1] != "/api/uploads/{key}"
    }
    assert all(v == {"application/json"} for v in others.values()), others
    jobs = next(op for m, p, op in document if (m, p) == ("post", "/api/jobs"))
    form = jobs["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(form["properties"]) == {"file", "type", "schemaId", "externalRef", "callbackUrl"}
    assert form["required"] == ["file", "schemaId"]


def test_a_route_added_later_gets_its_errors_without_hand_edits(tmp_path: Path) -> None:
    later = APIRouter(prefix="/api/job-runs")

    @later.post("/{run_id}/archive")
    async def archive(run_id: str, principal: CurrentUser) -> dict[str, str]:
        return {"id": run_id}

    app = build(tmp_path, later)
    op = next(op for m, p, op in operations(app) if p == "/api/job-runs/{run_id}/archive")
    assert {"400", "401", "403", "404", "500", "503"} <= set(op["responses"])
    assert op["responses"]["404"]["content"]["application/json"]["schema"] == ERROR
