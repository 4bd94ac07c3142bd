"""HTTP routes of schemas, `/api/schema` (spec section 2). Parsing and answers only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from quarry.auth.deps import CurrentUser
from quarry.core.api_model import Page
from quarry.extraction_schemas import ai, service
from quarry.extraction_schemas.schemas import (
    SchemaCreate,
    SchemaRead,
    SchemaUpdate,
    SchemaVersionRead,
)
from quarry.http.deps import INT32_MAX, PagingDep, SessionDep, SettingsDep
from quarry.http.forms import BINARY, FormSpec, receive_form

router = APIRouter(prefix="/api/schema", tags=["schemas"])

Search = Annotated[
    str | None, Query(max_length=200, description="matches name or description, any case")
]


@router.post("", status_code=201)
async def create_schema(
    body: SchemaCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> SchemaRead:
    """Create a schema at version 1."""
    schema = await service.create_schema(session, user.user_id, body, settings)
    return SchemaRead.model_validate(schema)


@router.get("")
async def list_schemas(
    user: CurrentUser, session: SessionDep, paging: PagingDep, search: Search = None
) -> Page[SchemaRead]:
    """The caller's schemas, newest first."""
    rows, total = await service.list_schemas(
        session, user.user_id, search=search, offset=paging.offset, limit=paging.limit
    )
    items = [SchemaRead.model_validate(row) for row in rows]
    return Page[SchemaRead].of(items, page=paging.page, limit=paging.limit, total=total)


AI_FORM = FormSpec(
    properties={
        "file": BINARY,
        "mode": {"type": "string", "enum": [m.value for m in ai.Mode]},
        "schemaName": {"type": "string", "minLength": 1, "maxLength": 200},
        "userPrompt": {"type": "string", "maxLength": 4000},
        "engine": {
            "type": "string",
            "description": "Quarry extension: the engine that infers the fields and that "
            "the new schema uses (default EXTRACTION_ENGINE)",
        },
    },
    required=("mode", "schemaName"),
)


@router.post(
    "/ai",
    status_code=201,
    openapi_extra=AI_FORM.openapi(),
    responses={
        413: {"description": "file larger than MAX_FILE_SIZE"},
        429: {"description": "PROVIDER_RATE_LIMITED"},
        503: {"description": "ENGINE_ERROR, EXTRACTION_TIMEOUT"},
    },
)
async def create_schema_with_ai(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> SchemaRead:
    """A schema inferred from a sample document (`file`), a request (`userPrompt`) or both."""
    form = await receive_form(request, settings, AI_FORM, max_files=1)
    try:
        schema = await ai.create_from_form(session, settings, user.user_id, form)
    finally:
        form.cleanup()
    return SchemaRead.model_validate(schema)


@router.get("/{schema_id}")
async def get_schema(schema_id: str, user: CurrentUser, session: SessionDep) -> SchemaRead:
    """One schema with its current fields and version."""
    return SchemaRead.model_validate(await service.get_schema(session, user.user_id, schema_id))


@router.patch("/{schema_id}")
async def update_schema(
    schema_id: str,
    body: SchemaUpdate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SchemaRead:
    """Change any of the create keys; a change of `fields` makes the next version."""
    schema = await service.update_schema(session, user.user_id, schema_id, body, settings)
    return SchemaRead.model_validate(schema)


@router.delete("/{schema_id}", status_code=204, response_class=Response)
async def delete_schema(schema_id: str, user: CurrentUser, session: SessionDep) -> None:
    """Soft delete; jobs keep reading the version they pinned."""
    await service.delete_schema(session, user.user_id, schema_id)


@router.get("/{schema_id}/versions")
async def list_versions(
    schema_id: str, user: CurrentUser, session: SessionDep, paging: PagingDep
) -> Page[SchemaVersionRead]:
    """Every version of the schema, newest first, paginated like every list."""
    rows, total = await service.list_versions(
        session, user.user_id, schema_id, offset=paging.offset, limit=paging.limit
    )
    items = [SchemaVersionRead.model_validate(row) for row in rows]
    return Page[SchemaVersionRead].of(items, page=paging.page, limit=paging.limit, total=total)


@router.get("/{schema_id}/versions/{version}")
async def get_version(
    schema_id: str,
    version: Annotated[int, Path(ge=1, le=INT32_MAX)],
    user: CurrentUser,
    session: SessionDep,
) -> SchemaVersionRead:
    """One version of a live schema."""
    row = await service.get_version(
        session, user.user_id, schema_id, version, include_deleted=False
    )
    return SchemaVersionRead.model_validate(row)
