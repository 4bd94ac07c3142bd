"""Checks of a schema's `webhookEndpointIds`: each must be one of the caller's live endpoints."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.errors import BadRequest, ErrorDetail
from quarry.webhooks.models import WebhookEndpoint


async def check_endpoint_ids(session: AsyncSession, user_id: str, ids: Sequence[str]) -> None:
    """`BadRequest` UNKNOWN_WEBHOOK_ENDPOINT naming each id that is missing, deleted or foreign."""
    if not ids:
        return
    found = set(
        await session.scalars(
            select(WebhookEndpoint.id).where(
                WebhookEndpoint.id.in_(list(ids)),
                WebhookEndpoint.user_id == user_id,
                WebhookEndpoint.deleted_at.is_(None),
            )
        )
    )
    details = [
        ErrorDetail(f"webhookEndpointIds[{index}]", f"no webhook endpoint {endpoint_id}")
        for index, endpoint_id in enumerate(ids)
        if endpoint_id not in found
    ]
    if details:
        raise BadRequest(
            "Some webhookEndpointIds are not your webhook endpoints",
            code="UNKNOWN_WEBHOOK_ENDPOINT",
            details=details,
        )
