"""The `quarry` command line."""

from __future__ import annotations

import subprocess
import sys

import psycopg

from tests import pg


def quarry(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quarry", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_db_upgrade_creates_the_schema_and_is_repeatable(pg_server: str) -> None:
    name = "quarry_cli_upgrade"
    with psycopg.connect(pg.with_database(pg_server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg.with_database(pg_server, name)
    try:
        env = {
            "DATABASE_URL": url,
            "JWT_ACCESS_SECRET": "x" * 40,
            "WEBHOOK_ENCRYPTION_KEY": "y" * 40,
            "PATH": "/usr/bin:/bin",
        }
        for _ in range(2):
            result = quarry("db", "upgrade", env=env)
            assert result.returncode == 0, result.stderr
            assert "up to date" in result.stdout
        with psycopg.connect(url) as conn:
            tables = {
                r[0]
                for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
        assert {"job", "job_run", "event", "procrastinate_jobs"} <= tables
    finally:
        with psycopg.connect(pg.with_database(pg_server, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_production_mode_refuses_to_start_without_secrets() -> None:
    result = quarry(
        "serve",
        env={
            "QUARRY_ENV": "production",
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": "postgresql://nowhere/db",
        },
    )
    assert result.returncode == 2
    assert "JWT_ACCESS_SECRET" in result.stderr and "WEBHOOK_ENCRYPTION_KEY" in result.stderr


def test_version_and_help() -> None:
    assert quarry("--version").stdout.startswith("quarry ")
    assert "worker" in quarry("--help").stdout
