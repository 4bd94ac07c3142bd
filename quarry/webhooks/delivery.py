"""One attempt at one delivery (the `quarry.deliver_webhook` task), and the outbox sweeper.

An attempt is three steps: claim (a short transaction counts the attempt and marks it in
flight), send (no transaction open, except for run-ordered events below), record (a short
transaction writes the outcome, schedules the next attempt with its queue entry, or declares
the delivery DEAD and counts it against the endpoint). A worker killed at any point loses
nothing: the queue entry is re-run (stalled-job recovery, or the sweeper), and an attempt
whose outcome was never recorded is still counted and named in `lastError`.

`job_run.progress`, `job_run.completed` and `job_run.failed` of one run are sent to one
endpoint under a PostgreSQL advisory lock, and a progress event is not sent once its run has
finished, so a receiver never sees progress after the run's final event.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.crypto import SealedValueError, SecretBox
from quarry.core.time import utcnow
from quarry.events import service as events
from quarry.events.models import Event
from quarry.queue.defer import defer_deliveries
from quarry.sources.netguard import address_policy
from quarry.webhooks import bodies, service, transport
from quarry.webhooks.catalog import PROGRESS, RUN_FINAL, RUN_ORDERED
from quarry.webhooks.models import (
    BodyFormat,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from quarry.webhooks.signing import signed_headers

if TYPE_CHECKING:
    from quarry.runtime import Runtime

log = logging.getLogger(__name__)

_EARLY_SLACK = timedelta(seconds=1)
_JITTER = 0.1
_ORPHANS = text(
    """
    SELECT d.id FROM webhook_delivery d
    WHERE d.status IN ('PENDING', 'RETRYING')
      AND d.next_attempt_at < now() - make_interval(secs => :grace)
      AND NOT EXISTS (
        SELECT 1 FROM procrastinate_jobs p
        WHERE p.lock = d.id AND p.status IN ('todo', 'doing'))
    ORDER BY d.next_attempt_at LIMIT 1000
    """
)


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    attempt: int
    url: str
    secret: str
    body_format: BodyFormat
    event_type: str
    payload: dict[str, Any]
    previous_secret: str | None = None


async def deliver(runtime: Runtime, delivery_id: str) -> None:
    """Make the next attempt at a delivery, if one is due."""
    async with runtime.db.session() as session:
        row = await session.get(WebhookDelivery, delivery_id)
        ordered = row is not None and row.endpoint_id is not None and row.event_type in RUN_ORDERED
        key = f"{row.endpoint_id}:{row.run_id}" if row is not None and ordered else None
    async with _run_order_lock(runtime, key):
        claim = await _claim(runtime, delivery_id)
        if claim is None:
            return
        started = time.monotonic()
        outcome = await _send(runtime.settings, claim)
        await _record(runtime, claim, outcome)
    log.info(
        "webhook %s attempt %d: %s in %.0f ms",
        delivery_id,
        claim.attempt,
        outcome.status_code or outcome.error,
        (time.monotonic() - started) * 1000,
    )


async def sweep(runtime: Runtime) -> int:
    """Re-enqueue open deliveries whose queue entry is gone; returns how many."""
    grace = runtime.settings.stalled_after_seconds * 4
    async with runtime.db.transaction() as session:
        ids = list(await session.scalars(_ORPHANS, {"grace": grace}))
        if ids:
            log.warning("re-enqueueing %d webhook deliveries with no queue entry", len(ids))
            await defer_deliveries(session, ids)
    return len(ids)


@asynccontextmanager
async def _run_order_lock(runtime: Runtime, key: str | None) -> AsyncIterator[None]:
    if key is None:
        yield
        return
    async with runtime.db.transaction() as session:
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )
        yield


async def _claim(runtime: Runtime, delivery_id: str) -> Claim | None:
    settings = runtime.settings
    async with runtime.db.transaction() as session:
        delivery = await session.get(
            WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True
        )
        if delivery is None or not _due(delivery):
            return None
        endpoint = await _endpoint(session, delivery)
        if delivery.endpoint_id is not None and (endpoint is None or not endpoint.enabled):
            reason = "deleted" if endpoint is None else "disabled"
            _close(delivery, DeliveryStatus.DEAD, f"not sent: the endpoint is {reason}")
            return None
        if delivery.attempt_started_at is not None:
            delivery.last_error = (
                f"attempt {delivery.attempts}: the worker stopped before its outcome was known"
            )
            if _budget_spent(delivery, settings):
                await _dead(session, delivery, endpoint, settings)
                return None
        event = await session.get(Event, delivery.event_id)
        assert event is not None
        if event.type == PROGRESS and await _run_finished_after(session, event):
            _close(delivery, DeliveryStatus.SUCCEEDED, "not sent: superseded by the run's end")
            return None
        try:
            return await _start_attempt(session, runtime, delivery, endpoint, event)
        except SealedValueError:  # the key changed: retrying cannot help, and must not loop
            _close(
                delivery,
                DeliveryStatus.DEAD,
                "not sent: the signing secret cannot be "
                "opened with the configured WEBHOOK_ENCRYPTION_KEY; rotate the secret",
            )
            return None


def _due(delivery: WebhookDelivery) -> bool:
    if delivery.status not in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
        return False
    due = delivery.next_attempt_at
    return due is None or due <= utcnow() + _EARLY_SLACK


async def _endpoint(session: AsyncSession, delivery: WebhookDelivery) -> WebhookEndpoint | None:
    if delivery.endpoint_id is None:
        return None
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    return endpoint if endpoint is not None and endpoint.deleted_at is None else None


async def _run_finished_after(session: AsyncSession, event: Event) -> bool:
    final = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(
            Event.run_id == event.run_id,
            Event.seq > (event.seq or 0),
            Event.type.in_(RUN_FINAL),
        )
    )
    return bool(final)


async def _start_attempt(
    session: AsyncSession,
    runtime: Runtime,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | None,
    event: Event,
) -> Claim:
    box = runtime.secrets
    previous = None
    if endpoint is not None:
        url, body_format = endpoint.url, endpoint.body_format
        secret = box.open(endpoint.secret_sealed, purpose=service.ENDPOINT_SEAL)
        previous = _previous_secret(box, endpoint)
    else:
        url, body_format = str(delivery.callback_url), BodyFormat.JSON
        secret = await service.callback_secret(session, box, delivery.user_id)
    delivery.attempts += 1
    delivery.attempt_started_at = delivery.updated_at = utcnow()
    return Claim(
        delivery.id,
        delivery.attempts,
        url,
        secret,
        body_format,
        event.type,
        (await events.wire_all(session, [event]))[0],
        previous,
    )


def _previous_secret(box: SecretBox, endpoint: WebhookEndpoint) -> str | None:
    """The secret before the last rotation, while its grace period lasts."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed is None or expires is None or expires <= utcnow():
        return None
    return box.open(endpoint.previous_secret_sealed, purpose=service.ENDPOINT_SEAL)


async def _send(settings: Settings, claim: Claim) -> transport.Outcome:
    body, content_type = bodies.render(claim.payload, claim.body_format)
    headers = [
        ("Content-Type", content_type),
        *signed_headers(
            claim.secret,
            delivery_id=claim.delivery_id,
            event_type=claim.event_type,
            timestamp=int(time.time()),
            body=body,
            previous_secret=claim.previous_secret,
        ),
    ]
    return await transport.post(
        claim.url,
        body,
        headers,
        timeout_seconds=settings.webhook_timeout_seconds,
        policy=address_policy(settings),
    )


async def _record(runtime: Runtime, claim: Claim, outcome: transport.Outcome) -> None:
    settings = runtime.settings
    async with runtime.db.transaction() as session:
        delivery = await session.get(
            WebhookDelivery, claim.delivery_id, with_for_update=True, populate_existing=True
        )
        if delivery is None or delivery.attempts != claim.attempt:
            return
        delivery.attempt_started_at = None
        delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
        endpoint = await _endpoint(session, delivery)
        if outcome.delivered:
            _close(delivery, DeliveryStatus.SUCCEEDED, None, delivered=True)
            if endpoint is not None:
                endpoint.consecutive_dead = 0
        elif _budget_spent(delivery, settings):
            await _dead(session, delivery, endpoint, settings)
        else:
            await _retry_later(session, delivery, settings)


def _budget_spent(delivery: WebhookDelivery, settings: Settings) -> bool:
    return delivery.attempts - delivery.round_start >= settings.webhook_max_attempts


def retry_delay(settings: Settings, attempt_in_round: int) -> float:
    """Seconds before attempt n+1 after attempt n failed (the last delay repeats), ±10 %."""
    delays = settings.webhook_retry_delays
    base = delays[min(attempt_in_round, len(delays)) - 1]
    return base * random.uniform(1 - _JITTER, 1 + _JITTER)


async def _retry_later(
    session: AsyncSession, delivery: WebhookDelivery, settings: Settings
) -> None:
    delay = retry_delay(settings, delivery.attempts - delivery.round_start)
    at: datetime = utcnow() + timedelta(seconds=delay)
    delivery.status, delivery.next_attempt_at, delivery.updated_at = (
        DeliveryStatus.RETRYING,
        at,
        utcnow(),
    )
    await defer_deliveries(session, [delivery.id], scheduled_at=at)


async def _dead(
    session: AsyncSession,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | None,
    settings: Settings,
) -> None:
    """Give up; the endpoint is disabled after WEBHOOK_AUTO_DISABLE_THRESHOLD dead in a row."""
    _close(delivery, DeliveryStatus.DEAD, delivery.last_error)
    if endpoint is None:
        return
    count = await session.scalar(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id)
        .values(consecutive_dead=WebhookEndpoint.consecutive_dead + 1)
        .returning(WebhookEndpoint.consecutive_dead)
        .execution_options(synchronize_session=False)
    )
    if (count or 0) >= settings.webhook_auto_disable_threshold and endpoint.enabled:
        now = utcnow()
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint.id)
            .values(
                enabled=False,
                disabled_at=now,
                updated_at=now,
                disabled_reason=f"{count} deliveries in a row were DEAD",
            )
            .execution_options(synchronize_session=False)
        )
        log.warning("webhook endpoint %s disabled after %d dead deliveries", endpoint.id, count)


def _close(
    delivery: WebhookDelivery, status: DeliveryStatus, error: str | None, *, delivered: bool = False
) -> None:
    now = utcnow()
    delivery.status, delivery.last_error = status, error
    delivery.next_attempt_at, delivery.attempt_started_at, delivery.updated_at = None, None, now
    if delivered:
        delivery.delivered_at = now
