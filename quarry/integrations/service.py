"""Integrations: create (checked live), list, get, delete, test, browse a remote folder.

An integration's credentials are sealed at rest and never leave this module except to build a
connector. Tokens a connector refreshes are saved at once in a transaction of their own (so a
request or job that fails afterwards does not lose them); a provider refusing the credentials
marks the integration `ERROR` with the reason, also in its own transaction, and a later
success marks it `ACTIVE` again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.crypto import SealedValueError
from quarry.core.db import Database, fetch_page
from quarry.core.errors import (
    BadRequest,
    Conflict,
    JobErrorCode,
    JobFailure,
    NotFound,
    QuarryError,
    ServiceUnavailable,
)
from quarry.core.ids import new_id
from quarry.core.time import utcnow
from quarry.integrations import cursors, providers
from quarry.integrations.models import Integration, IntegrationStatus, Provider
from quarry.integrations.schemas import IntegrationIn
from quarry.sources.connectors import Connector, IntegrationRejected, RemotePage
from quarry.sources.provider_http import OAuthTokens

if TYPE_CHECKING:
    from quarry.runtime import Runtime

NOT_FOUND = "INTEGRATION_NOT_FOUND"


async def create(
    session: AsyncSession, runtime: Runtime, user_id: str, body: IntegrationIn
) -> Integration:
    """Validate, check the credentials live, and store; a failed check gives status ERROR."""
    checked = providers.check_input(runtime.settings, body.provider, body.config, body.credentials)
    return await store(
        session,
        runtime,
        user_id=user_id,
        provider=body.provider,
        name=body.name,
        config=checked.config,
        credentials=checked.credentials,
    )


async def store(
    session: AsyncSession,
    runtime: Runtime,
    *,
    user_id: str,
    provider: Provider,
    name: str,
    config: dict[str, Any],
    credentials: dict[str, Any],
) -> Integration:
    kept = [credentials]

    async def keep(tokens: OAuthTokens) -> None:
        kept[0] = providers.with_tokens(kept[0], tokens)

    connector = providers.connector(runtime.settings, provider, config, credentials, keep)
    status, message = await _probe(connector)
    integration = Integration(
        id=new_id("int"),
        user_id=user_id,
        provider=provider,
        name=name,
        config=config,
        credentials_sealed=providers.seal(runtime.secrets, kept[0]),
        status=status,
        status_message=message,
        checked_at=utcnow(),
    )
    session.add(integration)
    await session.flush()
    return integration


async def _probe(connector: Connector) -> tuple[IntegrationStatus, str | None]:
    try:
        await connector.check()
    except JobFailure as failure:
        return IntegrationStatus.ERROR, failure.message
    finally:
        await connector.aclose()
    return IntegrationStatus.ACTIVE, None


async def get(session: AsyncSession, user_id: str, integration_id: str) -> Integration:
    integration = await session.get(Integration, integration_id)
    if integration is None or integration.user_id != user_id:
        raise NotFound(f"Integration {integration_id} not found", code=NOT_FOUND)
    return integration


async def owned(session: AsyncSession, user_id: str, ids: set[str]) -> dict[str, Integration]:
    """The user's integrations among `ids` (others' and unknown ids are simply absent)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(Integration).where(Integration.user_id == user_id, Integration.id.in_(ids))
    )
    return {row.id: row for row in rows}


async def list_integrations(
    session: AsyncSession, user_id: str, *, offset: int, limit: int
) -> tuple[list[Integration], int]:
    query = select(Integration).where(Integration.user_id == user_id)
    order = (Integration.created_at.desc(), Integration.id.desc())
    return await fetch_page(session, query, *order, offset=offset, limit=limit)


async def delete(session: AsyncSession, user_id: str, integration_id: str) -> None:
    """Jobs already queued from it fail with SOURCE_NOT_FOUND when they come to fetch."""
    await session.delete(await get(session, user_id, integration_id))


async def test(
    session: AsyncSession, runtime: Runtime, user_id: str, integration_id: str
) -> Integration:
    integration = await get(session, user_id, integration_id)
    try:
        async with connected(runtime, integration) as connector:
            await connector.check()
    except JobFailure as failure:
        _set(integration, IntegrationStatus.ERROR, failure.message)
    else:
        _set(integration, IntegrationStatus.ACTIVE, None)
    return integration


async def browse(
    session: AsyncSession,
    runtime: Runtime,
    user_id: str,
    integration_id: str,
    *,
    folder_id: str | None,
    cursor: str | None,
    page_size: int,
) -> RemotePage:
    integration = await get(session, user_id, integration_id)
    secret = runtime.settings.jwt_access_secret
    token = cursors.open_cursor(secret, integration.id, folder_id, cursor) if cursor else None
    async with request_errors(), connected(runtime, integration) as connector:
        page = await connector.list_folder(folder_id, token, page_size=page_size)
    if integration.status is IntegrationStatus.ERROR:
        _set(integration, IntegrationStatus.ACTIVE, None)
    next_cursor = cursors.seal(secret, integration.id, folder_id, page.next_cursor)
    return replace(page, next_cursor=next_cursor)


def _set(integration: Integration, status: IntegrationStatus, message: str | None) -> None:
    integration.status, integration.status_message = status, message
    integration.checked_at = integration.updated_at = utcnow()


@asynccontextmanager
async def connected(runtime: Runtime, integration: Integration) -> AsyncIterator[Connector]:
    """A connector for a stored integration; refreshed tokens are saved, a refusal marks ERROR."""
    try:
        credentials = providers.unseal(runtime.secrets, integration.credentials_sealed)
    except SealedValueError:
        message = "the stored credentials cannot be opened with the configured encryption key"
        await set_status(runtime.db, integration.id, IntegrationStatus.ERROR, message)
        raise IntegrationRejected(message) from None

    async def save(tokens: OAuthTokens) -> None:
        await save_tokens(runtime, integration.id, tokens)

    connector = providers.connector(
        runtime.settings, integration.provider, integration.config, credentials, save
    )
    try:
        yield connector
    except IntegrationRejected as exc:
        await set_status(runtime.db, integration.id, IntegrationStatus.ERROR, exc.message)
        raise
    finally:
        await connector.aclose()


async def save_tokens(runtime: Runtime, integration_id: str, tokens: OAuthTokens) -> None:
    async with runtime.db.transaction() as session:
        row = await session.get(Integration, integration_id, with_for_update=True)
        if row is None:
            return
        credentials = providers.unseal(runtime.secrets, row.credentials_sealed)
        credentials = providers.with_tokens(credentials, tokens)
        row.credentials_sealed = providers.seal(runtime.secrets, credentials)
        row.updated_at = utcnow()


async def set_status(
    db: Database, integration_id: str, status: IntegrationStatus, message: str | None
) -> None:
    """Record a status in a transaction of its own (the caller's may be rolled back)."""
    now = utcnow()
    async with db.transaction() as session:
        await session.execute(
            update(Integration)
            .where(Integration.id == integration_id)
            .values(status=status, status_message=message, checked_at=now, updated_at=now)
        )


@asynccontextmanager
async def request_errors() -> AsyncIterator[None]:
    """Connector failures during a request, as HTTP errors."""
    try:
        yield
    except JobFailure as failure:
        raise http_error(failure) from failure


def http_error(failure: JobFailure) -> QuarryError:
    message = failure.message
    if isinstance(failure, IntegrationRejected):
        return Conflict(
            f"The provider refused the integration: {message}", code="INTEGRATION_ERROR"
        )
    if failure.code is JobErrorCode.SOURCE_NOT_FOUND:
        return NotFound(message, code="SOURCE_NOT_FOUND")
    if failure.code in (JobErrorCode.SOURCE_ACCESS_DENIED, JobErrorCode.URL_BLOCKED):
        return BadRequest(message, code=failure.code.value)
    return ServiceUnavailable(
        f"The provider cannot be used now: {message}", code="INTEGRATION_UNAVAILABLE"
    )
