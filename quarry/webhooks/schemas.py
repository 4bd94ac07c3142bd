"""Wire models of webhook endpoints, deliveries, the event catalog and the callback secret."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from quarry.core.api_model import ApiModel, StrictInput, Timestamp
from quarry.webhooks.catalog import CATALOG
from quarry.webhooks.models import BodyFormat, DeliveryMode, DeliveryStatus

MAX_SEND_BYTES = 256 * 1024


def _known_types(types: list[str] | None) -> list[str] | None:
    if types is None:
        return None
    unknown = [t for t in types if t not in CATALOG]
    if unknown:
        raise ValueError(f"unknown event types {unknown}; see GET /api/webhooks/event-catalog")
    return list(dict.fromkeys(types))


class EndpointCreate(StrictInput):
    url: str = Field(min_length=1, max_length=4096)
    description: str | None = Field(None, max_length=2000)
    delivery_mode: DeliveryMode = DeliveryMode.AUTOMATIC
    events: list[str] = Field(default_factory=list, max_length=len(CATALOG))
    body_format: BodyFormat = BodyFormat.JSON
    enabled: bool = True

    _events = field_validator("events")(_known_types)


class EndpointUpdate(StrictInput):
    url: str | None = Field(None, min_length=1, max_length=4096)
    description: str | None = Field(None, max_length=2000)
    delivery_mode: DeliveryMode | None = None
    events: list[str] | None = Field(None, max_length=len(CATALOG))
    body_format: BodyFormat | None = None
    enabled: bool | None = None

    _events = field_validator("events")(_known_types)


class EndpointOut(ApiModel):
    id: str
    url: str
    description: str | None
    delivery_mode: DeliveryMode
    events: list[str]
    body_format: BodyFormat
    enabled: bool
    disabled_at: Timestamp | None
    disabled_reason: str | None
    consecutive_failures: int = Field(validation_alias="consecutive_dead")
    created_at: Timestamp
    updated_at: Timestamp


class EndpointWithSecretOut(EndpointOut):
    signing_secret: str


class SendIn(StrictInput):
    type: str = Field("webhook.send", pattern=r"^[a-z][a-z0-9_.-]{0,39}$")
    data: dict[str, Any]


class DeliveryOut(ApiModel):
    id: str
    webhook_endpoint_id: str | None = Field(validation_alias="endpoint_id")
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: Timestamp | None
    created_at: Timestamp
    delivered_at: Timestamp | None


class CatalogEntry(ApiModel):
    type: str
    description: str


class CatalogOut(ApiModel):
    data: list[CatalogEntry]


class CallbackSecretOut(ApiModel):
    callback_secret: str
