"""Disk-full and database failures raised anywhere below a route answer coded errors."""

from __future__ import annotations

import errno

import httpx
import psycopg
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError, ProgrammingError

from quarry.core.db import translate_failure
from quarry.core.errors import DatabaseUnavailable, StorageFull
from quarry.http.errors import install_error_handlers


def failing_app(exc: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/upload")
    async def upload() -> None:
        raise exc

    return app


async def post(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/upload")


async def test_a_full_disk_answers_507_storage_full_without_a_stack_trace() -> None:
    for code in (errno.ENOSPC, errno.EDQUOT):
        answer = await post(failing_app(OSError(code, "No space left on device")))
        assert answer.status_code == 507
        assert answer.json()["code"] == "STORAGE_FULL"
        assert "Traceback" not in answer.text and "errno" not in answer.text.lower()


async def test_other_os_errors_stay_internal_errors() -> None:
    answer = await post(failing_app(PermissionError(errno.EACCES, "Permission denied")))
    assert answer.status_code == 500 and answer.json()["code"] == "INTERNAL_ERROR"


async def test_a_lost_database_connection_answers_503_with_retry_after() -> None:
    lost = OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))
    answer = await post(failing_app(lost))
    assert answer.status_code == 503
    assert answer.json()["code"] == "DATABASE_UNAVAILABLE"
    assert int(answer.headers["retry-after"]) > 0


def test_translation_keeps_real_bugs_as_bugs() -> None:
    bug = ProgrammingError("SELECT nope", {}, psycopg.errors.UndefinedColumn("nope"))
    assert translate_failure(bug) is None
    assert isinstance(translate_failure(psycopg.OperationalError("gone")), DatabaseUnavailable)
    full = OperationalError("INSERT", {}, psycopg.errors.DiskFull("could not extend file"))
    assert isinstance(translate_failure(full), StorageFull)
