"""`/api/webhooks`: endpoints, the event catalog, pings and sends, deliveries, callback secret."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from quarry.auth.deps import CurrentUser
from quarry.core.api_model import ErrorOut, Page
from quarry.http.deps import PagingDep, RuntimeDep, SessionDep
from quarry.webhooks import service
from quarry.webhooks.catalog import CATALOG
from quarry.webhooks.models import DeliveryStatus
from quarry.webhooks.schemas import (
    CallbackSecretOut,
    CatalogEntry,
    CatalogOut,
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecretOut,
    SendIn,
)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


@router.get("/event-catalog", response_model=CatalogOut)
async def event_catalog(principal: CurrentUser) -> CatalogOut:
    """Every event type Quarry emits."""
    return CatalogOut(data=[CatalogEntry(type=t, description=d) for t, d in CATALOG.items()])


@router.get(
    "/callback-secret",
    response_model=CallbackSecretOut,
    responses={
        409: {
            "model": ErrorOut,
            "description": "sealed with another WEBHOOK_ENCRYPTION_KEY (SECRET_UNREADABLE); "
            "rotate it",
        }
    },
)
async def get_callback_secret(
    principal: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> CallbackSecretOut:
    """The secret that signs deliveries to your runs' and jobs' `callbackUrl`s."""
    secret = await service.readable_callback_secret(session, runtime.secrets, principal.user_id)
    return CallbackSecretOut(callback_secret=secret)


@router.post("/callback-secret/rotate", response_model=CallbackSecretOut)
async def rotate_callback_secret(
    principal: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> CallbackSecretOut:
    secret = await service.rotate_callback_secret(session, runtime.secrets, principal.user_id)
    return CallbackSecretOut(callback_secret=secret)


@router.post("", status_code=201, response_model=EndpointWithSecretOut)
async def create_endpoint(
    body: EndpointCreate, principal: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> EndpointWithSecretOut:
    """A new endpoint; `signingSecret` is shown only in this answer (and on rotate-secret)."""
    endpoint, secret = await service.create_endpoint(
        session, runtime.secrets, runtime.settings, principal.user_id, body
    )
    return _with_secret(endpoint, secret)


@router.get("", response_model=Page[EndpointOut])
async def list_endpoints(
    principal: CurrentUser, session: SessionDep, paging: PagingDep
) -> Page[EndpointOut]:
    rows, total = await service.list_endpoints(
        session, principal.user_id, offset=paging.offset, limit=paging.limit
    )
    items = [EndpointOut.model_validate(row) for row in rows]
    return Page[EndpointOut].of(items, page=paging.page, limit=paging.limit, total=total)


@router.get("/{endpoint_id}", response_model=EndpointOut)
async def get_endpoint(
    endpoint_id: str, principal: CurrentUser, session: SessionDep
) -> EndpointOut:
    return EndpointOut.model_validate(
        await service.get_endpoint(session, principal.user_id, endpoint_id)
    )


@router.patch("/{endpoint_id}", response_model=EndpointOut)
async def update_endpoint(
    endpoint_id: str,
    body: EndpointUpdate,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
) -> EndpointOut:
    endpoint = await service.update_endpoint(
        session, runtime.settings, principal.user_id, endpoint_id, body
    )
    return EndpointOut.model_validate(endpoint)


@router.delete("/{endpoint_id}", status_code=204)
async def delete_endpoint(
    endpoint_id: str, principal: CurrentUser, session: SessionDep
) -> Response:
    await service.delete_endpoint(session, principal.user_id, endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointWithSecretOut)
async def rotate_secret(
    endpoint_id: str, principal: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> EndpointWithSecretOut:
    endpoint, secret = await service.rotate_secret(
        session,
        runtime.secrets,
        principal.user_id,
        endpoint_id,
        grace_seconds=runtime.settings.webhook_secret_grace_seconds,
    )
    return _with_secret(endpoint, secret)


@router.post("/{endpoint_id}/ping", response_model=DeliveryOut)
async def ping(endpoint_id: str, principal: CurrentUser, session: SessionDep) -> DeliveryOut:
    """Send a `webhook.ping`; the answer is its delivery (follow it in the deliveries log)."""
    delivery = await service.ping(session, principal.user_id, endpoint_id)
    return DeliveryOut.model_validate(delivery)


@router.post("/{endpoint_id}/send", response_model=DeliveryOut)
async def send(
    endpoint_id: str, body: SendIn, principal: CurrentUser, session: SessionDep
) -> DeliveryOut:
    """Deliver your own event (type `webhook.send` unless given) to this endpoint."""
    delivery = await service.send(session, principal.user_id, endpoint_id, body)
    return DeliveryOut.model_validate(delivery)


@router.get("/{endpoint_id}/deliveries", response_model=Page[DeliveryOut])
async def deliveries(
    endpoint_id: str,
    *,
    principal: CurrentUser,
    session: SessionDep,
    paging: PagingDep,
    status: DeliveryStatus | None = None,
    event_type: Annotated[str | None, Query(alias="eventType")] = None,
) -> Page[DeliveryOut]:
    rows, total = await service.list_deliveries(
        session,
        principal.user_id,
        endpoint_id,
        status=status,
        event_type=event_type,
        offset=paging.offset,
        limit=paging.limit,
    )
    items = [DeliveryOut.model_validate(row) for row in rows]
    return Page[DeliveryOut].of(items, page=paging.page, limit=paging.limit, total=total)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut)
async def redeliver(
    endpoint_id: str, delivery_id: str, principal: CurrentUser, session: SessionDep
) -> DeliveryOut:
    delivery = await service.redeliver(session, principal.user_id, endpoint_id, delivery_id)
    return DeliveryOut.model_validate(delivery)


def _with_secret(endpoint: object, secret: str) -> EndpointWithSecretOut:
    out = EndpointOut.model_validate(endpoint)
    return EndpointWithSecretOut(**out.model_dump(by_alias=False), signing_secret=secret)
