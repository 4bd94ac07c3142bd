"""Write events (inside the transaction of the change they report) and read a run's events.

Recording an event does nothing else: the writer that records it then hands it to the webhook
outbox (`quarry/webhooks/outbox.py`, `fan_out`) itself, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.fields import FieldSpec
from quarry.core.ids import new_id
from quarry.core.time import to_wire, utcnow
from quarry.events.models import Event
from quarry.extraction_schemas.versions import VersionKey, version_specs
from quarry.results.order import order_fields
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
    event = _event(user_id, type, data, job_id=job_id, run_id=run_id, seq=seq)
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
) -> list[Event]:
    """Add several events (type, job id, data) at once, in order, with consecutive run seqs."""
    if not items:
        return []
    first = await _reserve_seqs(session, run_id, len(items)) if run_id else None
    added = [
        _event(
            user_id,
            type_,
            data,
            job_id=job_id,
            run_id=run_id,
            seq=first + offset if first is not None else None,
        )
        for offset, (type_, job_id, data) in enumerate(items)
    ]
    session.add_all(added)
    return added


def _event(
    user_id: str,
    type_: str,
    data: dict[str, Any],
    *,
    job_id: str | None,
    run_id: str | None,
    seq: int | None,
) -> Event:
    return Event(
        id=new_id("evt"),
        user_id=user_id,
        type=type_,
        job_id=job_id,
        run_id=run_id,
        seq=seq,
        data=data,
        occurred_at=utcnow(),
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


async def wire_all(session: AsyncSession, events: Sequence[Event]) -> list[dict[str, Any]]:
    """Events as webhooks, the events list and the stream carry them.

    The `data` column is jsonb, which does not keep key order: the result fields an event
    carries (`data.extraction.fields`) are put back in the order of the job's schema version.
    """
    specs = await version_specs(session, filter(None, map(_result_version, events)))
    return [wire(event, specs) for event in events]


def wire(
    event: Event, specs: dict[VersionKey, tuple[FieldSpec, ...]] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "occurredAt": to_wire(event.occurred_at),
    }
    if event.seq is not None:
        payload["seq"] = event.seq
    payload["data"] = event.data
    version = _result_version(event)
    if version is not None and specs and version in specs:
        extraction = event.data["extraction"]
        fields = order_fields(specs[version], extraction["fields"])
        payload["data"] = {**event.data, "extraction": {**extraction, "fields": fields}}
    return payload


def _result_version(event: Event) -> VersionKey | None:
    """The (schema id, version) of the result an event carries, if it carries one."""
    extraction, job = event.data.get("extraction"), event.data.get("job")
    if not isinstance(extraction, dict) or not isinstance(extraction.get("fields"), dict):
        return None
    if not isinstance(job, dict) or not job.get("schemaId") or job.get("schemaVersion") is None:
        return None
    return str(job["schemaId"]), int(job["schemaVersion"])
