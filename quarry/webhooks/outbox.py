"""Fan-out of events to their webhook targets, in the transaction that writes the events.

The state writers call `fan_out` right after recording their events, with the schema id of
the job or run the events report (they know it; it is not read back out of the events' JSON).
For each event: the user's AUTOMATIC, enabled endpoints that list its type (only those the
schema names when the job's schema has `webhookEndpointIds`), plus the run's or standalone
job's `callbackUrl` for its completion event. One `webhook_delivery` row per target and its
queue entry are written in the caller's transaction: they commit with the state change or not
at all, so no event can be lost between the change and its delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.ids import new_id
from quarry.core.time import utcnow
from quarry.events.models import Event
from quarry.extraction_schemas.models import ExtractionSchema
from quarry.jobs.models import Job
from quarry.queue.defer import defer_deliveries
from quarry.webhooks.catalog import JOB_FINAL, RUN_FINAL
from quarry.webhooks.models import DeliveryMode, DeliveryStatus, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class _Target:
    endpoint_id: str | None
    callback_url: str | None = None


async def fan_out(
    session: AsyncSession, user_id: str, events: Sequence[Event], *, schema_id: str
) -> None:
    """Write a delivery (and enqueue it) for every target of every event.

    `schema_id`: the schema of the job or run the events report, whose `webhookEndpointIds`
    (when set) narrow the subscribed endpoints.
    """
    if not events:
        return
    rows: list[dict[str, Any]] = []
    endpoints = await _subscribed_endpoints(session, user_id)
    if endpoints:
        bound = await _bound_endpoints(session, schema_id)
        rows += [
            _row(event, _Target(endpoint_id))
            for event in events
            for endpoint_id, types in endpoints
            if event.type in types and (not bound or endpoint_id in bound)
        ]
    rows += [_row(event, target) for event, target in await _callbacks(session, events)]
    if rows:
        await session.flush()  # the events exist before the deliveries that refer to them
        await session.execute(insert(WebhookDelivery), rows)
        await defer_deliveries(session, [row["id"] for row in rows])


def new_delivery(event: Event, endpoint_id: str | None, callback_url: str | None = None) -> Any:
    """A delivery row for an event (also used for pings and sends)."""
    return WebhookDelivery(**_row(event, _Target(endpoint_id, callback_url)))


def _row(event: Event, target: _Target) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id("dlv"),
        "user_id": event.user_id,
        "endpoint_id": target.endpoint_id,
        "callback_url": target.callback_url,
        "event_id": event.id,
        "event_type": event.type,
        "run_id": event.run_id,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "round_start": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def _subscribed_endpoints(
    session: AsyncSession, user_id: str
) -> list[tuple[str, frozenset[str]]]:
    rows = await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.user_id == user_id,
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.deleted_at.is_(None),
            WebhookEndpoint.delivery_mode == DeliveryMode.AUTOMATIC,
        )
    )
    return [(endpoint_id, frozenset(types or ())) for endpoint_id, types in rows]


async def _bound_endpoints(session: AsyncSession, schema_id: str) -> set[str]:
    """The endpoint ids a schema is bound to (empty: every subscribed endpoint)."""
    ids = await session.scalar(
        select(ExtractionSchema.webhook_endpoint_ids).where(ExtractionSchema.id == schema_id)
    )
    return set(ids or ())


async def _callbacks(session: AsyncSession, events: Sequence[Event]) -> list[tuple[Event, _Target]]:
    """A run's completion event goes to the run's callbackUrl; a standalone job's to the job's."""
    found: list[tuple[Event, _Target]] = []
    standalone: dict[str, Event] = {}
    for event in events:
        if event.type in RUN_FINAL:
            url = event.data.get("jobRun", {}).get("callbackUrl")
            if url:
                found.append((event, _Target(None, str(url))))
        elif event.type in JOB_FINAL and event.job_id and event.run_id is None:
            standalone[event.job_id] = event
    if standalone:
        rows = await session.execute(
            select(Job.id, Job.callback_url).where(
                Job.id.in_(standalone), Job.callback_url.is_not(None)
            )
        )
        found += [(standalone[job_id], _Target(None, str(url))) for job_id, url in rows]
    return found
