"""What a worker does when a document hangs, a job is cancelled mid-way, or a URL flakes."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import psutil
import pytest
from sqlalchemy import text

from quarry.core.config import Settings
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import registry
from quarry.parsing import ParsedDocument
from quarry.runtime import Runtime
from tests.conftest import make_settings
from tests.integration.helpers import FIXTURES, create_schema, pdf, wait_job

User = dict[str, Any]


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        extraction_timeout_seconds=3,
        job_retry_base_seconds=0.2,
    )


class SleepingEngine:
    """An engine that never finishes (registered by this module only)."""

    name = "sleeping"
    version = "0"

    def extract(self, document: ParsedDocument, context: EngineContext) -> ExtractionResult:
        time.sleep(600)
        raise AssertionError("unreachable")


@pytest.fixture(scope="module", autouse=True)
def sleeping_engine() -> Iterator[None]:
    registry.register("sleeping", SleepingEngine)
    yield
    registry.unregister("sleeping")


async def schema_using(client: httpx.AsyncClient, user: User, runtime: Runtime, engine: str) -> str:
    schema_id = await create_schema(client, user["headers"])
    async with runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE extraction_schema SET engine = :e WHERE id = :id"),
            {"e": engine, "id": schema_id},
        )
    return schema_id


async def upload(client: httpx.AsyncClient, user: User, schema_id: str) -> dict[str, Any]:
    answer = await client.post(
        "/api/jobs",
        headers=user["headers"],
        data={"type": "EXTRACTION", "schemaId": schema_id},
        files={"file": ("invoice.pdf", pdf())},
    )
    assert answer.status_code == 201, answer.text
    job: dict[str, Any] = answer.json()
    return job


def extraction_children() -> list[psutil.Process]:
    """Document child processes below this test process (the fork server's children)."""
    me = psutil.Process()
    direct = {child.pid for child in me.children()}
    return [p for p in me.children(recursive=True) if p.ppid() in direct]


async def test_a_hanging_document_fails_with_extraction_timeout(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await schema_using(client, user, runtime, "sleeping")
    started = time.monotonic()
    job = await wait_job(client, user["headers"], (await upload(client, user, schema_id))["id"])
    assert job["status"] == "FAILED" and job["errorCode"] == "EXTRACTION_TIMEOUT"
    assert job["attempts"] == 1
    assert time.monotonic() - started < 15
    # the worker lives on: the next document is processed normally
    ok = await wait_job(
        client,
        user["headers"],
        (await upload(client, user, await create_schema(client, user["headers"])))["id"],
    )
    assert ok["status"] == "COMPLETED"


async def test_cancelling_a_processing_job_stops_its_child_process(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await schema_using(client, user, runtime, "sleeping")
    job = await upload(client, user, schema_id)
    deadline = time.monotonic() + 10
    while (await client.get(f"/api/jobs/{job['id']}", headers=user["headers"])).json()[
        "status"
    ] != "PROCESSING":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    assert extraction_children(), "the document should be in a child process"
    answer = await client.post(f"/api/jobs/{job['id']}/cancel", headers=user["headers"])
    assert answer.status_code == 200 and answer.json()["status"] == "CANCELLED"
    deadline = time.monotonic() + 5
    while extraction_children():
        assert time.monotonic() < deadline, "the child process outlived the cancel"
        await asyncio.sleep(0.1)
    final = (await client.get(f"/api/jobs/{job['id']}", headers=user["headers"])).json()
    assert final["status"] == "CANCELLED"


class Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first `failures` requests of each path, then the invoice."""

    failures: ClassVar[dict[str, int]] = {}
    seen: ClassVar[dict[str, list[float]]] = {}

    def do_GET(self) -> None:
        times = self.seen.setdefault(self.path, [])
        times.append(time.monotonic())
        if len(times) <= self.failures.get(self.path, 0):
            self.send_response(503)
            self.end_headers()
            return
        body = (FIXTURES / "docs/invoice2data-AzureInterior.pdf").read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def flaky_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_transient_download_failures_are_retried_with_backoff(
    client: httpx.AsyncClient, user: User, flaky_url: str
) -> None:
    Flaky.failures.update({"/twice.pdf": 2, "/always.pdf": 100})
    schema_id = await create_schema(client, user["headers"])
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "urls": [{"url": f"{flaky_url}/twice.pdf"}, {"url": f"{flaky_url}/always.pdf"}],
    }
    created = (
        await client.post("/api/job-runs/from-urls", headers=user["headers"], json=body)
    ).json()
    jobs = (
        await client.get(f"/api/job-runs/{created['jobRunId']}/jobs", headers=user["headers"])
    ).json()["data"]
    recovered = await wait_job(client, user["headers"], jobs[0]["id"])
    gave_up = await wait_job(client, user["headers"], jobs[1]["id"])
    assert recovered["status"] == "COMPLETED" and recovered["attempts"] == 3
    assert gave_up["status"] == "FAILED" and gave_up["attempts"] == 3
    assert gave_up["errorCode"] == "DOWNLOAD_FAILED" and "503" in gave_up["errorMessage"]
    gaps = [
        b - a
        for a, b in zip(Flaky.seen["/always.pdf"], Flaky.seen["/always.pdf"][1:], strict=False)
    ]
    # each retry waits at least its backoff (0.2 s, then 0.4 s; due jobs are polled each second)
    assert len(gaps) == 2 and gaps[0] >= 0.2 and gaps[1] >= 0.4
