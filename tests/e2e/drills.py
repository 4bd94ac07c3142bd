"""Shared pieces of the fault drills: a zero-setup data folder, run checks, the start-up block."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg

from quarry.core.embedded_pg import EmbeddedPostgres
from tests.e2e.conftest import Api

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
TERMINAL_EVENTS = ("job.completed", "job.failed", "job.cancelled")
NO_SECRETS = {"JWT_ACCESS_SECRET": "", "WEBHOOK_ENCRYPTION_KEY": ""}  # kept in the data folder


def embedded_url(data_dir: Path) -> str:
    return EmbeddedPostgres(data_dir).url


def terminal_events(database_url: str, run_id: str) -> Counter[str]:
    """How many terminal events each job of the run has."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT j.id, count(e.id) FROM job j "
            "LEFT JOIN event e ON e.job_id = j.id AND e.type = ANY(%s) "
            "WHERE j.parent_run_id = %s GROUP BY j.id",
            (list(TERMINAL_EVENTS), run_id),
        ).fetchall()
    return Counter({str(job_id): int(n) for job_id, n in rows})


def assert_counters_match_children(api: Api, run_id: str, size: int) -> dict[str, Any]:
    """The run is finished, and its counters are exactly its children's statuses."""
    run: dict[str, Any] = api.http.get(f"/api/job-runs/{run_id}").json()
    jobs = api.children(run_id)
    statuses = Counter(job["status"] for job in jobs)
    assert len(jobs) == size == run["totalJobs"], (len(jobs), run)
    assert set(statuses) <= set(TERMINAL), statuses
    counted = {
        "COMPLETED": run["completedJobs"],
        "FAILED": run["failedJobs"],
        "CANCELLED": run["cancelledJobs"],
    }
    assert counted == {status: statuses[status] for status in TERMINAL}, (counted, statuses)
    return run


def assert_one_terminal_event_per_job(database_url: str, run_id: str, size: int) -> None:
    events = terminal_events(database_url, run_id)
    assert len(events) == size and set(events.values()) == {1}, events


def startup_block(log: str) -> dict[str, str]:
    """The `name: value` rows of the start-up report in a process's output."""
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if " starting (" in line)
    rows = {}
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        name, _, value = line.strip().partition(": ")
        rows[name.rstrip(":")] = value.strip()
    return rows


def wait_status(url: str, status: int, timeout: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(url, timeout=5).status_code == status:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {status} within {timeout} s")
