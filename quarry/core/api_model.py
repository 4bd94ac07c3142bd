"""Base of every wire model: camelCase keys, timestamps as `2026-11-28T10:00:00.000Z`, pages."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer, model_validator
from pydantic.alias_generators import to_camel

from quarry.core.input_checks import check_input
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
    """A request body, read by its camelCase keys only.

    Keys Quarry does not know are ignored (clients written for the original API may send
    more), but a key that looks like a misspelt known one (`externalref`, `schema_id`) is
    refused with a hint, and so is a NUL character in any string (PostgreSQL cannot store it).
    """

    model_config = ConfigDict(extra="ignore", validate_by_name=False, validate_by_alias=True)

    @model_validator(mode="before")
    @classmethod
    def _check_keys_and_strings(cls, data: Any) -> Any:
        return check_input(data, _wire_keys(cls))


class ClosedInput(StrictInput):
    """A nested object whose keys are all Quarry's (provider settings): unknown keys refused."""

    model_config = ConfigDict(extra="forbid")


@functools.cache
def _wire_keys(model: type[BaseModel]) -> frozenset[str]:
    """The keys `model` reads (its fields' aliases)."""
    return frozenset(field.alias or name for name, field in model.model_fields.items())


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
