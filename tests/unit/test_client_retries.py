"""The client's retries of 429 and 503, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import email.utils
import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from quarry_client import AsyncClient, Client, QuarryError
from quarry_client._core import retry_after_seconds

SCHEMA = {
    "id": "sch_1",
    "name": "Invoice",
    "description": None,
    "fields": [{"name": "total", "type": "number"}],
    "version": 1,
    "webhookEndpointIds": [],
    "engine": None,
    "createdAt": "2026-11-28T10:00:00.000Z",
    "updatedAt": "2026-11-28T10:00:00.000Z",
}


RUN = {
    "id": "run_1",
    "status": "PROCESSING",
    "jobType": "EXTRACTION",
    "schemaId": "sch_1",
    "schemaVersion": 1,
    "source": "UPLOAD",
    "importBatchId": None,
    "totalJobs": 2,
    "completedJobs": 0,
    "failedJobs": 0,
    "cancelledJobs": 0,
    "progress": 0,
    "callbackUrl": None,
    "createdAt": "2026-11-28T10:00:00.000Z",
    "startedAt": None,
    "completedAt": None,
    "updatedAt": "2026-11-28T10:00:00.000Z",
}


class Script:
    """Answers the scripted (status, headers) in turn, then 200 with a schema."""

    def __init__(self, *answers: tuple[int, dict[str, str]]) -> None:
        self.answers = list(answers)
        self.arrivals: list[float] = []
        self.authorization: list[str | None] = []
        self.bodies: list[bytes] = []


@contextmanager
def scripted_server(script: Script) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            script.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.do_GET()

        def do_GET(self) -> None:
            script.arrivals.append(time.monotonic())
            script.authorization.append(self.headers.get("Authorization"))
            status, headers = script.answers.pop(0) if script.answers else (200, {})
            body = (
                (RUN if self.command == "POST" else SCHEMA) if status == 200 else error_body(status)
            )
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {**headers, "Content-Type": "application/json"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/api"
    finally:
        httpd.shutdown()
        httpd.server_close()


def error_body(status: int) -> dict[str, object]:
    code = "RATE_LIMITED" if status == 429 else "ENGINE_ERROR"
    return {"statusCode": status, "error": "x", "code": code, "message": "slow down"}


def test_a_429_is_retried_after_its_retry_after() -> None:
    script = Script((429, {"Retry-After": "1"}), (503, {}))
    with scripted_server(script) as url, Client(url, api_key="ef_live_k") as quarry:
        schema = quarry.schemas.get("sch_1")
    assert schema.fields == [{"name": "total", "type": "number"}]
    assert len(script.arrivals) == 3
    assert script.arrivals[1] - script.arrivals[0] >= 0.95  # honoured Retry-After: 1
    assert set(script.authorization) == {"Bearer ef_live_k"}


def test_retries_are_bounded_and_end_in_the_servers_error() -> None:
    script = Script(*[(429, {"Retry-After": "0"})] * 5)
    with (
        scripted_server(script) as url,
        Client(url, max_retries=2) as quarry,
        pytest.raises(QuarryError) as caught,
    ):
        quarry.schemas.get("sch_1")
    assert (caught.value.status_code, caught.value.code) == (429, "RATE_LIMITED")
    assert len(script.arrivals) == 3  # the first try and two retries


def test_other_errors_are_not_retried() -> None:
    script = Script((500, {}))
    with (
        scripted_server(script) as url,
        Client(url) as quarry,
        pytest.raises(QuarryError) as caught,
    ):
        quarry.schemas.get("sch_1")
    assert caught.value.status_code == 500 and len(script.arrivals) == 1


async def test_the_async_client_retries_too() -> None:
    script = Script((503, {"Retry-After": "0.2"}))
    with scripted_server(script) as url:
        async with AsyncClient(url, token="jwt") as quarry:
            schema = await quarry.schemas.get("sch_1")
    assert schema.id == "sch_1" and len(script.arrivals) == 2
    assert script.authorization[0] == "Bearer jwt"


def test_retry_after_as_an_http_date() -> None:
    now = time.time()
    when = email.utils.formatdate(now + 30, usegmt=True)
    seconds = retry_after_seconds(when, now=now)
    assert seconds is not None and 29 <= seconds <= 31
    assert retry_after_seconds("garbage") is None and retry_after_seconds("2.5") == 2.5


def test_api_key_and_token_are_exclusive() -> None:
    with pytest.raises(ValueError, match="not both"):
        Client("http://127.0.0.1:9", api_key="a", token="b")


def test_a_retried_upload_sends_every_file_whole_again(tmp_path: Path) -> None:
    on_disk = tmp_path / "a.pdf"
    on_disk.write_bytes(b"%PDF-1.4 first file " * 100)
    in_memory = io.BytesIO(b"%PDF-1.4 second file")
    script = Script((503, {"Retry-After": "0"}))
    with scripted_server(script) as url, Client(url) as quarry:
        run = quarry.runs.create(
            [on_disk, ("b.pdf", in_memory)], schema_id="sch_1", external_refs=["r1", None]
        )
    assert run.id == "run_1" and run.total_jobs == 2
    assert len(script.bodies) == 2
    for body in script.bodies:
        assert body.count(b"%PDF-1.4 first file ") == 100 and b"%PDF-1.4 second file" in body
        assert b'["r1", null]' in body
