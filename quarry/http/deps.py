"""FastAPI dependencies shared by every router: runtime, settings, a transaction per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.errors import UnsupportedMediaType
from quarry.runtime import Runtime

INT32_MAX = 2**31 - 1


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    return get_runtime(request).settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    async with get_runtime(request).db.transaction() as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


class Paging:
    def __init__(
        self,
        page: Annotated[int, Query(ge=1, le=INT32_MAX, description="1-based page number")] = 1,
        limit: Annotated[int, Query(ge=1, le=100, description="items per page")] = 20,
    ) -> None:
        self.page = page
        self.limit = limit

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


PagingDep = Annotated[Paging, Depends()]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def json_media_type(request: Request) -> None:
    """A route that reads a JSON body answers 415 to a body declared as something else
    (a missing `Content-Type` is read as JSON)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return
    declared = request.headers.get("content-type")
    if declared is None:
        return
    media = declared.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(f"This route reads application/json, not {media or 'nothing'}")
