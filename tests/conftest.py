"""Shared fixtures: a real PostgreSQL, settings, the app over ASGI, users with tokens."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from quarry.app import create_app
from quarry.core.config import Settings, load_settings
from quarry.runtime import Role, Runtime, build_runtime
from tests import pg

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with pg.server_url() as url, pg.template(url):
        yield url


@pytest.fixture(scope="module")
def database_url(pg_server: str) -> Iterator[str]:
    with pg.clone(pg_server) as url:
        yield url


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "QUARRY_DATA_DIR": data_dir,
        "jwt_access_secret": "test-secret-" + "x" * 32,
        "webhook_encryption_key": "test-key-" + "y" * 32,
        "allow_private_urls": True,
        "auth_rate_limit_per_minute": 1000,
        "stalled_after_seconds": 4,
        "job_retry_base_seconds": 0.2,
        "extraction_timeout_seconds": 30,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings, Role.SERVER, migrate_schema=False)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture(scope="module")
async def app(settings: Settings, runtime: Runtime) -> AsyncIterator[FastAPI]:
    application = create_app(settings, runtime)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://quarry.test") as http:
        yield http


async def register(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    """Register a fresh user; returns the register answer plus ready `headers`."""
    n = next(_counter)
    body = {
        "name": f"User {n}",
        "email": f"user{n}-{id(client)}@example.com",
        "password": "correct horse battery",
        **extra,
    }
    answer = await client.post("/api/auth/register", json=body)
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()
    data["headers"] = {"Authorization": f"Bearer {data['accessToken']}"}
    data["password"] = body["password"]
    return data


@pytest.fixture
async def user(client: httpx.AsyncClient) -> dict[str, Any]:
    return await register(client)


@pytest.fixture
async def other_user(client: httpx.AsyncClient) -> dict[str, Any]:
    return await register(client)
