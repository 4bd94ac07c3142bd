"""End-to-end fixtures: a real `quarry serve` process on a real PostgreSQL, talked to over HTTP."""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import pg
from tests.e2e.server import quarry_server

_users = itertools.count()
INVOICE_SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "invoice-schema.json"


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    # world-traversable, so an embedded PostgreSQL run as another user can enter it
    root = Path(tempfile.mkdtemp(prefix="quarry-e2e-"))
    root.chmod(0o755)
    (root / "data").mkdir()
    yield root / "data"


@pytest.fixture(scope="module")
def server(pg_server: str, data_dir: Path) -> Iterator[str]:
    with pg.clone(pg_server) as url, quarry_server(data_dir, url) as (base_url, _):
        yield base_url


class Api:
    """A logged-in user of a running server."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self.http = httpx.Client(
            base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def schema(self, fields: list[dict[str, Any]] | None = None) -> str:
        body = json.loads(INVOICE_SCHEMA.read_text())
        if fields is not None:
            body["fields"] = fields
        answer = self.http.post("/api/schema", json=body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def wait_run(self, run_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run: dict[str, Any] = self.http.get(f"/api/job-runs/{run_id}").json()
            if run["status"] != "PROCESSING":
                return run
            time.sleep(0.25)
        raise AssertionError(f"run {run_id} still processing after {timeout}s: {run}")

    def wait_job(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.http.get(f"/api/jobs/{job_id}").json()
            if job["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} not finished after {timeout}s: {job}")

    def children(self, run_id: str) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = self.http.get(
                f"/api/job-runs/{run_id}/jobs", params={"page": page, "limit": 100}
            ).json()
            jobs += answer["data"]
            if page >= answer["totalPages"]:
                return jobs
            page += 1


def new_user(base_url: str) -> Api:
    n = next(_users)
    body = {
        "name": f"E2E {n}",
        "email": f"e2e{n}-{time.time_ns()}@example.com",
        "password": "correct horse battery",
    }
    answer = httpx.post(base_url + "/api/auth/register", json=body, timeout=30)
    assert answer.status_code == 201, answer.text
    return Api(base_url, answer.json()["accessToken"])


@pytest.fixture
def api(server: str) -> Iterator[Api]:
    with new_user(server) as user:
        yield user
