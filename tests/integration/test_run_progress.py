"""`job_run.progress`: at most one per interval, the throttled one sent when due, never after
the run's final event. Jobs are moved by hand (no worker), so timing is ours."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from quarry.core.config import Settings
from quarry.jobs import transitions
from quarry.jobs.states import JobStatus
from quarry.runtime import Runtime
from tests.conftest import make_settings
from tests.integration.helpers import create_schema, pdf

User = dict[str, Any]
INTERVAL = 0.5


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        workers_in_server=False,
        webhook_progress_interval_seconds=INTERVAL,
    )


async def finish(runtime: Runtime, job_id: str) -> None:
    async with runtime.db.transaction() as session:
        await transitions.move(session, job_id, JobStatus.PROCESSING)
    async with runtime.db.transaction() as session:
        await transitions.move(session, job_id, JobStatus.COMPLETED)


async def run_events(runtime: Runtime, run_id: str) -> list[tuple[str, int]]:
    """(type, completedJobs) of the run's own events, in order."""
    async with runtime.db.session() as session:
        rows = await session.execute(
            text(
                "SELECT type, (data->'jobRun'->>'completedJobs')::int FROM event "
                "WHERE run_id = :id AND type LIKE 'job_run.%' ORDER BY seq"
            ),
            {"id": run_id},
        )
        return [(row[0], row[1]) for row in rows]


async def pending_flushes(runtime: Runtime, run_id: str) -> int:
    async with runtime.db.session() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'quarry.run_progress' "
                "AND args->>'run_id' = :id AND status = 'todo' AND scheduled_at > now()"
            ),
            {"id": run_id},
        )
        return int(count or 0)


async def test_progress_is_throttled_flushed_when_due_and_never_after_the_end(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await create_schema(client, user["headers"])
    run = (
        await client.post(
            "/api/job-runs",
            headers=user["headers"],
            files=[("files", (f"{i}.pdf", pdf())) for i in range(4)],
            data={"schemaId": schema_id, "jobType": "EXTRACTION"},
        )
    ).json()
    jobs = (await client.get(f"/api/job-runs/{run['id']}/jobs", headers=user["headers"])).json()[
        "data"
    ]
    await finish(runtime, jobs[0]["id"])
    await finish(runtime, jobs[1]["id"])  # within the interval: held back, flush scheduled
    assert await run_events(runtime, run["id"]) == [("job_run.created", 0), ("job_run.progress", 1)]
    assert await pending_flushes(runtime, run["id"]) == 1

    await asyncio.sleep(INTERVAL)
    async with runtime.db.transaction() as session:  # what the scheduled task does
        await transitions.flush_progress(session, run["id"])
    assert (await run_events(runtime, run["id"]))[-1] == ("job_run.progress", 2)

    await finish(runtime, jobs[2]["id"])  # held back again, then the run ends
    await finish(runtime, jobs[3]["id"])
    async with runtime.db.transaction() as session:  # a late flush must not follow the end
        await transitions.flush_progress(session, run["id"])
    types = [kind for kind, _ in await run_events(runtime, run["id"])]
    assert types[-1] == "job_run.completed"
    assert types == ["job_run.created", "job_run.progress", "job_run.progress", "job_run.completed"]
