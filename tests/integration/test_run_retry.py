"""`POST /api/job-runs/:id/retry-failed`: failed children queued again, counters and events."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quarry.core.config import Settings
from tests.conftest import make_settings
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver
from tests.integration.helpers import FIXTURES, children, create_schema, wait_run
from tests.integration.webhook_helpers import wait_received

User = dict[str, Any]
INVOICE = FIXTURES / "docs/invoice2data-AzureInterior.pdf"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        webhook_retry_delays=[0.2],
        webhook_progress_interval_seconds=0.1,
    )


class GatedFiles:
    """Serves a folder; a request for `late.pdf` waits until `release` is set."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.release = threading.Event()
        gate = self.release

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith("late.pdf"):
                    gate.wait(30)
                super().do_GET()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
        )
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def files(tmp_path: Path) -> Iterator[GatedFiles]:
    shutil.copy(INVOICE, tmp_path / "a.pdf")
    served = GatedFiles(tmp_path)
    threading.Thread(target=served.httpd.serve_forever, daemon=True).start()
    try:
        yield served
    finally:
        served.release.set()
        served.httpd.shutdown()
        served.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


async def events_of(client: httpx.AsyncClient, headers: dict[str, str], run_id: str) -> list[Any]:
    answer = await client.get(
        f"/api/job-runs/{run_id}/events", params={"limit": 1000}, headers=headers
    )
    data: list[Any] = answer.json()["data"]
    return data


async def test_retry_failed_requeues_only_the_failed_jobs_and_settles_again(
    client: httpx.AsyncClient, user: User, files: GatedFiles, receiver: WebhookReceiver
) -> None:
    headers = user["headers"]
    body = {
        "schemaId": await create_schema(client, headers),
        "jobType": "EXTRACTION",
        "callbackUrl": receiver.url,
        "urls": [{"url": f"{files.url}/a.pdf"}, {"url": f"{files.url}/late.pdf"}],
    }
    answer = await client.post("/api/job-runs/from-urls", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    run_id = answer.json()["jobRunId"]
    retry = f"/api/job-runs/{run_id}/retry-failed"

    busy = await client.post(retry, headers=headers)  # late.pdf is still being fetched
    assert busy.status_code == 409 and busy.json()["code"] == "JOB_RUN_STATE_CONFLICT"

    files.release.set()  # late.pdf is missing: 404, its job fails
    first = await wait_run(client, headers, run_id)
    assert (first["status"], first["completedJobs"], first["failedJobs"]) == ("COMPLETED", 1, 1)
    done, failed = await children(client, headers, run_id)
    assert failed["errorCode"] == "DOWNLOAD_FAILED"
    await wait_received(receiver, lambda got: len(got) == 1)
    seen = len(await events_of(client, headers, run_id))

    shutil.copy(INVOICE, files.root / "late.pdf")
    answer = await client.post(retry, headers=headers)
    assert answer.status_code == 200, answer.text
    reopened = answer.json()
    assert reopened["status"] == "PROCESSING" and reopened["completedAt"] is None
    assert (reopened["completedJobs"], reopened["failedJobs"], reopened["progress"]) == (1, 0, 50)

    final = await wait_run(client, headers, run_id)
    assert (final["status"], final["completedJobs"], final["failedJobs"]) == ("COMPLETED", 2, 0)
    after_done, after_failed = await children(client, headers, run_id)
    assert after_done == done  # the completed job was not touched
    assert after_failed["status"] == "COMPLETED" and after_failed["attempts"] == 1
    assert after_failed["errorCode"] is None

    new = (await events_of(client, headers, run_id))[seen:]
    queued = [e for e in new if e["type"] == "job.queued"]
    assert [e["data"]["job"]["id"] for e in queued] == [failed["id"]]
    assert new[0]["type"] == "job.queued" and new[-1]["type"] == "job_run.completed"
    assert new[-1]["data"]["jobRun"]["completedJobs"] == 2
    assert [e["seq"] for e in new] == sorted(e["seq"] for e in new)

    got = await wait_received(receiver, lambda got: len(got) == 2)
    assert [r.json()["type"] for r in got] == ["job_run.completed", "job_run.completed"]
    assert got[1].json()["data"]["jobRun"]["failedJobs"] == 0

    unchanged = await client.post(retry, headers=headers)
    assert unchanged.status_code == 200 and unchanged.json() == final
    assert len(await events_of(client, headers, run_id)) == seen + len(new)


async def test_retry_failed_of_a_run_without_failures_or_of_another_user(
    client: httpx.AsyncClient, user: User, other_user: User, files: GatedFiles
) -> None:
    headers = user["headers"]
    body = {
        "schemaId": await create_schema(client, headers),
        "jobType": "EXTRACTION",
        "urls": [{"url": f"{files.url}/a.pdf"}],
    }
    run_id = (await client.post("/api/job-runs/from-urls", headers=headers, json=body)).json()[
        "jobRunId"
    ]
    run = await wait_run(client, headers, run_id)
    assert run["status"] == "COMPLETED"
    same = await client.post(f"/api/job-runs/{run_id}/retry-failed", headers=headers)
    assert same.status_code == 200 and same.json() == run
    other = await client.post(f"/api/job-runs/{run_id}/retry-failed", headers=other_user["headers"])
    assert other.status_code == 404 and other.json()["code"] == "JOB_RUN_NOT_FOUND"
