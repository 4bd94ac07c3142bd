"""The Python client in-process: `AsyncClient(transport=httpx.ASGITransport(app))`, as a
user's own tests would use it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from quarry_client import AsyncClient, QuarryError

FIELDS = [{"name": "total", "type": "number"}, {"name": "vendor", "type": "text"}]


async def test_the_async_client_over_asgi(app: FastAPI, user: dict[str, Any]) -> None:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with AsyncClient(
        "http://quarry.test", token=user["accessToken"], transport=transport
    ) as quarry:
        schema = await quarry.schemas.create(name="In process", fields=FIELDS)
        found = await quarry.schemas.list(search="In process")
        with pytest.raises(QuarryError) as missing:
            await quarry.jobs.get("job_missing")
    assert [f["name"] for f in schema.fields] == ["total", "vendor"]
    assert [s.id for s in found.data] == [schema.id] and found.total == 1
    assert (missing.value.status_code, missing.value.code) == (404, "JOB_NOT_FOUND")
