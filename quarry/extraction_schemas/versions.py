"""The field definitions of pinned schema versions, for code that shows results in order.

No user check here: callers pass versions they read from the user's own jobs and events.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.fields import FieldSpec, specs_from_wire
from quarry.extraction_schemas.models import ExtractionSchemaVersion

VersionKey = tuple[str, int]


async def version_specs(
    session: AsyncSession, keys: Iterable[VersionKey]
) -> dict[VersionKey, tuple[FieldSpec, ...]]:
    """The fields of each (schema id, version) that exists."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            ExtractionSchemaVersion.schema_id,
            ExtractionSchemaVersion.version,
            ExtractionSchemaVersion.fields,
        ).where(
            tuple_(ExtractionSchemaVersion.schema_id, ExtractionSchemaVersion.version).in_(wanted)
        )
    )
    return {(schema_id, version): specs_from_wire(fields) for schema_id, version, fields in rows}


async def specs_of(session: AsyncSession, schema_id: str, version: int) -> tuple[FieldSpec, ...]:
    """The fields of one version (none when it does not exist)."""
    return (await version_specs(session, [(schema_id, version)])).get((schema_id, version), ())
