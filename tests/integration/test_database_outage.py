"""PostgreSQL refusing connections: coded 503s (never 500), liveness stays up, then recovery.

The module's own database stops accepting connections and every open one is cut — what a
killed or restarting server looks like to Quarry — without touching the shared test server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg

from tests import pg


@contextmanager
def refusing_connections(database_url: str) -> Iterator[None]:
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(pg.with_database(database_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


async def wait_ready(client: httpx.AsyncClient, timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if (await client.get("/api/ready")).status_code == 200:
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"not ready {timeout} s after the database came back")


async def test_while_the_database_is_down_calls_answer_503_and_then_recover(
    client: httpx.AsyncClient, user: dict[str, Any], database_url: str
) -> None:
    headers = user["headers"]
    assert (await client.get("/api/jobs", headers=headers)).status_code == 200
    with refusing_connections(database_url):
        for request in (
            client.get("/api/jobs", headers=headers),
            client.get("/api/schema", headers=headers),
            client.post(
                "/api/auth/login",
                json={"email": user["user"]["email"], "password": user["password"]},
            ),
        ):
            answer = await request
            assert answer.status_code == 503, answer.text
            body = answer.json()
            assert body["code"] == "DATABASE_UNAVAILABLE" and body["statusCode"] == 503
            assert "Traceback" not in answer.text and "psycopg" not in answer.text
            assert int(answer.headers["retry-after"]) > 0
        assert (await client.get("/api/health")).status_code == 200
        ready = await client.get("/api/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] != "ok"
    assert (await client.get("/api/jobs", headers=headers)).status_code == 200
    back_in = await wait_ready(client)  # the in-process workers reconnected too
    print(f"\nready again {back_in:.1f} s after the database accepted connections")
