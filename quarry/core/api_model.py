"""Base of every wire model: camelCase keys, timestamps as `2026-11-28T10:00:00.000Z`, pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from quarry.core.time import to_wire

T = TypeVar("T")

Timestamp = Annotated[datetime, PlainSerializer(to_wire, return_type=str)]


class ApiModel(BaseModel):
    """Reads and writes camelCase; also accepts snake_case from Python callers."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


class StrictInput(ApiModel):
    """A request body: unknown keys are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class Page(ApiModel, Generic[T]):
    data: list[T]
    page: int
    limit: int
    total: int
    total_pages: int

    @classmethod
    def of(cls, items: list[T], *, page: int, limit: int, total: int) -> Page[T]:
        pages = (total + limit - 1) // limit if total else 0
        return cls(data=items, page=page, limit=limit, total=total, total_pages=pages)


class ErrorDetailOut(ApiModel):
    field: str
    message: str


class ErrorOut(ApiModel):
    """The shape of every error answer."""

    status_code: int
    error: str
    code: str
    message: str
    details: list[ErrorDetailOut] | None = None
