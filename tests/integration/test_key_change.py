"""Issue 9, finding 8: after WEBHOOK_ENCRYPTION_KEY changes, the callback secret answers a
coded error (not 500), and the start-up log names the sealed secrets that no longer open."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from quarry.app import create_app
from quarry.core.ids import new_id
from quarry.integrations import providers
from quarry.integrations.models import Integration, IntegrationStatus, Provider
from quarry.ops.sealed import check_sealed
from quarry.runtime import Role, Runtime, build_runtime
from tests.conftest import make_settings, register

NEW_KEY = "a-new-key-" + "n" * 40


@asynccontextmanager
async def app_with_key(database_url: str, data_dir: Path, key: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url, data_dir, webhook_encryption_key=key, workers_in_server=False
    )
    runtime = build_runtime(settings, Role.SERVER, migrate_schema=False)
    try:
        app = create_app(settings, runtime)
        async with app.router.lifespan_context(app):
            yield app
    finally:
        await runtime.close()


async def _sealed_under_the_old_key(client: httpx.AsyncClient, runtime: Runtime) -> dict[str, Any]:
    user = await register(client)
    secret = await client.get("/api/webhooks/callback-secret", headers=user["headers"])
    assert secret.status_code == 200
    hook = {
        "url": "https://hooks.example.com/q",
        "deliveryMode": "MANUAL",
        "events": ["job.completed"],
        "bodyFormat": "JSON",
        "enabled": True,
    }
    endpoint = await client.post("/api/webhooks", json=hook, headers=user["headers"])
    assert endpoint.status_code == 201, endpoint.text
    integration_id = new_id("int")
    async with runtime.db.transaction() as session:
        session.add(
            Integration(
                id=integration_id,
                user_id=user["user"]["id"],
                provider=Provider.S3,
                name="archive",
                config={"bucket": "b"},
                credentials_sealed=providers.seal(
                    runtime.secrets, {"accessKeyId": "a", "secretAccessKey": "s"}
                ),
                status=IntegrationStatus.ACTIVE,
            )
        )
    return {"user": user, "endpoint": endpoint.json()["id"], "integration": integration_id}


async def test_a_changed_key_is_reported_at_start_and_answered_with_a_code(
    client: httpx.AsyncClient,
    runtime: Runtime,
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sealed = await _sealed_under_the_old_key(client, runtime)
    user = sealed["user"]
    with caplog.at_level(logging.INFO, logger="quarry.ops.sealed"):
        async with app_with_key(database_url, tmp_path, NEW_KEY) as app:
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://q.test") as http:
                login = await http.post(
                    "/api/auth/login",
                    json={"email": user["user"]["email"], "password": user["password"]},
                )
                headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
                answer = await http.get("/api/webhooks/callback-secret", headers=headers)
                assert answer.status_code == 409, answer.text
                assert answer.json()["code"] == "SECRET_UNREADABLE"
                assert "rotate" in answer.json()["message"]
                rotated = await http.post("/api/webhooks/callback-secret/rotate", headers=headers)
                assert rotated.status_code == 200
                again = await http.get("/api/webhooks/callback-secret", headers=headers)
                assert again.json()["callbackSecret"] == rotated.json()["callbackSecret"]

    warning = next(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "WEBHOOK_ENCRYPTION_KEY cannot open" in warning
    assert f"webhook endpoint secrets: 1 ({sealed['endpoint']})" in warning
    assert f"callback secrets: 1 ({user['user']['id']})" in warning
    assert f"integration credentials: 1 ({sealed['integration']})" in warning


async def test_the_same_key_opens_them(client: httpx.AsyncClient, runtime: Runtime) -> None:
    sealed = await _sealed_under_the_old_key(client, runtime)
    report = await check_sealed(runtime.db, runtime.secrets)
    unreadable = {row_id for ids in report.unreadable.values() for row_id in ids}
    assert report.checked >= 3
    assert (
        not {sealed["endpoint"], sealed["integration"], sealed["user"]["user"]["id"]} & unreadable
    )
