"""Who is calling: the `Authorization: Bearer` token (JWT access token or API key) → Principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from quarry.auth.models import Role
from quarry.core.errors import Forbidden, Unauthorized
from quarry.http.deps import SessionDep, SettingsDep


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role
    api_key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing bearer token", code="UNAUTHORIZED")
    return token.strip()


async def current_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    from quarry.auth import service

    principal = await service.authenticate(session, settings, bearer_token(request))
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


async def jwt_only(principal: CurrentUser) -> Principal:
    if principal.api_key_id is not None:
        raise Forbidden("This action needs a login session, not an API key", code="JWT_REQUIRED")
    return principal


async def admin_only(principal: CurrentUser) -> Principal:
    if not principal.is_admin:
        raise Forbidden("This action needs the ADMIN role", code="ROLE_TOO_LOW")
    return principal


JwtUser = Annotated[Principal, Depends(jwt_only)]
AdminUser = Annotated[Principal, Depends(admin_only)]
