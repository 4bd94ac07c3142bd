"""Webhook endpoints (create, read, change, soft delete, rotate the secret), pings and manual
sends, the delivery log and redelivery, and each user's callback secret.

Errors: `NotFound` WEBHOOK_NOT_FOUND / WEBHOOK_DELIVERY_NOT_FOUND (missing, deleted or another
user's); `BadRequest` INVALID_URL (the URL cannot be used), PAYLOAD_TOO_LARGE (a send over
256 KiB); `Conflict` WEBHOOK_DISABLED (ping, send or redeliver to a disabled endpoint).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.auth.models import User
from quarry.core.config import Settings
from quarry.core.crypto import SealedValueError, SecretBox
from quarry.core.errors import BadRequest, Conflict, ErrorDetail, NotFound
from quarry.core.ids import new_id
from quarry.core.time import utcnow
from quarry.events import service as events
from quarry.queue.defer import defer_deliveries, deliver_now
from quarry.sources.netguard import (
    BlockedUrl,
    InvalidUrl,
    address_policy,
    check_url_at_request_time,
)
from quarry.webhooks import outbox
from quarry.webhooks.bodies import json_text
from quarry.webhooks.models import DeliveryMode, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from quarry.webhooks.schemas import MAX_SEND_BYTES, EndpointCreate, EndpointUpdate, SendIn
from quarry.webhooks.signing import new_secret

# purposes bound to sealed secrets (core/crypto.py)
ENDPOINT_SEAL = "webhook-secret"
CALLBACK_SEAL = "callback-secret"


def check_url(url: str, settings: Settings, field: str = "url") -> None:
    try:
        check_url_at_request_time(url, policy=address_policy(settings))
    except (InvalidUrl, BlockedUrl) as exc:
        raise BadRequest(
            f"{field} cannot receive webhooks: {exc}",
            code="INVALID_URL",
            details=[ErrorDetail(field, str(exc))],
        ) from exc


def check_routing(mode: DeliveryMode, events: list[str]) -> None:
    """An AUTOMATIC endpoint without event types would silently never receive anything."""
    if mode is DeliveryMode.AUTOMATIC and not events:
        raise BadRequest(
            "An AUTOMATIC endpoint needs the event types it should receive",
            details=[ErrorDetail("events", "list at least one event type for AUTOMATIC")],
        )


async def create_endpoint(
    session: AsyncSession, box: SecretBox, settings: Settings, user_id: str, body: EndpointCreate
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (the only time the secret is shown)."""
    check_url(body.url, settings)
    check_routing(body.delivery_mode, body.events)
    secret = new_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=new_id("whk"),
        user_id=user_id,
        secret_sealed=box.seal(secret, purpose=ENDPOINT_SEAL),
        consecutive_dead=0,
        created_at=now,
        updated_at=now,
        **body.model_dump(by_alias=False),
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def get_endpoint(
    session: AsyncSession, user_id: str, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id,
        WebhookEndpoint.user_id == user_id,
        WebhookEndpoint.deleted_at.is_(None),
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    endpoint = await session.scalar(query)
    if endpoint is None:
        raise NotFound(f"Webhook endpoint {endpoint_id} not found", code="WEBHOOK_NOT_FOUND")
    return endpoint


async def list_endpoints(
    session: AsyncSession, user_id: str, *, offset: int, limit: int
) -> tuple[list[WebhookEndpoint], int]:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.user_id == user_id, WebhookEndpoint.deleted_at.is_(None)
    )
    order = (WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc())
    rows = await session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return list(rows), await _count(session, query)


async def update_endpoint(
    session: AsyncSession, settings: Settings, user_id: str, endpoint_id: str, body: EndpointUpdate
) -> WebhookEndpoint:
    """Apply the given keys; enabling an endpoint clears its failure count and disable reason."""
    endpoint = await get_endpoint(session, user_id, endpoint_id, for_update=True)
    changes = body.model_dump(exclude_unset=True, by_alias=False)
    if changes.get("url") is not None:
        check_url(changes["url"], settings)
    for key, value in changes.items():
        if value is not None or key == "description":
            setattr(endpoint, key, value)
    check_routing(endpoint.delivery_mode, endpoint.events)
    if changes.get("enabled") is True:
        endpoint.consecutive_dead = 0
        endpoint.disabled_at = endpoint.disabled_reason = None
    elif changes.get("enabled") is False and endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = utcnow(), "disabled by its owner"
    endpoint.updated_at = utcnow()
    await session.flush()
    return endpoint


async def delete_endpoint(session: AsyncSession, user_id: str, endpoint_id: str) -> None:
    """Soft delete: no new deliveries; waiting ones are closed when their turn comes."""
    endpoint = await get_endpoint(session, user_id, endpoint_id, for_update=True)
    endpoint.deleted_at = endpoint.updated_at = utcnow()
    endpoint.enabled = False
    await session.flush()


async def rotate_secret(
    session: AsyncSession,
    box: SecretBox,
    user_id: str,
    endpoint_id: str,
    *,
    grace_seconds: float,
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, used from the next attempt on. For `grace_seconds` the old one
    signs too (a second signature), so receivers can switch without dropping deliveries."""
    endpoint = await get_endpoint(session, user_id, endpoint_id, for_update=True)
    secret = new_secret()
    now = utcnow()
    if grace_seconds > 0:
        endpoint.previous_secret_sealed = endpoint.secret_sealed
        endpoint.previous_secret_expires_at = now + timedelta(seconds=grace_seconds)
    else:
        endpoint.previous_secret_sealed = endpoint.previous_secret_expires_at = None
    endpoint.secret_sealed = box.seal(secret, purpose=ENDPOINT_SEAL)
    endpoint.updated_at = now
    await session.flush()
    return endpoint, secret


async def ping(session: AsyncSession, user_id: str, endpoint_id: str) -> WebhookDelivery:
    endpoint = await _usable(session, user_id, endpoint_id)
    data = {"webhookEndpointId": endpoint.id, "message": "Ping from Quarry"}
    return await _deliver_one(session, endpoint, "webhook.ping", data)


async def send(
    session: AsyncSession, user_id: str, endpoint_id: str, body: SendIn
) -> WebhookDelivery:
    """A manual event to one endpoint (MANUAL or AUTOMATIC), whatever types it lists."""
    if len(json_text(body.data).encode()) > MAX_SEND_BYTES:
        raise BadRequest(
            f"data is larger than {MAX_SEND_BYTES} bytes",
            code="PAYLOAD_TOO_LARGE",
            details=[ErrorDetail("data", f"at most {MAX_SEND_BYTES} bytes of JSON")],
        )
    endpoint = await _usable(session, user_id, endpoint_id)
    return await _deliver_one(session, endpoint, body.type, body.data)


async def list_deliveries(
    session: AsyncSession,
    user_id: str,
    endpoint_id: str,
    *,
    status: DeliveryStatus | None,
    event_type: str | None,
    offset: int,
    limit: int,
) -> tuple[list[WebhookDelivery], int]:
    await get_endpoint(session, user_id, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if event_type is not None:
        query = query.where(WebhookDelivery.event_type == event_type)
    order = (WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    rows = await session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return list(rows), await _count(session, query)


async def redeliver(
    session: AsyncSession, user_id: str, endpoint_id: str, delivery_id: str
) -> WebhookDelivery:
    """Start a new round of attempts now, with the same delivery id (receivers can dedupe)."""
    await _usable(session, user_id, endpoint_id)
    delivery = await session.get(
        WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True
    )
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound(f"Delivery {delivery_id} not found", code="WEBHOOK_DELIVERY_NOT_FOUND")
    now = utcnow()
    delivery.status = DeliveryStatus.PENDING
    delivery.round_start = delivery.attempts
    delivery.next_attempt_at = delivery.updated_at = now
    delivery.delivered_at = None
    await session.flush()
    await deliver_now(session, delivery.id)
    return delivery


async def callback_secret(session: AsyncSession, box: SecretBox, user_id: str) -> str:
    """The user's callback secret, made on first need (concurrent first uses agree on one)."""
    sealed = box.seal(new_secret(), purpose=CALLBACK_SEAL)
    await session.execute(
        update(User)
        .where(User.id == user_id, User.callback_secret.is_(None))
        .values(callback_secret=sealed)
        .execution_options(synchronize_session=False)
    )
    stored = await session.scalar(select(User.callback_secret).where(User.id == user_id))
    if stored is None:
        raise NotFound(f"User {user_id} not found", code="NOT_FOUND")
    return box.open(stored, purpose=CALLBACK_SEAL)


async def readable_callback_secret(session: AsyncSession, box: SecretBox, user_id: str) -> str:
    """The callback secret for its owner; 409 SECRET_UNREADABLE when it was sealed with another
    WEBHOOK_ENCRYPTION_KEY (rotating it makes a new one)."""
    try:
        return await callback_secret(session, box, user_id)
    except SealedValueError:
        raise Conflict(
            "Your callback secret was sealed with another WEBHOOK_ENCRYPTION_KEY and cannot be "
            "read; make a new one with POST /api/webhooks/callback-secret/rotate",
            code="SECRET_UNREADABLE",
        ) from None


async def rotate_callback_secret(session: AsyncSession, box: SecretBox, user_id: str) -> str:
    secret = new_secret()
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(callback_secret=box.seal(secret, purpose=CALLBACK_SEAL))
        .execution_options(synchronize_session=False)
    )
    return secret


async def _usable(session: AsyncSession, user_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, user_id, endpoint_id)
    if not endpoint.enabled:
        raise Conflict(
            f"Webhook endpoint {endpoint_id} is disabled; enable it with PATCH first",
            code="WEBHOOK_DISABLED",
        )
    return endpoint


async def _deliver_one(
    session: AsyncSession, endpoint: WebhookEndpoint, type_: str, data: dict[str, Any]
) -> WebhookDelivery:
    # addressed to this one endpoint: no fan-out to the subscribed ones
    event = await events.record(session, user_id=endpoint.user_id, type=type_, data=data)
    await session.flush()
    delivery: WebhookDelivery = outbox.new_delivery(event, endpoint.id)
    session.add(delivery)
    await session.flush()
    await defer_deliveries(session, [delivery.id])
    return delivery


async def _count(session: AsyncSession, query: Any) -> int:
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return int(total or 0)
