"""`/api/auth`: register, login, refresh, logout, the current user, API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from quarry.auth import service
from quarry.auth.deps import CurrentUser, JwtUser, rate_limited
from quarry.auth.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    LoginIn,
    RefreshIn,
    RegisterIn,
    SessionOut,
    UserOut,
)
from quarry.core.api_model import ErrorOut, Page
from quarry.http.deps import PagingDep, RuntimeDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _errors(**described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error answers, e.g. `_errors(e401="bad credentials")`."""
    return {
        int(status[1:]): {"model": ErrorOut, "description": text}
        for status, text in described.items()
    }


_AUTH = _errors(e401="missing, invalid, expired or revoked credentials")
_LIMITED = "too many attempts from this address (RATE_LIMITED); see Retry-After"
_LOGIN_LIMITED = (
    "too many attempts from this address, or too many failed sign-ins of this account "
    "(RATE_LIMITED); see Retry-After"
)


@router.post(
    "/register",
    status_code=201,
    responses=_errors(
        e400="invalid input",
        e403="registration is closed (REGISTRATION_CLOSED)",
        e409="the email is taken (EMAIL_TAKEN)",
        e429=_LIMITED,
    ),
    dependencies=[Depends(rate_limited("register"))],
)
async def register(body: RegisterIn, session: SessionDep, settings: SettingsDep) -> SessionOut:
    """Create an account and sign in. The first account of a server becomes ADMIN."""
    issued = await service.register(
        session, settings, name=body.name, email=body.email, password=body.password
    )
    return SessionOut.model_validate(issued)


@router.post(
    "/login",
    responses=_errors(e401="wrong email or password (INVALID_CREDENTIALS)", e429=_LOGIN_LIMITED),
    dependencies=[Depends(rate_limited("login"))],
)
async def login(body: LoginIn, session: SessionDep, runtime: RuntimeDep) -> SessionOut:
    """Sign in. Past LOGIN_MAX_FAILURES failures in a row an account backs off (429)."""
    issued = await service.login(
        session, runtime.db, runtime.settings, email=body.email, password=body.password
    )
    return SessionOut.model_validate(issued)


@router.post(
    "/refresh",
    responses=_errors(
        e401="INVALID_REFRESH_TOKEN, REFRESH_TOKEN_EXPIRED, or REFRESH_TOKEN_REUSED "
        "(the token was already rotated: its whole family is now revoked)"
    ),
)
async def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep) -> SessionOut:
    """Trade a refresh token for a new pair; the presented token stops working."""
    return SessionOut.model_validate(await service.refresh(session, settings, body.refresh_token))


@router.post("/logout", status_code=204)
async def logout(body: RefreshIn, session: SessionDep) -> None:
    """Sign out the session of this refresh token (an unknown token is not an error)."""
    await service.logout(session, body.refresh_token)


@router.post("/logout-all", status_code=204, responses=_AUTH)
async def logout_all(principal: CurrentUser, session: SessionDep) -> None:
    """Sign out everywhere: every refresh token and every access token issued so far."""
    await service.logout_all(session, principal.user_id)


@router.get("/me", responses=_AUTH)
async def me(principal: CurrentUser, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, principal.user_id))


@router.post(
    "/api-keys",
    status_code=201,
    responses={
        **_AUTH,
        **_errors(
            e400="invalid input, or expiresAt in the past",
            e403="called with an API key (JWT_REQUIRED) or a role above yours (ROLE_TOO_HIGH)",
            e409="too many active keys (API_KEY_LIMIT_REACHED)",
        ),
    },
)
async def create_api_key(
    body: ApiKeyIn, principal: JwtUser, session: SessionDep, settings: SettingsDep
) -> ApiKeyCreatedOut:
    """Create an API key. `apiKey` is in this answer only; it is stored hashed."""
    created = await service.create_api_key(
        session, settings, principal, name=body.name, role=body.role, expires_at=body.expires_at
    )
    return ApiKeyCreatedOut.of(created.record, created.api_key)


@router.get("/api-keys", responses=_AUTH)
async def list_api_keys(
    principal: CurrentUser, session: SessionDep, paging: PagingDep
) -> Page[ApiKeyOut]:
    """The caller's API keys (metadata only, never the key), newest first."""
    keys, total = await service.list_api_keys(
        session, principal.user_id, offset=paging.offset, limit=paging.limit
    )
    items = [ApiKeyOut.model_validate(key) for key in keys]
    return Page[ApiKeyOut].of(items, page=paging.page, limit=paging.limit, total=total)


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    responses={**_AUTH, **_errors(e404="no such key of yours (API_KEY_NOT_FOUND)")},
)
async def delete_api_key(key_id: str, principal: CurrentUser, session: SessionDep) -> None:
    """Delete an API key; it stops working at once."""
    await service.delete_api_key(session, principal.user_id, key_id)
