"""A run's events as Server-Sent Events: replay from a sequence number, then follow.

Waiting is short polling of the `(run_id, seq)` index (`EVENT_STREAM_POLL_SECONDS`), with a
comment line every `EVENT_STREAM_HEARTBEAT_SECONDS` so proxies keep the connection. The
stream ends once the run is finished and every event up to its final one has been sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from quarry.core.errors import BadRequest, ErrorDetail
from quarry.events.service import run_events, wire_all
from quarry.runs.models import JobRun, RunStatus

if TYPE_CHECKING:
    from quarry.runtime import Runtime

BATCH = 500
RETRY_MILLISECONDS = 2000


MAX_SEQ = 2**31 - 1


def resume_point(last_event_id: str | None, after: int | None) -> int:
    """`Last-Event-ID` (what a reconnecting EventSource sends) wins over `?after=`; an id that
    is not a sequence number is ignored, one past the column's range is refused (400)."""
    text = (last_event_id or "").strip()
    if text.isascii() and text.isdigit():
        if len(text) > 10 or int(text) > MAX_SEQ:
            raise BadRequest(
                "Last-Event-ID is not a sequence number of this stream",
                details=[ErrorDetail("Last-Event-ID", f"must be at most {MAX_SEQ}")],
            )
        return int(text)
    return after or 0


def frame(payload: dict[str, Any]) -> str:
    """One SSE frame of an event's wire payload."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return f"id: {payload['seq']}\nevent: {payload['type']}\ndata: {data}\n\n"


async def run_stream(runtime: Runtime, run_id: str, after: int) -> AsyncIterator[str]:
    settings = runtime.settings
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    beat = time.monotonic()
    while True:
        finished, batch = await _next_batch(runtime, run_id, after)
        for payload in batch:
            yield frame(payload)
            after = payload.get("seq") or after
        if batch:
            beat = time.monotonic()
            if len(batch) == BATCH:
                continue
        if finished and not batch:
            return
        if time.monotonic() - beat >= settings.event_stream_heartbeat_seconds:
            yield ": keep-alive\n\n"
            beat = time.monotonic()
        if not batch:
            await asyncio.sleep(settings.event_stream_poll_seconds)


async def _next_batch(
    runtime: Runtime, run_id: str, after: int
) -> tuple[bool, list[dict[str, Any]]]:
    """Whether the run was finished, then the events after `after` (read in that order, so a
    finished run's final event is always among the events read)."""
    async with runtime.db.session() as session:
        status = await session.scalar(select(JobRun.status).where(JobRun.id == run_id))
        batch = await wire_all(session, await run_events(session, run_id, after=after, limit=BATCH))
    return status is not RunStatus.PROCESSING, batch
