"""Small helpers for integration tests that drive the app over ASGI."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INVOICE_SCHEMA = json.loads((FIXTURES / "invoice-schema.json").read_text())
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


async def create_schema(
    client: httpx.AsyncClient, headers: dict[str, str], fields: list[dict[str, Any]] | None = None
) -> str:
    body = {**INVOICE_SCHEMA, "fields": fields or INVOICE_SCHEMA["fields"]}
    answer = await client.post("/api/schema", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def wait_job(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str, timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
        if job["status"] in TERMINAL or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.1)


async def wait_run(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str, timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = (await client.get(f"/api/job-runs/{run_id}", headers=headers)).json()
        if run["status"] != "PROCESSING" or time.monotonic() > deadline:
            return run
        await asyncio.sleep(0.1)


async def children(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str
) -> list[dict[str, Any]]:
    answer = await client.get(
        f"/api/job-runs/{run_id}/jobs", params={"limit": 100}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def pdf(name: str = "docs/invoice2data-AzureInterior.pdf") -> bytes:
    return (FIXTURES / name).read_bytes()
