"""The client's event-stream decoder and the progress bookkeeping of `runs.wait`."""

from __future__ import annotations

import json
from typing import Any

from quarry_client import JobRun
from quarry_client._core import Progress, SseDecoder

RUN: dict[str, Any] = {
    "id": "run_1",
    "status": "PROCESSING",
    "schemaId": "sch_1",
    "schemaVersion": 1,
    "source": "UPLOAD",
    "totalJobs": 3,
    "completedJobs": 0,
    "failedJobs": 0,
    "cancelledJobs": 0,
    "progress": 0,
    "createdAt": "2026-11-28T10:00:00.000Z",
    "updatedAt": "2026-11-28T10:00:00.000Z",
}


def run_at(second: int, completed: int, status: str = "PROCESSING") -> dict[str, Any]:
    stamp = f"2026-11-28T10:00:{second:02d}.000Z"
    return {**RUN, "completedJobs": completed, "status": status, "updatedAt": stamp}


def feed(decoder: SseDecoder, text: str) -> list[Any]:
    return [e for line in text.split("\n") if (e := decoder.feed(line)) is not None]


def test_the_decoder_reads_frames_as_the_server_sends_them() -> None:
    payload = {"id": "evt_1", "type": "job_run.progress", "seq": 7, "data": {"jobRun": RUN}}
    body = json.dumps(payload)
    cut = body.index(' "type"')  # a frame's data lines are joined with newlines
    text = (
        "retry: 2000\n\n: keep-alive\n\n"
        f"id: 7\nevent: job_run.progress\ndata: {body[:cut]}\ndata:{body[cut:]}\n\n"
        "data: not json\n\n"
    )
    decoder = SseDecoder()
    events = feed(decoder, text)
    assert len(events) == 1  # comments, retry hints and broken frames are skipped
    assert (events[0].type, events[0].seq, events[0].data["jobRun"]["id"]) == (
        "job_run.progress",
        7,
        "run_1",
    )
    assert decoder.resume_headers() == {"Last-Event-ID": "7"}


def test_progress_never_goes_back_and_reports_only_changes() -> None:
    told: list[JobRun] = []
    progress = Progress("run_1", None, told.append)
    progress.update(JobRun.from_json(run_at(0, 0)))
    progress.update(JobRun.from_json(run_at(5, 2)))  # a fresh GET
    progress.update(JobRun.from_json(run_at(3, 1)))  # an older event arriving later
    progress.update(JobRun.from_json(run_at(5, 2)))  # the same state again
    progress.update(JobRun.from_json(run_at(9, 3, "COMPLETED")))
    assert [(r.completed_jobs, r.status) for r in told] == [
        (0, "PROCESSING"),
        (2, "PROCESSING"),
        (3, "COMPLETED"),
    ]
    assert progress.run is not None and progress.run.finished
