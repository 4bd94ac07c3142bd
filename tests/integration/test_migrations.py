"""Upgrading a populated database: rows written by revision 0001 survive later revisions, and
the app works on the result (the user signs in, reads their job and webhook endpoint)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher

from quarry.app import create_app
from quarry.core import migrate
from quarry.core.crypto import SecretBox
from quarry.runtime import Role, build_runtime
from tests import pg
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
KEY = "test-key-" + "y" * 32  # the webhook_encryption_key of make_settings
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# tables whose rows must come through every upgrade unchanged
KEPT = (
    "user_account",
    "refresh_token",
    "extraction_schema",
    "extraction_schema_version",
    "job_run",
    "job",
    "extraction",
    "webhook_endpoint",
    "event",
)


@pytest.fixture(scope="module")
def old_database(pg_server: str) -> Iterator[str]:
    """An empty database at revision 0001, dropped afterwards."""
    name = "quarry_mig_" + str(id(old_database))
    with psycopg.connect(pg.with_database(pg_server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg.with_database(pg_server, name)
    try:
        migrate.upgrade(url, "0001")
        yield url
    finally:
        with psycopg.connect(pg.with_database(pg_server, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _populate(conn: psycopg.Connection[Any]) -> None:
    fields = [{"name": "total", "type": "number", "required": True}]
    sealed = SecretBox(KEY).seal("whsec_" + "s" * 40, purpose="webhook-secret")
    rows: list[tuple[str, tuple[Any, ...]]] = [
        (
            "INSERT INTO user_account (id, name, email, password_hash, role, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, 'ADMIN', %s, %s)",
            ("usr_old", "Ada", "ada@example.com", PasswordHasher().hash(PASSWORD), NOW, NOW),
        ),
        (
            "INSERT INTO refresh_token (id, user_id, family_id, token_hash, created_at,"
            " expires_at) VALUES ('rt_old', 'usr_old', 'rtf_old', %s, %s, %s)",
            ("a" * 64, NOW, NOW + timedelta(days=30)),
        ),
        (
            "INSERT INTO extraction_schema (id, user_id, name, version, fields,"
            " webhook_endpoint_ids, created_at, updated_at)"
            " VALUES ('sch_old', 'usr_old', 'Invoice', 1, %s, '[]', %s, %s)",
            (json.dumps(fields), NOW, NOW),
        ),
        (
            "INSERT INTO extraction_schema_version (schema_id, version, fields, created_at)"
            " VALUES ('sch_old', 1, %s, %s)",
            (json.dumps(fields), NOW),
        ),
        (
            "INSERT INTO job_run (id, user_id, status, job_type, schema_id, schema_version,"
            " source, total_jobs, completed_jobs, failed_jobs, cancelled_jobs, event_seq,"
            " progress_pending, created_at, updated_at, completed_at) VALUES ('run_old',"
            " 'usr_old', 'COMPLETED', 'EXTRACTION', 'sch_old', 1, 'URLS', 1, 1, 0, 0, 2, false,"
            " %s, %s, %s)",
            (NOW, NOW, NOW),
        ),
        (
            "INSERT INTO job (id, user_id, type, status, schema_id, schema_version,"
            " parent_run_id, position, external_ref, source, attempts, created_at, updated_at,"
            " completed_at) VALUES ('job_old', 'usr_old', 'EXTRACTION', 'COMPLETED', 'sch_old',"
            " 1, 'run_old', 0, 'INV-7', %s, 1, %s, %s, %s)",
            (json.dumps({"kind": "URL", "url": "https://example.com/a.pdf"}), NOW, NOW, NOW),
        ),
        (
            "INSERT INTO extraction (job_id, user_id, schema_id, schema_version, fields,"
            " field_details, engine, reviewed, created_at, updated_at) VALUES ('job_old',"
            " 'usr_old', 'sch_old', 1, %s, '{}', %s, false, %s, %s)",
            (json.dumps({"total": 42.5}), json.dumps({"name": "offline"}), NOW, NOW),
        ),
        (
            "INSERT INTO webhook_endpoint (id, user_id, url, delivery_mode, events,"
            " body_format, enabled, secret_sealed, consecutive_dead, created_at, updated_at)"
            " VALUES ('whe_old', 'usr_old', 'https://hooks.example.com/q', 'AUTOMATIC', %s,"
            " 'JSON', true, %s, 0, %s, %s)",
            (json.dumps(["job.completed"]), sealed, NOW, NOW),
        ),
        (
            "INSERT INTO event (id, user_id, type, job_id, run_id, seq, data, occurred_at)"
            " VALUES ('evt_old', 'usr_old', 'job.completed', 'job_old', 'run_old', 1, '{}', %s)",
            (NOW,),
        ),
        (
            "INSERT INTO rate_limit_window (key, window_start, hits) VALUES ('login:1', %s, 3)",
            (NOW,),
        ),
    ]
    for statement, values in rows:
        conn.execute(statement, values)


def _snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[Any]]:
    return {
        table: [
            row[0]
            for row in conn.execute(f"SELECT to_jsonb(t) FROM {table} t ORDER BY to_jsonb(t)::text")
        ]
        for table in KEPT
    }


def _tables(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {str(row[0]) for row in rows}


@pytest.fixture(scope="module")
def upgraded(old_database: str) -> dict[str, Any]:
    with psycopg.connect(old_database, autocommit=True) as conn:
        _populate(conn)
        before = _snapshot(conn)
    migrate.upgrade(old_database)
    with psycopg.connect(old_database) as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return {"before": before, "after": _snapshot(conn), "tables": _tables(conn), "v": version}


def test_every_row_survives_the_upgrade(upgraded: dict[str, Any]) -> None:
    assert upgraded["v"] is not None and upgraded["v"][0] != "0001"
    assert all(upgraded["before"][table] for table in KEPT)  # the fixture really wrote rows
    assert upgraded["after"] == upgraded["before"]


def test_the_new_tables_replace_the_old_counters(upgraded: dict[str, Any]) -> None:
    assert {"rate_limit_hit", "login_failure"} <= upgraded["tables"]
    assert "rate_limit_window" not in upgraded["tables"]


@pytest.fixture
async def client(
    upgraded: dict[str, Any], old_database: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(old_database, tmp_path, workers_in_server=False)
    runtime = build_runtime(settings, Role.SERVER, migrate_schema=False)
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://q.test") as http:
                yield http
    finally:
        await runtime.close()


async def test_the_app_works_on_the_upgraded_database(client: httpx.AsyncClient) -> None:
    login = await client.post(
        "/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    job = (await client.get("/api/jobs/job_old", headers=headers)).json()
    assert job["status"] == "COMPLETED" and job["externalRef"] == "INV-7"
    extraction = await client.get("/api/jobs/job_old/extraction", headers=headers)
    assert extraction.status_code == 200 and extraction.json()["fields"]["total"] == 42.5
    endpoints = (await client.get("/api/webhooks", headers=headers)).json()["data"]
    assert [e["id"] for e in endpoints] == ["whe_old"]
    wrong = {"email": "ada@example.com", "password": "not it"}
    assert (await client.post("/api/auth/login", json=wrong)).status_code == 401
