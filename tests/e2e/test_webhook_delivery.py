"""Webhooks from real processes: a worker SIGKILLed mid-run loses no subscribed event."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from standardwebhooks import Webhook

from tests import pg
from tests.e2e.conftest import new_user
from tests.e2e.server import Process, quarry_server, start_worker
from tests.e2e.test_scale_out import upload_run
from tests.fakes.webhook_receiver import webhook_receiver

DOCS = 30
EVENTS = ["job.started", "job.completed", "job_run.progress", "job_run.completed"]


@pytest.fixture
def database(pg_server: str) -> Iterator[str]:
    with pg.clone(pg_server) as url:
        yield url


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


def expected_events(database_url: str, run_id: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id FROM event WHERE run_id = %s AND type = ANY(%s)", (run_id, EVENTS)
        ).fetchall()
    return {str(row[0]) for row in rows}


def superseded_progress(database_url: str, endpoint_id: str, event_ids: set[str]) -> set[str]:
    """Progress events closed unsent because their run had ended first (by design: progress
    never arrives after the run's final event); every other event must be delivered."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT event_id FROM webhook_delivery WHERE endpoint_id = %s "
            "AND event_id = ANY(%s) AND event_type = 'job_run.progress' "
            "AND status = 'SUCCEEDED' AND last_error LIKE %s",
            (endpoint_id, list(event_ids), "%superseded%"),
        ).fetchall()
    return {str(row[0]) for row in rows}


def delivery_rows(database_url: str, event_ids: set[str]) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT event_type, status, attempts, last_error FROM webhook_delivery "
            "WHERE event_id = ANY(%s)",
            (list(event_ids),),
        ).fetchall()


def delivery_log(database_url: str, endpoint_id: str) -> dict[str, tuple[str, int]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id, status, attempts FROM webhook_delivery WHERE endpoint_id = %s",
            (endpoint_id,),
        ).fetchall()
    return {str(i): (str(s), int(a)) for i, s, a in rows}


def test_a_worker_killed_mid_delivery_loses_no_event(
    database: str, data_dir: Path, processes: list[Process]
) -> None:
    env = {"WEBHOOK_RETRY_DELAYS": "0.5", "WEBHOOK_PROGRESS_INTERVAL_SECONDS": "0.5"}
    with (
        webhook_receiver(delay=0.05) as receiver,
        quarry_server(data_dir, database, "--no-workers", **env) as (base_url, _),
        new_user(base_url) as api,
    ):
        created = api.http.post("/api/webhooks", json={"url": receiver.url, "events": EVENTS})
        assert created.status_code == 201, created.text
        endpoint = created.json()
        doomed = start_worker(data_dir, database, "doomed-hooks", **env)
        processes.append(doomed)
        run_id = upload_run(api, DOCS)
        receiver.wait_for(
            lambda got: sum(r.json()["type"] == "job.completed" for r in got) >= 5, timeout=120
        )
        doomed.stop(signal.SIGKILL)
        processes.append(start_worker(data_dir, database, "survivor-hooks", **env))
        assert api.wait_run(run_id, timeout=240)["completedJobs"] == DOCS

        expected = expected_events(database, run_id)
        assert len(expected) >= 2 * DOCS + 1

        def undelivered() -> set[str]:
            missing = expected - {r.json()["id"] for r in receiver.delivered()}
            return missing - superseded_progress(database, endpoint["id"], missing)

        deadline = time.monotonic() + 120
        while undelivered() and time.monotonic() < deadline:
            time.sleep(0.25)
        assert not undelivered(), (undelivered(), delivery_rows(database, undelivered()))

        verifier = Webhook(endpoint["signingSecret"])
        for request in receiver.received[:5]:
            verifier.verify(request.body, request.headers)
        log = delivery_log(database, endpoint["id"])
        seen = Counter(r.delivery_id for r in receiver.received)
        assert all(seen[d] <= attempts for d, (_, attempts) in log.items()), (seen, log)
        types = [r.json()["type"] for r in receiver.delivered()]
        final = types.index("job_run.completed")
        assert "job_run.progress" not in types[final:]
