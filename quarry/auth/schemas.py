"""Wire models of users, sessions (token pairs) and API keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from quarry.auth.models import Role
from quarry.core.api_model import ApiModel, StrictInput, Timestamp

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def _check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("value is not a valid email address")
    return value


def _as_utc(value: datetime | None) -> datetime | None:
    """A timestamp without a zone is read as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320),
    AfterValidator(_check_email),
    Field(json_schema_extra={"format": "email"}),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# argon2 takes any length; the upper bound only keeps request bodies sane
NewPassword = Annotated[str, Field(min_length=8, max_length=1024)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=500)]


class RegisterIn(StrictInput):
    name: Name
    email: Email
    password: NewPassword


class LoginIn(StrictInput):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
    password: Password


class RefreshIn(StrictInput):
    refresh_token: OpaqueToken


class UserOut(ApiModel):
    id: str
    name: str
    email: str
    role: Role
    created_at: Timestamp


class SessionOut(ApiModel):
    """A signed-in session: the user, a short-lived access token and a rotating refresh token."""

    user: UserOut
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="seconds until the access token expires")


class ApiKeyIn(StrictInput):
    name: Name
    role: Role | None = Field(None, description="defaults to the owner's role; never above it")
    expires_at: Annotated[datetime | None, AfterValidator(_as_utc)] = None


class ApiKeyOut(ApiModel):
    id: str
    name: str
    role: Role
    prefix: str = Field(description="the key's first characters, to recognise it")
    expires_at: Timestamp | None
    created_at: Timestamp
    last_used_at: Timestamp | None


class ApiKeyCreatedOut(ApiKeyOut):
    api_key: str = Field(description="the key itself; shown only in this answer")

    @classmethod
    def of(cls, record: object, api_key: str) -> ApiKeyCreatedOut:
        return cls(**dict(ApiKeyOut.model_validate(record)), api_key=api_key)
