"""Password hashing, access tokens and stored-token hashing, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from quarry.auth import security
from quarry.auth.models import Role
from quarry.core.config import Settings
from quarry.core.errors import Unauthorized

SETTINGS = Settings(jwt_access_secret="unit-secret-" + "s" * 32, jwt_access_ttl_seconds=900)


async def test_a_password_matches_only_its_own_hash() -> None:
    stored = await security.hash_password("correct horse")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert await security.verify_password(stored, "correct horse")
    assert not await security.verify_password(stored, "wrong horse")
    assert not await security.verify_password("not a hash", "correct horse")


async def test_no_hash_never_matches() -> None:
    assert not await security.verify_password(None, "anything at all")


def test_access_token_round_trip() -> None:
    token = security.issue_access_token(
        SETTINGS, "usr_1", Role.ADMIN, datetime.now(UTC), session_id="rtf_1"
    )
    claims = security.read_access_token(SETTINGS, token)
    assert claims.user_id == "usr_1" and claims.role is Role.ADMIN
    assert claims.session_id == "rtf_1"
    raw = jwt.decode(token, options={"verify_signature": False})
    assert raw["typ"] == "access" and raw["exp"] - raw["iat"] == 900 and raw["jti"]


def test_milliseconds_are_exact() -> None:
    now = datetime(2026, 11, 28, 10, 0, 0, 123_456, tzinfo=UTC)
    assert security.to_millis(now) == security.to_millis(now.replace(microsecond=123_000))
    assert security.to_millis(now + timedelta(milliseconds=1)) == security.to_millis(now) + 1


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("garbage", "INVALID_TOKEN"),
        (
            security.issue_access_token(
                Settings(jwt_access_secret="other-secret-" + "o" * 32),
                "usr_1",
                Role.USER,
                datetime.now(UTC),
                session_id="rtf_1",
            ),
            "INVALID_TOKEN",
        ),
        (
            security.issue_access_token(
                SETTINGS,
                "usr_1",
                Role.USER,
                datetime.now(UTC) - timedelta(hours=1),
                session_id="rtf_1",
            ),
            "TOKEN_EXPIRED",
        ),
    ],
)
def test_bad_access_tokens_are_refused(token: str, code: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        security.read_access_token(SETTINGS, token)
    assert refused.value.code == code


def test_a_token_of_another_type_is_refused() -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "sub": "usr_1",
        "role": "USER",
        "iat": now,
        "exp": now + 60,
        "jti": "j",
        "typ": "refresh",
        "iat_ms": now * 1000,
        "sid": "rtf_1",
    }
    token = jwt.encode(claims, SETTINGS.jwt_access_secret, algorithm="HS256")
    with pytest.raises(Unauthorized, match="not valid"):
        security.read_access_token(SETTINGS, token)


def test_an_access_token_without_a_session_is_refused() -> None:
    """Every access token names its session (`sid`), so logout can end it."""
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "usr_1", "role": "USER", "iat": now, "exp": now + 60, "jti": "j"}
    token = jwt.encode(
        {**claims, "typ": "access", "iat_ms": now * 1000},
        SETTINGS.jwt_access_secret,
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized, match="not valid"):
        security.read_access_token(SETTINGS, token)


def test_secrets_are_random_and_hashed_stably() -> None:
    first, second = security.new_secret(), security.new_secret()
    assert first != second and len(first) >= 40
    assert security.token_hash(first) == security.token_hash(first)
    assert len(security.token_hash(first)) == 64 and security.token_hash(first) != first
