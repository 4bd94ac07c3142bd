"""Credentials as bytes and strings: password hashes, access tokens, opaque secrets.

Passwords use argon2id (argon2-cffi); hashing is CPU-heavy, so it runs in a thread. Access
tokens are HS256 JWTs signed with `settings.jwt_access_secret`. Refresh tokens and API keys are
random strings stored only as their SHA-256. PyJWT's exceptions are translated here.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from quarry.auth.models import Role
from quarry.core.config import Settings
from quarry.core.errors import Unauthorized

_HASHER = PasswordHasher()
_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "jti", "typ", "sid"]
ACCESS_TYPE = "access"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says: who, in which session (the refresh-token family), and
    when it was issued (in milliseconds)."""

    user_id: str
    role: Role
    issued_at_ms: int
    session_id: str


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; with no hash, spend the same time and say no."""
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        matched = _HASHER.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


@cache
def _dummy_hash() -> str:
    """A hash of a random password, so unknown emails cost as much as known ones."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def to_millis(moment: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding)."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def issue_access_token(
    settings: Settings, user_id: str, role: Role, now: datetime, *, session_id: str
) -> str:
    issued = int(now.timestamp())
    payload: dict[str, Any] = {
        "sub": user_id,
        # the session (refresh-token family): logout and reuse detection end its access tokens
        "sid": session_id,
        "role": role.value,
        "iat": issued,
        "exp": issued + settings.jwt_access_ttl_seconds,
        "jti": secrets.token_hex(16),
        "typ": ACCESS_TYPE,
        # `iat` has whole seconds only; logout-all needs to tell tokens apart within one second
        "iat_ms": to_millis(now),
    }
    return jwt.encode(payload, settings.jwt_access_secret, algorithm=_ALGORITHM)


def read_access_token(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid access token; raises TOKEN_EXPIRED or INVALID_TOKEN."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_access_secret,
            algorithms=[_ALGORITHM],
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired", code="TOKEN_EXPIRED") from exc
    except jwt.InvalidTokenError as exc:
        raise _invalid_token() from exc
    return _claims(claims)


def _claims(claims: dict[str, Any]) -> AccessClaims:
    issued_ms = claims.get("iat_ms")
    if not isinstance(issued_ms, int) or isinstance(issued_ms, bool):
        raise _invalid_token()
    if claims["typ"] != ACCESS_TYPE or claims["role"] not in Role.__members__:
        raise _invalid_token()
    if not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str):
        raise _invalid_token()
    return AccessClaims(
        user_id=claims["sub"],
        role=Role(claims["role"]),
        issued_at_ms=issued_ms,
        session_id=claims["sid"],
    )


def _invalid_token() -> Unauthorized:
    return Unauthorized("The access token is not valid", code="INVALID_TOKEN")


def new_secret() -> str:
    """An opaque, url-safe random string of 43 characters (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """How refresh tokens and API keys are stored and looked up: hex SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()
