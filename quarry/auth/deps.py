"""Who is calling: the `Authorization: Bearer` token (JWT access token or API key) → Principal.

Also the per-address rate limit of the sign-in routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from quarry.auth import ratelimit, service
from quarry.auth.service import Principal
from quarry.core.errors import Forbidden, Unauthorized
from quarry.http.deps import RuntimeDep, client_address

__all__ = [
    "AdminUser",
    "CurrentUser",
    "JwtUser",
    "Principal",
    "admin_only",
    "current_principal",
    "jwt_only",
    "rate_limited",
]


# declares the scheme in OpenAPI (the docs' "Authorize" button); errors are ours, not FastAPI's
_BEARER = HTTPBearer(
    auto_error=False, description="A JWT access token, or an API key (`ef_live_…`)"
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


async def current_principal(
    request: Request, runtime: RuntimeDep, credentials: Credentials
) -> Principal:
    """Authenticate in a short transaction of its own, so that a route which then streams a
    large upload does not hold a database connection while the bytes arrive."""
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        raise Unauthorized("Missing bearer token", code="UNAUTHORIZED")
    async with runtime.db.transaction() as session:
        principal = await service.authenticate(session, runtime.settings, token)
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


def rate_limited(bucket: str) -> Callable[[Request, RuntimeDep], Awaitable[None]]:
    """A dependency allowing `auth_rate_limit_per_minute` requests a minute per client address."""

    async def check(request: Request, runtime: RuntimeDep) -> None:
        key = f"{bucket}:{client_address(request)}"
        await ratelimit.hit(runtime.db, key, runtime.settings.auth_rate_limit_per_minute)

    return check
