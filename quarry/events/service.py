"""Write events. Called only inside the transaction of the change the event reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.ids import new_id
from quarry.core.time import utcnow
from quarry.events.models import Event
from quarry.runs.models import JobRun


async def record(
    session: AsyncSession,
    *,
    user_id: str,
    type: str,
    data: dict[str, Any],
    job_id: str | None = None,
    run_id: str | None = None,
) -> Event:
    """Add one event; an event of a run gets the run's next sequence number."""
    seq = await _reserve_seqs(session, run_id, 1) if run_id else None
    event = Event(
        id=new_id("evt"),
        user_id=user_id,
        type=type,
        job_id=job_id,
        run_id=run_id,
        seq=seq,
        data=data,
        occurred_at=utcnow(),
    )
    session.add(event)
    return event


async def run_events(session: AsyncSession, run_id: str, *, after: int, limit: int) -> list[Event]:
    rows = await session.scalars(
        select(Event)
        .where(Event.run_id == run_id, Event.seq > after)
        .order_by(Event.seq)
        .limit(limit)
    )
    return list(rows)


async def record_many(
    session: AsyncSession,
    *,
    user_id: str,
    run_id: str | None,
    items: Sequence[tuple[str, str | None, dict[str, Any]]],
) -> None:
    """Add several events (type, job id, data) at once, in order, with consecutive run seqs."""
    if not items:
        return
    first = await _reserve_seqs(session, run_id, len(items)) if run_id else None
    now = utcnow()
    for offset, (type_, job_id, data) in enumerate(items):
        seq = first + offset if first is not None else None
        session.add(
            Event(
                id=new_id("evt"),
                user_id=user_id,
                type=type_,
                job_id=job_id,
                run_id=run_id,
                seq=seq,
                data=data,
                occurred_at=now,
            )
        )


async def _reserve_seqs(session: AsyncSession, run_id: str, count: int) -> int:
    result = await session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(event_seq=JobRun.event_seq + count)
        .returning(JobRun.event_seq)
        .execution_options(synchronize_session=False)
    )
    return int(result.scalar_one()) - count + 1
