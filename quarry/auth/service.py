"""Accounts, sessions and API keys: who may call, and with which role.

A session is an access token (a JWT living `jwt_access_ttl_seconds`) plus a refresh token.
Refresh tokens are opaque, stored as SHA-256, and grouped in families: a login starts one, each
refresh rotates the presented token and adds the next. A rotated or revoked token presented
again means it was copied, so the whole family is revoked (theft detection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.auth import lockout, security
from quarry.auth.models import ApiKey, RefreshToken, Role, User
from quarry.core.config import Settings
from quarry.core.db import Database
from quarry.core.errors import BadRequest, Conflict, ErrorDetail, Forbidden, NotFound, Unauthorized
from quarry.core.ids import new_id
from quarry.core.time import utcnow

ROLE_RANK = {Role.USER: 0, Role.ADMIN: 1}
# pg_advisory_xact_lock key: registrations take turns, so exactly one user becomes the first ADMIN
_REGISTER_LOCK = 0x5175_6172_7279
# last_used_at is written at most this often per key, not on every request
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """The caller: a user, acting with their own role or, through an API key, the key's role."""

    user_id: str
    role: Role
    api_key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class IssuedSession:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class NewApiKey:
    record: ApiKey
    api_key: str


# --- accounts and sessions ------------------------------------------------------------------


async def register(
    session: AsyncSession, settings: Settings, *, name: str, email: str, password: str
) -> IssuedSession:
    """Create an account and sign it in; the very first account becomes ADMIN."""
    if not settings.allow_registration:
        raise Forbidden("Registration is closed on this server", code="REGISTRATION_CLOSED")
    password_hash = await security.hash_password(password)
    await session.execute(select(func.pg_advisory_xact_lock(_REGISTER_LOCK)))
    if await _user_by_email(session, email) is not None:
        raise _email_taken()
    role = Role.USER if await session.scalar(select(User.id).limit(1)) else Role.ADMIN
    user = User(id=new_id("usr"), name=name, email=email, password_hash=password_hash, role=role)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise _email_taken() from exc
    return _issue(session, settings, user, family_id=new_id("rtf"))


async def login(
    session: AsyncSession, db: Database, settings: Settings, *, email: str, password: str
) -> IssuedSession:
    """Sign in; an unknown email costs as much time as a wrong password and reads the same.
    Failures of one account back off (auth/lockout.py), whatever address they come from."""
    await lockout.count_attempt(db, settings, email)
    user = await _user_by_email(session, email)
    matched = await security.verify_password(user.password_hash if user else None, password)
    if user is None or not matched:
        raise Unauthorized("The email or password is wrong", code="INVALID_CREDENTIALS")
    await lockout.forget(session, email)
    if security.needs_rehash(user.password_hash):
        user.password_hash = await security.hash_password(password)
    return _issue(session, settings, user, family_id=new_id("rtf"))


async def refresh(session: AsyncSession, settings: Settings, token: str) -> IssuedSession:
    """Rotate a refresh token: the presented one is spent, the next one of its family issued."""
    now = utcnow()
    presented = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == security.token_hash(token))
        .with_for_update()
    )
    if presented is None:
        raise Unauthorized("The refresh token is not valid", code="INVALID_REFRESH_TOKEN")
    if presented.rotated_at is not None or presented.revoked_at is not None:
        await _revoke_family(session, presented.family_id, now)
        # the revocation must outlive this failing request, whose transaction rolls back
        await session.commit()
        raise Unauthorized(
            "The refresh token was already used or revoked; its session is now signed out",
            code="REFRESH_TOKEN_REUSED",
        )
    if presented.expires_at <= now:
        raise Unauthorized("The refresh token has expired", code="REFRESH_TOKEN_EXPIRED")
    presented.rotated_at = now
    user = await session.get_one(User, presented.user_id)
    return _issue(session, settings, user, family_id=presented.family_id)


async def logout(session: AsyncSession, token: str) -> None:
    """End the session (the token family) of a refresh token; an unknown token is ignored."""
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == security.token_hash(token))
    )
    if family_id is not None:
        await _revoke_family(session, family_id, utcnow())


async def logout_all(session: AsyncSession, user_id: str) -> None:
    """End every session: refresh families revoked, access tokens issued until now refused."""
    now = utcnow()
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(update(User).where(User.id == user_id).values(sessions_revoked_at=now))


async def get_user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise _account_gone()
    return user


def _issue(
    session: AsyncSession, settings: Settings, user: User, *, family_id: str
) -> IssuedSession:
    now = utcnow()
    refresh_token = security.new_secret()
    session.add(
        RefreshToken(
            id=new_id("rt"),
            user_id=user.id,
            family_id=family_id,
            token_hash=security.token_hash(refresh_token),
            created_at=now,
            expires_at=now + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    access_token = security.issue_access_token(
        settings, user.id, Role(user.role), now, session_id=family_id
    )
    return IssuedSession(user, access_token, refresh_token, settings.jwt_access_ttl_seconds)


async def _user_by_email(session: AsyncSession, email: str) -> User | None:
    found: User | None = await session.scalar(
        select(User).where(func.lower(User.email) == func.lower(email.strip()))
    )
    return found


async def _revoke_family(session: AsyncSession, family_id: str, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _email_taken() -> Conflict:
    return Conflict("An account with this email already exists", code="EMAIL_TAKEN")


def _account_gone() -> Unauthorized:
    return Unauthorized("The account of this token no longer exists", code="INVALID_TOKEN")


# --- authentication -------------------------------------------------------------------------


async def authenticate(session: AsyncSession, settings: Settings, token: str) -> Principal:
    """The caller behind a bearer token: an API key (by its prefix) or a JWT access token."""
    if token.startswith(settings.api_key_prefix):
        return await _authenticate_api_key(session, token)
    claims = security.read_access_token(settings, token)
    found = (
        await session.execute(select(User, _session_live(claims)).where(User.id == claims.user_id))
    ).one_or_none()
    if found is None:
        raise _account_gone()
    user, live = found
    revoked_at = user.sessions_revoked_at
    if revoked_at is not None and claims.issued_at_ms <= security.to_millis(revoked_at):
        live = False
    if not live:
        raise Unauthorized("This session has been signed out", code="TOKEN_REVOKED")
    return Principal(user_id=user.id, role=Role(user.role))


def _session_live(claims: security.AccessClaims) -> ColumnElement[bool]:
    """True while the token's session has a refresh token not revoked: logout, logout-all and
    refresh-token reuse revoke them all, so the session's access tokens stop at once too."""
    return (
        select(RefreshToken.id)
        .where(
            RefreshToken.family_id == claims.session_id,
            RefreshToken.user_id == claims.user_id,
            RefreshToken.revoked_at.is_(None),
        )
        .exists()
    )


async def _authenticate_api_key(session: AsyncSession, token: str) -> Principal:
    now = utcnow()
    found = (
        await session.execute(
            select(ApiKey, User.role)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == security.token_hash(token), _active_key(now))
        )
    ).one_or_none()
    if found is None:
        raise Unauthorized("The API key is not valid", code="INVALID_API_KEY")
    key, owner_role = found
    if key.last_used_at is None or key.last_used_at < now - _TOUCH_EVERY:
        await _touch(session, key.id, now)
    # an owner demoted after creating the key takes the key down with them
    role = min(Role(key.role), Role(owner_role), key=ROLE_RANK.__getitem__)
    return Principal(user_id=key.user_id, role=role, api_key_id=key.id)


async def _touch(session: AsyncSession, key_id: str, now: datetime) -> None:
    """Record use, unless a concurrent request holds the row: that one records it."""
    unlocked = (
        select(ApiKey.id).where(ApiKey.id == key_id).with_for_update(skip_locked=True)
    ).scalar_subquery()
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == unlocked)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def _active_key(now: datetime) -> ColumnElement[bool]:
    return (ApiKey.revoked_at.is_(None)) & or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now)


# --- API keys -------------------------------------------------------------------------------


async def create_api_key(
    session: AsyncSession,
    settings: Settings,
    owner: Principal,
    *,
    name: str,
    role: Role | None,
    expires_at: datetime | None,
) -> NewApiKey:
    """A new key for `owner`; the secret is returned here and never again."""
    now = utcnow()
    role = role or owner.role
    if ROLE_RANK[role] > ROLE_RANK[owner.role]:
        raise Forbidden("An API key cannot have a role above its owner's", code="ROLE_TOO_HIGH")
    if expires_at is not None and expires_at <= now:
        detail = ErrorDetail("expiresAt", "must be in the future")
        raise BadRequest("expiresAt must be in the future", details=[detail])
    await _check_key_quota(session, settings, owner.user_id, now)
    secret = settings.api_key_prefix + security.new_secret()
    key = ApiKey(
        id=new_id("key"),
        user_id=owner.user_id,
        name=name,
        role=role,
        prefix=secret[:12],
        key_hash=security.token_hash(secret),
        expires_at=expires_at,
        created_at=now,
    )
    session.add(key)
    await session.flush()
    return NewApiKey(record=key, api_key=secret)


async def _check_key_quota(
    session: AsyncSession, settings: Settings, user_id: str, now: datetime
) -> None:
    # the owner's row lock makes concurrent creations count one after the other
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    active = await session.scalar(
        select(func.count()).select_from(ApiKey).where(ApiKey.user_id == user_id, _active_key(now))
    )
    if (active or 0) >= settings.max_api_keys_per_user:
        raise Conflict(
            f"At most {settings.max_api_keys_per_user} active API keys per user; delete one first",
            code="API_KEY_LIMIT_REACHED",
        )


async def list_api_keys(
    session: AsyncSession, user_id: str, *, offset: int, limit: int
) -> tuple[list[ApiKey], int]:
    """The user's keys not deleted (expired ones included), newest first, and their count."""
    mine = (ApiKey.user_id == user_id) & ApiKey.revoked_at.is_(None)
    total = await session.scalar(select(func.count()).select_from(ApiKey).where(mine))
    rows = await session.scalars(
        select(ApiKey)
        .where(mine)
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total or 0


async def delete_api_key(session: AsyncSession, user_id: str, key_id: str) -> None:
    """Revoke a key at once; another user's key reads as missing."""
    deleted = await session.scalar(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(ApiKey.id)
    )
    if deleted is None:
        raise NotFound("API key not found", code="API_KEY_NOT_FOUND")
