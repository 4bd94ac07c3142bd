"""A real PostgreSQL for the tests: DATABASE_URL when set, else Quarry's embedded server.

A template database is migrated once per session; each test module gets its own clone.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from quarry.core import migrate
from quarry.core.db import libpq_url
from quarry.core.embedded_pg import EmbeddedPostgres

TEMPLATE = f"quarry_tpl_{os.getpid()}"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(libpq_url(url))
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextmanager
def server_url() -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield libpq_url(external)
        return
    # Not pytest's tmp_path: that is private to root, and as root the server runs as another user.
    scratch = Path(tempfile.mkdtemp(prefix="quarry-test-pg-"))
    scratch.chmod(0o755)
    embedded = EmbeddedPostgres(scratch)
    url = embedded.start()
    embedded.adopt()
    try:
        yield url
    finally:
        embedded.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(with_database(url, "postgres"), autocommit=True)


@contextmanager
def template(url: str) -> Iterator[None]:
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
        conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    migrate.upgrade(with_database(url, TEMPLATE))
    try:
        yield
    finally:
        with _admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@contextmanager
def clone(url: str) -> Iterator[str]:
    name = f"quarry_test_{secrets.token_hex(6)}"
    with _admin(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    try:
        yield with_database(url, name)
    finally:
        with _admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
