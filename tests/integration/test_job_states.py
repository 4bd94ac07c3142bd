"""Job and run states with no worker running, so every state is held still while we look."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from quarry.core.config import Settings
from quarry.jobs import processing, transitions
from quarry.jobs.states import JobStatus
from quarry.runtime import Runtime
from tests.conftest import make_settings
from tests.integration.helpers import create_schema, pdf

User = dict[str, Any]


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"), workers_in_server=False)


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


async def events_of(runtime: Runtime, job_id: str) -> list[str]:
    async with runtime.db.session() as session:
        rows = await session.execute(
            text("SELECT type FROM event WHERE job_id = :id ORDER BY occurred_at, id"),
            {"id": job_id},
        )
        return [row[0] for row in rows]


async def queue_entries(runtime: Runtime, job_id: str) -> int:
    async with runtime.db.session() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE lock = :id AND status = 'todo'"),
            {"id": job_id},
        )
        return int(count or 0)


async def test_a_new_job_is_queued_with_its_queue_entry_and_event(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await create_schema(client, user["headers"])
    job = await upload(client, user, schema_id)
    assert job["status"] == "QUEUED" and job["queuedAt"] and job["attempts"] == 0
    assert await queue_entries(runtime, job["id"]) == 1
    assert await events_of(runtime, job["id"]) == ["job.queued"]


async def test_cancel_then_restart(client: httpx.AsyncClient, user: User, runtime: Runtime) -> None:
    schema_id = await create_schema(client, user["headers"])
    job = await upload(client, user, schema_id)
    extraction = await client.get(f"/api/jobs/{job['id']}/extraction", headers=user["headers"])
    assert extraction.status_code == 409 and extraction.json()["code"] == "EXTRACTION_NOT_READY"
    cancelled = await client.post(f"/api/jobs/{job['id']}/cancel", headers=user["headers"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    assert cancelled.json()["completedAt"]
    again = await client.post(f"/api/jobs/{job['id']}/cancel", headers=user["headers"])
    assert again.status_code == 409 and again.json()["code"] == "JOB_STATE_CONFLICT"
    restarted = await client.post(f"/api/jobs/{job['id']}/restart", headers=user["headers"])
    assert restarted.status_code == 200 and restarted.json()["status"] == "QUEUED"
    assert restarted.json()["completedAt"] is None
    assert await events_of(runtime, job["id"]) == ["job.queued", "job.cancelled", "job.queued"]
    assert await queue_entries(runtime, job["id"]) == 2


async def test_run_cancel_cancels_queued_children_and_counts_them(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await create_schema(client, user["headers"])
    files = [("files", (f"f{i}.pdf", pdf())) for i in range(3)]
    run = (
        await client.post(
            "/api/job-runs",
            headers=user["headers"],
            files=files,
            data={"schemaId": schema_id, "jobType": "EXTRACTION"},
        )
    ).json()
    assert run["status"] == "PROCESSING" and run["totalJobs"] == 3 and run["progress"] == 0
    cancelled = await client.post(f"/api/job-runs/{run['id']}/cancel", headers=user["headers"])
    body = cancelled.json()
    assert cancelled.status_code == 200, body
    assert body["status"] == "CANCELLED" and body["cancelledJobs"] == 3
    assert body["progress"] == 100 and body["completedAt"]
    jobs = (await client.get(f"/api/job-runs/{run['id']}/jobs", headers=user["headers"])).json()
    assert {j["status"] for j in jobs["data"]} == {"CANCELLED"}
    again = await client.post(f"/api/job-runs/{run['id']}/cancel", headers=user["headers"])
    assert again.status_code == 409
    # restarting one child reopens the run
    child = jobs["data"][0]["id"]
    await client.post(f"/api/jobs/{child}/restart", headers=user["headers"])
    reopened = (await client.get(f"/api/job-runs/{run['id']}", headers=user["headers"])).json()
    assert reopened["status"] == "PROCESSING" and reopened["cancelledJobs"] == 2


async def test_run_events_are_numbered_in_order(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await create_schema(client, user["headers"])
    files = [("files", (f"f{i}.pdf", pdf())) for i in range(2)]
    run = (
        await client.post(
            "/api/job-runs",
            headers=user["headers"],
            files=files,
            data={"schemaId": schema_id, "jobType": "EXTRACTION"},
        )
    ).json()
    await client.post(f"/api/job-runs/{run['id']}/cancel", headers=user["headers"])
    async with runtime.db.session() as session:
        rows = list(
            await session.execute(
                text("SELECT seq, type FROM event WHERE run_id = :id ORDER BY seq"),
                {"id": run["id"]},
            )
        )
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert [r[1] for r in rows] == [
        "job_run.created",
        "job.queued",
        "job.queued",
        "job.cancelled",
        "job.cancelled",
        "job_run.completed",
    ]


async def test_a_job_cancelled_while_a_worker_picks_it_up_is_left_alone(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await create_schema(client, user["headers"])
    job = await upload(client, user, schema_id)
    async with runtime.db.transaction() as session:  # the cancel holds the job's row …
        await session.execute(
            text("SELECT 1 FROM job WHERE id = :id FOR UPDATE"), {"id": job["id"]}
        )
        worker = asyncio.create_task(processing.process_job(runtime, job["id"]))
        await waiting_for_a_lock(runtime)  # … while the worker, which read QUEUED, waits for it
        await transitions.move(session, job["id"], JobStatus.CANCELLED)
    await asyncio.wait_for(worker, 10)  # it steps back instead of raising IllegalTransition
    assert await events_of(runtime, job["id"]) == ["job.queued", "job.cancelled"]


async def waiting_for_a_lock(runtime: Runtime) -> None:
    for _ in range(100):
        async with runtime.db.session() as session:
            waiting = await session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker never waited for the job's row")
