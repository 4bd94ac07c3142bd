"""A worker fetches one `{kind: INTEGRATION, integrationId, fileId}` source into a FetchedFile."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.integrations import service
from quarry.integrations.models import Integration, IntegrationStatus
from quarry.sources.connectors import TOTAL_TIME_FACTOR
from quarry.sources.fetched import FetchedFile

if TYPE_CHECKING:
    from quarry.runtime import Runtime


async def fetch_source(
    runtime: Runtime, user_id: str, source: dict[str, Any], dest_dir: Path
) -> FetchedFile:
    """Download the source's file with its integration's connector, or raise `JobFailure`."""
    integration_id, file_id = str(source.get("integrationId")), str(source.get("fileId"))
    async with runtime.db.session() as session:
        integration = await session.get(Integration, integration_id)
    if integration is None or integration.user_id != user_id:
        message = f"the integration {integration_id} no longer exists"
        raise JobFailure(JobErrorCode.SOURCE_NOT_FOUND, message)
    limit = TOTAL_TIME_FACTOR * runtime.settings.connector_timeout_seconds
    try:
        async with asyncio.timeout(limit), service.connected(runtime, integration) as connector:
            fetched = await connector.fetch(
                file_id, dest_dir, max_size=runtime.settings.max_file_size
            )
    except TimeoutError:
        message = f"the download took longer than {limit:g} seconds"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=True) from None
    if integration.status is IntegrationStatus.ERROR:
        await service.set_status(runtime.db, integration.id, IntegrationStatus.ACTIVE, None)
    return fetched
