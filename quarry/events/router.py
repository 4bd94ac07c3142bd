"""`/api/job-runs/:id/events` (pull, paged by sequence number) and `/stream` (SSE)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from quarry.auth.deps import CurrentUser
from quarry.core.api_model import ApiModel
from quarry.events import stream
from quarry.events.service import run_events, wire_all
from quarry.http.deps import RuntimeDep, SessionDep
from quarry.runs.service import get_run

router = APIRouter(prefix="/api/job-runs", tags=["run events"])

After = Annotated[int, Query(ge=0, description="only events with a larger sequence number")]


class RunEventsOut(ApiModel):
    data: list[dict[str, Any]]
    next_after: int
    has_more: bool


@router.get("/{run_id}/events", response_model=RunEventsOut)
async def list_events(
    run_id: str,
    *,
    principal: CurrentUser,
    session: SessionDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RunEventsOut:
    """The run's events in order; pass `nextAfter` back as `after` to read on."""
    await get_run(session, principal.user_id, run_id)
    rows = await run_events(session, run_id, after=after, limit=limit + 1)
    page = rows[:limit]
    last = page[-1].seq if page else None
    return RunEventsOut(
        data=await wire_all(session, page),
        next_after=last if last is not None else after,
        has_more=len(rows) > limit,
    )


@router.get(
    "/{run_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_events(
    run_id: str,
    *,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The run's events as they happen (`id:` is the sequence number); ends after the run's
    final event. Reconnect with `Last-Event-ID` (or `?after=`) to resume without gaps."""
    await get_run(session, principal.user_id, run_id)
    start = stream.resume_point(last_event_id, after)
    return StreamingResponse(
        stream.run_stream(runtime, run_id, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
