"""Fault drills on the zero-setup service (embedded PostgreSQL in the data folder), real processes.

- `quarry serve` SIGKILLed mid-run and started again on the same folder: every job finishes
  exactly once, the counters equal the children, every event reaches a webhook receiver once.
- The embedded PostgreSQL SIGKILLed mid-run: Quarry restarts it by itself, answers 503
  DATABASE_UNAVAILABLE (never 500) meanwhile, and the run finishes with nothing lost.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.conftest import Api, new_user
from tests.e2e.drills import (
    NO_SECRETS,
    assert_counters_match_children,
    assert_one_terminal_event_per_job,
    embedded_url,
    startup_block,
    wait_status,
)
from tests.e2e.server import quarry_server
from tests.e2e.test_scale_out import upload_run, wait_for_progress
from tests.fakes.webhook_receiver import webhook_receiver

DOCS = 10
EVENTS = ["job.started", "job.completed", "job.failed", "job.cancelled", "job_run.completed"]
FAST_HOOKS = {"WEBHOOK_RETRY_DELAYS": "0.5", "WORKER_CONCURRENCY": "2", **NO_SECRETS}

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="quarry-drill-"))
    root.chmod(0o755)  # as root, the embedded server runs as another user and must enter it
    yield root / "data"
    shutil.rmtree(root, ignore_errors=True)  # its server stopped with the last `quarry serve`


def subscribed_events(database_url: str, run_id: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id FROM event WHERE (run_id = %s OR job_id IN "
            "(SELECT id FROM job WHERE parent_run_id = %s)) AND type = ANY(%s)",
            (run_id, run_id, EVENTS),
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_serve_killed_mid_run_finishes_every_job_and_event_exactly_once(fresh_dir: Path) -> None:
    with webhook_receiver() as receiver:
        with quarry_server(fresh_dir, None, **FAST_HOOKS) as (base_url, first):
            api = new_user(base_url)
            hook = api.http.post("/api/webhooks", json={"url": receiver.url, "events": EVENTS})
            assert hook.status_code == 201, hook.text
            run_id = upload_run(api, DOCS)
            wait_for_progress(api, run_id, at_least=3)
            first.stop(signal.SIGKILL)
            api.http.close()
        report = startup_block(first.log.read_text())
        with (
            quarry_server(fresh_dir, None, **FAST_HOOKS) as (base_url, _),
            Api(base_url, api.token) as again,
        ):
            run = again.wait_run(run_id, timeout=120)
            assert_counters_match_children(again, run_id, DOCS)
            database = embedded_url(fresh_dir)
            assert_one_terminal_event_per_job(database, run_id, DOCS)
            expected = subscribed_events(database, run_id)
            receiver.wait_for(
                lambda got: expected <= {r.json()["id"] for r in got if r.ok}, timeout=60
            )
    assert run["status"] == "COMPLETED" and run["completedJobs"] == DOCS, run
    deliveries: dict[str, set[str]] = {}
    for request in receiver.delivered():
        deliveries.setdefault(request.json()["id"], set()).add(request.delivery_id)
    assert set(deliveries) >= expected
    # exactly once for a receiver that keys on `webhook-id`, as Standard Webhooks asks: a
    # delivery the crash interrupted between the receiver's 200 and its record is sent again
    # under the same id, never as a second delivery of the event
    assert all(len(ids) == 1 for ids in deliveries.values()), deliveries
    resent = len(receiver.delivered()) - len(deliveries)
    print(f"\n{len(deliveries)} events delivered once each ({resent} re-sent under their id)")
    assert report["data folder"] == str(fresh_dir.resolve())
    assert report["database"].startswith("embedded PostgreSQL in ")
    assert report["storage"] == f"local folder {(fresh_dir / 'blobs').resolve()}"
    assert report["extraction engine"].startswith("offline")
    assert report["OCR engine"].split()[0] in ("tesseract", "rapidocr")
    assert report["private addresses"].startswith("ALLOWED")  # the e2e env allows them
    assert report["workers"].startswith("in this process: 2 documents at once")


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "data" / "postmaster.pid").read_text().split()[0])


def poll_through_outage(api: Api, path: str, timeout: float = 60) -> tuple[list[int], float]:
    """Statuses of `path` from now until it answers 200 after failing; and how long that took."""
    started = time.monotonic()
    statuses: list[int] = []
    while time.monotonic() - started < timeout:
        answer = api.http.get(path)
        statuses.append(answer.status_code)
        if answer.status_code == 503:
            body = answer.json()
            assert body["code"] == "DATABASE_UNAVAILABLE", body
            assert int(answer.headers["retry-after"]) > 0
        if answer.status_code == 200 and len(set(statuses)) > 1:
            return statuses, time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{path} did not recover within {timeout} s: {Counter(statuses)}")


def test_embedded_postgres_killed_mid_run_is_restarted_and_nothing_is_lost(
    fresh_dir: Path,
) -> None:
    with (
        quarry_server(fresh_dir, None, **FAST_HOOKS) as (base_url, server),
        new_user(base_url) as api,
    ):
        run_id = upload_run(api, DOCS)
        wait_for_progress(api, run_id, at_least=3)
        killed = postmaster_pid(fresh_dir)
        signal_sent = time.monotonic()
        os.kill(killed, signal.SIGKILL)
        statuses, back_in = poll_through_outage(api, f"/api/job-runs/{run_id}")
        ready_in = wait_status(base_url + "/api/ready", 200) + time.monotonic() - signal_sent
        assert httpx.get(base_url + "/api/health").status_code == 200
        run = api.wait_run(run_id, timeout=120)
        assert_counters_match_children(api, run_id, DOCS)
        assert_one_terminal_event_per_job(embedded_url(fresh_dir), run_id, DOCS)
        assert postmaster_pid(fresh_dir) != killed
        assert server.popen.poll() is None
    assert 500 not in statuses, Counter(statuses)
    assert 503 in statuses, Counter(statuses)
    assert run["status"] == "COMPLETED" and run["completedJobs"] == DOCS, run
    print(
        f"\nPostgreSQL killed: first 200 again after {back_in:.1f} s "
        f"({Counter(statuses)}), ready again after {ready_in:.1f} s"
    )
