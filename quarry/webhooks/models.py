"""Webhook endpoints and their deliveries (the outbox rows, one per event and target)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quarry.core.db import Base, Timestamped, text_enum
from quarry.core.time import utcnow


class DeliveryMode(StrEnum):
    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"


class BodyFormat(StrEnum):
    JSON = "JSON"
    XML = "XML"
    FORM = "FORM"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    RETRYING = "RETRYING"
    DEAD = "DEAD"


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class WebhookEndpoint(Timestamped, Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    delivery_mode: Mapped[DeliveryMode] = mapped_column(text_enum(DeliveryMode, 10))
    events: Mapped[list[Any]] = mapped_column(default=list)
    body_format: Mapped[BodyFormat] = mapped_column(text_enum(BodyFormat, 10))
    enabled: Mapped[bool] = mapped_column(default=True)
    secret_sealed: Mapped[str] = mapped_column(Text)
    # after a rotation, the old secret also signs (as a second signature) until it expires
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    consecutive_dead: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookDelivery(Base):
    """One event for one target: an endpoint, or a run's/job's `callbackUrl` (endpoint_id null).

    `attempts` counts every request started; `round_start` is the value of `attempts` when the
    current round of retries began (a redeliver starts a new round). `attempt_started_at` is set
    while a request is in flight, so an attempt whose worker died is still counted.
    """

    __tablename__ = "webhook_delivery"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    endpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), default=None
    )
    callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    event_id: Mapped[str] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    run_id: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[DeliveryStatus] = mapped_column(text_enum(DeliveryStatus, 10))
    attempts: Mapped[int] = mapped_column(default=0)
    round_start: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    attempt_started_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at"),
        Index(
            "ix_webhook_delivery_open",
            "next_attempt_at",
            postgresql_where="status IN ('PENDING', 'RETRYING')",
        ),
    )
