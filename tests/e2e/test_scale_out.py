"""Real processes sharing one PostgreSQL: a worker killed mid-run, and three workers on one run."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests import pg
from tests.e2e.conftest import Api, new_user
from tests.e2e.server import Process, file_server, quarry_server, start_worker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TERMINAL_EVENTS = ("job.completed", "job.failed", "job.cancelled")


@pytest.fixture
def database(pg_server: str) -> Iterator[str]:
    with pg.clone(pg_server) as url:
        yield url


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Worker processes started by a test; stopped whatever happens."""
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


def upload_run(api: Api, count: int) -> str:
    schema_id = api.schema()
    names = ["docs/invoice2data-AzureInterior.pdf", "docs/invoice2data-QualityHosting.pdf"]
    handles = [(FIXTURES / names[i % 2]).open("rb") for i in range(count)]
    try:
        files = [("files", (f"doc-{i:03}.pdf", h)) for i, h in enumerate(handles)]
        answer = api.http.post(
            "/api/job-runs", files=files, data={"schemaId": schema_id, "jobType": "EXTRACTION"}
        )
    finally:
        for handle in handles:
            handle.close()
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def event_counts(database_url: str, run_id: str, types: tuple[str, ...]) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT job_id, count(*) FROM event WHERE run_id = %s AND type = ANY(%s) "
            "GROUP BY job_id",
            (run_id, list(types)),
        ).fetchall()
    return {str(job_id): int(n) for job_id, n in rows}


def wait_for_progress(api: Api, run_id: str, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.http.get(f"/api/job-runs/{run_id}").json()["completedJobs"] >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} made no progress")


def test_a_worker_killed_with_sigkill_loses_no_job(
    database: str, data_dir: Path, processes: list[Process]
) -> None:
    with (
        quarry_server(data_dir, database, "--no-workers") as (base_url, _),
        new_user(base_url) as api,
    ):
        first = start_worker(data_dir, database, "doomed")
        processes.append(first)
        run_id = upload_run(api, 50)
        wait_for_progress(api, run_id, at_least=5)
        first.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        processes.append(start_worker(data_dir, database, "rescuer"))
        run = api.wait_run(run_id, timeout=180)
        recovered_in = time.monotonic() - killed_at
        jobs = api.children(run_id)
    assert run["status"] == "COMPLETED", run
    assert run["completedJobs"] == 50 and run["failedJobs"] == run["cancelledJobs"] == 0
    assert {j["status"] for j in jobs} == {"COMPLETED"} and len(jobs) == 50
    finished = event_counts(database, run_id, TERMINAL_EVENTS)
    assert len(finished) == 50 and set(finished.values()) == {1}, finished
    print(
        f"\nrun finished {recovered_in:.1f} s after the SIGKILL; "
        f"{sum(j['attempts'] > 1 for j in jobs)} jobs needed a second attempt"
    )


def test_three_processes_share_a_200_document_run_without_doing_any_twice(
    database: str, data_dir: Path, processes: list[Process]
) -> None:
    names = ["docs/invoice2data-AzureInterior.pdf", "docs/invoice2data-QualityHosting.pdf"]
    with (
        file_server(FIXTURES) as files_url,
        quarry_server(data_dir, database) as (base_url, _),
        new_user(base_url) as api,
    ):
        processes.extend(start_worker(data_dir, database, f"w{i}") for i in range(2))
        urls = [
            {"url": f"{files_url}/{names[i % 2]}", "externalRef": f"row-{i}"} for i in range(200)
        ]
        answer = api.http.post(
            "/api/job-runs/from-urls",
            json={"schemaId": api.schema(), "jobType": "EXTRACTION", "urls": urls},
        )
        assert answer.status_code == 201, answer.text
        run_id = answer.json()["jobRunId"]
        run = api.wait_run(run_id, timeout=300)
        jobs = api.children(run_id)
    assert run["status"] == "COMPLETED" and run["completedJobs"] == 200, run
    assert sorted(j["externalRef"] for j in jobs) == sorted(f"row-{i}" for i in range(200))
    started = event_counts(database, run_id, ("job.started",))
    assert len(started) == 200 and set(started.values()) == {1}
    assert {j["attempts"] for j in jobs} == {1}
    workers_used = _workers_that_processed(database, run_id)
    assert workers_used >= 2, "the run was not shared between processes"


def _workers_that_processed(database_url: str, run_id: str) -> int:
    """How many distinct processes started this run's jobs (recorded on `job.started`)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(DISTINCT data->>'worker') FROM event "
            "WHERE run_id = %s AND type = 'job.started'",
            (run_id,),
        ).fetchone()
    return int(row[0]) if row else 0
