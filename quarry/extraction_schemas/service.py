"""Schemas: create, read, change (a change of fields makes a new version), soft delete.

Other domains call `get_schema` (load or 404), `pin` (the version a new job keeps) and
`get_version` (a pinned version, readable even after its schema is deleted).

Errors: `NotFound` SCHEMA_NOT_FOUND (missing, another user's, or deleted) and
SCHEMA_VERSION_NOT_FOUND; `BadRequest` VALIDATION_ERROR comes from the input models, and
from `check_engine` (an unknown engine, or an LLM engine this server has no settings for).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.errors import BadRequest, ErrorDetail, NotFound
from quarry.core.ids import new_id
from quarry.core.time import utcnow
from quarry.engines.registry import registry
from quarry.extraction_schemas.models import ExtractionSchema, ExtractionSchemaVersion
from quarry.extraction_schemas.schemas import SchemaCreate, SchemaUpdate
from quarry.webhooks.bindings import check_endpoint_ids


async def create_schema(
    session: AsyncSession, user_id: str, body: SchemaCreate, settings: Settings | None = None
) -> ExtractionSchema:
    """A new schema at version 1, with its first version row.

    `webhookEndpointIds` must be the user's live webhook endpoints (400 otherwise).
    `engine` is checked by `check_engine` (with `settings`, also that it is configured).
    """
    check_engine(body.engine, settings)
    await check_endpoint_ids(session, user_id, body.webhook_endpoint_ids)
    now = utcnow()
    schema = ExtractionSchema(
        id=new_id("sch"),
        user_id=user_id,
        version=1,
        created_at=now,
        updated_at=now,
        **body.columns(),
    )
    session.add(schema)
    await session.flush()
    _add_version(session, schema)
    await session.flush()
    return schema


async def get_schema(
    session: AsyncSession, user_id: str, schema_id: str, *, for_update: bool = False
) -> ExtractionSchema:
    """The user's schema, or `NotFound` SCHEMA_NOT_FOUND if missing, foreign or deleted."""
    return await _load(session, user_id, schema_id, include_deleted=False, for_update=for_update)


async def pin(session: AsyncSession, user_id: str, schema_id: str) -> tuple[ExtractionSchema, int]:
    """The schema and its current version, for a new job to keep."""
    schema = await get_schema(session, user_id, schema_id)
    return schema, schema.version


async def list_schemas(
    session: AsyncSession, user_id: str, *, search: str | None, offset: int, limit: int
) -> tuple[list[ExtractionSchema], int]:
    """One page of the user's live schemas, newest first, and how many there are in all."""
    where = [ExtractionSchema.user_id == user_id, ExtractionSchema.deleted_at.is_(None)]
    if search and search.strip():
        where.append(_matches(search.strip()))
    query = select(ExtractionSchema).where(*where)
    newest_first = query.order_by(ExtractionSchema.created_at.desc(), ExtractionSchema.id.desc())
    rows = await session.scalars(newest_first.offset(offset).limit(limit))
    return list(rows), await _count(session, query)


async def update_schema(
    session: AsyncSession,
    user_id: str,
    schema_id: str,
    body: SchemaUpdate,
    settings: Settings | None = None,
) -> ExtractionSchema:
    """Apply the given keys; fields that differ (in normalised form) make version N+1."""
    check_engine(body.engine, settings)
    schema = await get_schema(session, user_id, schema_id, for_update=True)
    changes = {k: v for k, v in body.columns().items() if getattr(schema, k) != v}
    if "webhook_endpoint_ids" in changes:
        await check_endpoint_ids(session, user_id, changes["webhook_endpoint_ids"])
    if not changes:
        return schema
    for column, value in changes.items():
        setattr(schema, column, value)
    schema.updated_at = utcnow()
    if "fields" in changes:
        schema.version += 1
        _add_version(session, schema)
    await session.flush()
    return schema


def check_engine(engine: str | None, settings: Settings | None) -> None:
    """BadRequest unless `engine` is null (the server default) or a registered engine that,
    given `settings`, is configured (an LLM engine needs its model and key settings)."""
    if engine is None:
        return
    names = registry.names()
    if engine not in names:
        message = f"Unknown engine {engine!r}; this server has {', '.join(names)}"
        raise BadRequest(message, details=[ErrorDetail("engine", "unknown engine")])
    missing = settings.engine_settings_missing(engine) if settings is not None else []
    if missing:
        message = f"The {engine} engine is not configured on this server (set {', '.join(missing)})"
        raise BadRequest(message, details=[ErrorDetail("engine", "not configured on this server")])


async def delete_schema(session: AsyncSession, user_id: str, schema_id: str) -> None:
    """Soft delete: the schema disappears from the API; its versions stay for pinned jobs."""
    schema = await get_schema(session, user_id, schema_id, for_update=True)
    schema.deleted_at = schema.updated_at = utcnow()
    await session.flush()


async def list_versions(
    session: AsyncSession, user_id: str, schema_id: str, *, offset: int, limit: int
) -> tuple[list[ExtractionSchemaVersion], int]:
    """One page of a live schema's versions, newest first, and how many there are."""
    await get_schema(session, user_id, schema_id)
    query = select(ExtractionSchemaVersion).where(ExtractionSchemaVersion.schema_id == schema_id)
    newest_first = query.order_by(ExtractionSchemaVersion.version.desc())
    rows = await session.scalars(newest_first.offset(offset).limit(limit))
    return list(rows), await _count(session, query)


async def get_version(
    session: AsyncSession,
    user_id: str,
    schema_id: str,
    version: int,
    *,
    include_deleted: bool = True,
) -> ExtractionSchemaVersion:
    """One version of the user's schema; by default also when the schema has been deleted,
    so that jobs keep reading the version they pinned."""
    await _load(session, user_id, schema_id, include_deleted=include_deleted, for_update=False)
    row = await session.get(ExtractionSchemaVersion, (schema_id, version))
    if row is None:
        raise NotFound(
            f"Schema {schema_id} has no version {version}", code="SCHEMA_VERSION_NOT_FOUND"
        )
    return row


async def _load(
    session: AsyncSession, user_id: str, schema_id: str, *, include_deleted: bool, for_update: bool
) -> ExtractionSchema:
    query = select(ExtractionSchema).where(
        ExtractionSchema.id == schema_id, ExtractionSchema.user_id == user_id
    )
    if not include_deleted:
        query = query.where(ExtractionSchema.deleted_at.is_(None))
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    schema = await session.scalar(query)
    if schema is None:
        raise NotFound(f"Schema {schema_id} was not found", code="SCHEMA_NOT_FOUND")
    return schema


def _add_version(session: AsyncSession, schema: ExtractionSchema) -> None:
    session.add(
        ExtractionSchemaVersion(
            schema_id=schema.id,
            version=schema.version,
            fields=schema.fields,
            created_at=schema.updated_at,
        )
    )


def _matches(search: str) -> ColumnElement[bool]:
    """Name or description contains `search`, case-insensitively (`%` and `_` are literal)."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        ExtractionSchema.name.ilike(pattern, escape="\\"),
        ExtractionSchema.description.ilike(pattern, escape="\\"),
    )


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return int(total or 0)
