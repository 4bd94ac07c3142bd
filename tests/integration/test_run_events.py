"""A run's events, pulled (`/events?after=`) and streamed (`/stream`, SSE, resumable)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from quarry.jobs.transitions import PROGRESS_INTERVAL_KEY
from quarry.runtime import Runtime
from tests.fakes.webhook_receiver import free_port
from tests.integration.helpers import wait_run
from tests.integration.webhook_helpers import upload_run

User = dict[str, Any]
Frame = dict[str, Any]


@pytest.fixture(scope="module")
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    """The app served over real HTTP (the stream is read as a client reads it)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


def progress_interval(runtime: Runtime, seconds: float) -> None:
    runtime.db.sessions.configure(info={PROGRESS_INTERVAL_KEY: seconds})


async def read_frames(
    base_url: str, headers: dict[str, str], run_id: str, *, stop_after: int | None = None
) -> list[Frame]:
    """Read the stream until it ends (or `stop_after` events, then drop the connection)."""
    frames: list[Frame] = []
    current: Frame = {}
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=60) as http,
        http.stream("GET", f"/api/job-runs/{run_id}/stream", headers=headers) as answer,
    ):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        async for line in answer.aiter_lines():
            if line.startswith(("id:", "event:", "data:")):
                key, _, value = line.partition(": ")
                current[key] = value
            elif not line and "id" in current:
                frames.append({**current, "data": json.loads(current["data"])})
                current = {}
                if stop_after is not None and len(frames) >= stop_after:
                    break
    return frames


async def test_the_stream_resumes_after_a_dropped_connection_without_gaps(
    client: httpx.AsyncClient, user: User, runtime: Runtime, base_url: str
) -> None:
    progress_interval(runtime, 0.0)
    run = await upload_run(client, user["headers"], 4)
    first = await read_frames(base_url, user["headers"], run["id"], stop_after=3)
    resume = {**user["headers"], "Last-Event-ID": first[-1]["id"]}
    rest = await asyncio.wait_for(read_frames(base_url, resume, run["id"]), timeout=90)
    frames = first + rest
    seqs = [int(f["id"]) for f in frames]
    assert seqs == list(range(1, len(frames) + 1)), seqs
    types = [f["event"] for f in frames]
    assert types[0] == "job_run.created" and types[-1] == "job_run.completed"
    assert types.count("job.completed") == 4 and types.count("job_run.progress") == 3
    assert all(f["data"]["seq"] == int(f["id"]) and f["data"]["type"] == f["event"] for f in frames)
    pulled = await client.get(
        f"/api/job-runs/{run['id']}/events", params={"limit": 1000}, headers=user["headers"]
    )
    assert [e["id"] for e in pulled.json()["data"]] == [f["data"]["id"] for f in frames]
    again = await read_frames(base_url, resume, run["id"])
    assert [f["id"] for f in again] == [f["id"] for f in rest]


async def test_events_are_paged_by_sequence_number_and_private(
    client: httpx.AsyncClient, user: User, other_user: User, runtime: Runtime
) -> None:
    progress_interval(runtime, 1000.0)
    run = await upload_run(client, user["headers"], 3)
    await wait_run(client, user["headers"], run["id"])
    url = f"/api/job-runs/{run['id']}/events"
    page = (await client.get(url, params={"after": 2, "limit": 3}, headers=user["headers"])).json()
    assert [e["seq"] for e in page["data"]] == [3, 4, 5]
    assert page["nextAfter"] == 5 and page["hasMore"] is True
    everything = (await client.get(url, params={"limit": 1000}, headers=user["headers"])).json()
    types = [e["type"] for e in everything["data"]]
    assert types.count("job_run.progress") == 1 and types[-1] == "job_run.completed"
    assert everything["hasMore"] is False
    assert types.index("job_run.progress") < types.index("job_run.completed")
    foreign = await client.get(url, headers=other_user["headers"])
    assert foreign.status_code == 404
    stream = await client.get(f"/api/job-runs/{run['id']}/stream", headers=other_user["headers"])
    assert stream.status_code == 404
