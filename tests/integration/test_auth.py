"""Auth: accounts, sessions with rotating refresh tokens, API keys, sign-in rate limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from quarry.app import create_app
from quarry.auth.models import ApiKey, RefreshToken
from quarry.core.config import Settings
from quarry.core.time import to_wire, utcnow
from quarry.runtime import Role as ProcessRole
from quarry.runtime import Runtime, build_runtime
from tests import pg
from tests.conftest import make_settings, register

Json = dict[str, Any]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["statusCode"] == status and body["code"] == code
    assert body["error"] and body["message"]


async def plain_user(client: httpx.AsyncClient) -> Json:
    """A user with the USER role (only the first account of a database is ADMIN)."""
    account = await register(client)
    return account if account["user"]["role"] == "USER" else await register(client)


async def create_key(client: httpx.AsyncClient, owner: Json, **body: Any) -> Json:
    answer = await client.post(
        "/api/auth/api-keys", json={"name": "ci", **body}, headers=owner["headers"]
    )
    assert answer.status_code == 201, answer.text
    key: Json = answer.json()
    return key


# --- accounts -------------------------------------------------------------------------------


async def test_register_login_and_me_round_trip(client: httpx.AsyncClient) -> None:
    body = {"name": "Ada", "email": "Ada.Round@Example.com", "password": "long enough pw"}
    registered = await client.post("/api/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    session = registered.json()
    assert set(session) == {"user", "accessToken", "refreshToken", "expiresIn"}
    assert session["expiresIn"] == 900
    user = session["user"]
    assert set(user) == {"id", "name", "email", "role", "createdAt"}
    assert user["name"] == "Ada" and user["email"] == "Ada.Round@Example.com"
    assert user["createdAt"].endswith("Z")

    login = await client.post(
        "/api/auth/login", json={"email": "ada.round@example.com", "password": "long enough pw"}
    )
    assert login.status_code == 200, login.text
    assert login.json()["user"] == user
    for token in (session["accessToken"], login.json()["accessToken"]):
        me = await client.get("/api/auth/me", headers=bearer(token))
        assert me.status_code == 200 and me.json() == user


async def test_duplicate_email_in_another_case_is_409(client: httpx.AsyncClient) -> None:
    first = await register(client)
    answer = await client.post(
        "/api/auth/register",
        json={"name": "Twin", "email": first["user"]["email"].upper(), "password": "x" * 8},
    )
    assert_error(answer, 409, "EMAIL_TAKEN")


async def test_wrong_password_and_unknown_email_read_the_same(
    client: httpx.AsyncClient, user: Json
) -> None:
    wrong = await client.post(
        "/api/auth/login", json={"email": user["user"]["email"], "password": "not the one"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "not the one"}
    )
    for answer in (wrong, unknown):
        assert_error(answer, 401, "INVALID_CREDENTIALS")
        assert set(answer.json()) == {"statusCode", "error", "code", "message"}
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "email": "a@example.com", "password": "short"}, "password"),
        ({"name": "A", "email": "not-an-email", "password": "long enough"}, "email"),
        ({"name": "", "email": "b@example.com", "password": "long enough"}, "name"),
    ],
)
async def test_register_refuses_bad_input(
    client: httpx.AsyncClient, body: Json, field: str
) -> None:
    answer = await client.post("/api/auth/register", json=body)
    assert_error(answer, 400, "VALIDATION_ERROR")
    assert [d["field"] for d in answer.json()["details"]] == [field]


# --- refresh tokens and logout --------------------------------------------------------------


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refreshToken": token})


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    client: httpx.AsyncClient, user: Json
) -> None:
    first = await refresh(client, user["refreshToken"])
    assert first.status_code == 200, first.text
    pair = first.json()
    assert pair["refreshToken"] != user["refreshToken"] and pair["expiresIn"] == 900
    assert (
        await client.get("/api/auth/me", headers=bearer(pair["accessToken"]))
    ).status_code == 200
    second = await refresh(client, pair["refreshToken"])
    assert second.status_code == 200

    # the first token is presented again: someone copied it
    assert_error(await refresh(client, user["refreshToken"]), 401, "REFRESH_TOKEN_REUSED")
    assert_error(await refresh(client, second.json()["refreshToken"]), 401, "REFRESH_TOKEN_REUSED")
    # every access token of the family stops too, the newest included (issue 9, finding 7)
    for token in (user["accessToken"], pair["accessToken"], second.json()["accessToken"]):
        me = await client.get("/api/auth/me", headers=bearer(token))
        assert_error(me, 401, "TOKEN_REVOKED")


async def test_reuse_leaves_other_sessions_alone(client: httpx.AsyncClient, user: Json) -> None:
    login = await client.post(
        "/api/auth/login", json={"email": user["user"]["email"], "password": user["password"]}
    )
    assert (await refresh(client, user["refreshToken"])).status_code == 200
    assert (await refresh(client, user["refreshToken"])).status_code == 401
    assert (await refresh(client, login.json()["refreshToken"])).status_code == 200


async def test_unknown_and_expired_refresh_tokens_are_refused(
    client: httpx.AsyncClient, user: Json, runtime: Runtime
) -> None:
    assert_error(await refresh(client, "no-such-token"), 401, "INVALID_REFRESH_TOKEN")
    async with runtime.db.transaction() as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user["user"]["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_error(await refresh(client, user["refreshToken"]), 401, "REFRESH_TOKEN_EXPIRED")


async def test_logout_ends_that_session(client: httpx.AsyncClient, user: Json) -> None:
    credentials = {"email": user["user"]["email"], "password": user["password"]}
    other = (await client.post("/api/auth/login", json=credentials)).json()
    answer = await client.post("/api/auth/logout", json={"refreshToken": user["refreshToken"]})
    assert answer.status_code == 204 and answer.content == b""
    assert (await refresh(client, user["refreshToken"])).status_code == 401
    # the session's access token ends with it (issue 9, finding 7); another session goes on
    assert_error(await client.get("/api/auth/me", headers=user["headers"]), 401, "TOKEN_REVOKED")
    assert (
        await client.get("/api/auth/me", headers=bearer(other["accessToken"]))
    ).status_code == 200
    unknown = await client.post("/api/auth/logout", json={"refreshToken": "never-issued"})
    assert unknown.status_code == 204


async def test_logout_all_ends_every_session_but_not_the_next_one(
    client: httpx.AsyncClient, user: Json
) -> None:
    credentials = {"email": user["user"]["email"], "password": user["password"]}
    other = (await client.post("/api/auth/login", json=credentials)).json()
    answer = await client.post("/api/auth/logout-all", headers=user["headers"])
    assert answer.status_code == 204

    for session in (user, other):
        me = await client.get("/api/auth/me", headers=bearer(session["accessToken"]))
        assert_error(me, 401, "TOKEN_REVOKED")
        assert (await refresh(client, session["refreshToken"])).status_code == 401

    fresh = (await client.post("/api/auth/login", json=credentials)).json()
    assert (
        await client.get("/api/auth/me", headers=bearer(fresh["accessToken"]))
    ).status_code == 200
    assert (await refresh(client, fresh["refreshToken"])).status_code == 200


# --- bearer tokens --------------------------------------------------------------------------


def access_token(
    settings: Settings, user_id: str, *, age: int, sid: str = "rtf_none", secret: str | None = None
) -> str:
    issued = int(time.time()) - age
    claims = {
        "sub": user_id,
        "sid": sid,
        "role": "USER",
        "iat": issued,
        "exp": issued + 900,
        "jti": "j",
        "typ": "access",
        "iat_ms": issued * 1000,
    }
    return jwt.encode(claims, secret or settings.jwt_access_secret, algorithm="HS256")


async def test_missing_or_bad_credentials_are_401(
    client: httpx.AsyncClient, user: Json, settings: Settings
) -> None:
    user_id = user["user"]["id"]
    sid = jwt.decode(user["accessToken"], options={"verify_signature": False})["sid"]
    assert_error(await client.get("/api/auth/me"), 401, "UNAUTHORIZED")
    cases = {
        "not-a-jwt": "INVALID_TOKEN",
        access_token(
            settings, user_id, age=0, secret="another-secret-" + "z" * 32
        ): "INVALID_TOKEN",
        access_token(settings, user_id, age=1000): "TOKEN_EXPIRED",
        access_token(settings, "usr_gone", age=0): "INVALID_TOKEN",
        # a well-signed token of a session that never existed
        access_token(settings, user_id, age=0): "TOKEN_REVOKED",
        settings.api_key_prefix + "x" * 43: "INVALID_API_KEY",
    }
    for token, code in cases.items():
        assert_error(await client.get("/api/auth/me", headers=bearer(token)), 401, code)
    live = access_token(settings, user_id, age=0, sid=sid)
    assert (await client.get("/api/auth/me", headers=bearer(live))).status_code == 200


# --- API keys -------------------------------------------------------------------------------


async def test_api_key_life_cycle(client: httpx.AsyncClient, user: Json) -> None:
    created = await create_key(client, user, name="n8n")
    assert set(created) == {
        "id",
        "name",
        "role",
        "prefix",
        "apiKey",
        "expiresAt",
        "createdAt",
        "lastUsedAt",
    }
    key = created["apiKey"]
    assert key.startswith("ef_live_") and len(key) >= len("ef_live_") + 40
    assert created["prefix"] == key[:12] and created["role"] == user["user"]["role"]
    assert created["expiresAt"] is None and created["lastUsedAt"] is None

    me = await client.get("/api/auth/me", headers=bearer(key))
    assert me.status_code == 200 and me.json()["id"] == user["user"]["id"]

    listed = await client.get("/api/auth/api-keys", headers=user["headers"])
    assert listed.status_code == 200
    assert listed.json()["total"] == 1 and key not in listed.text
    [item] = listed.json()["data"]
    assert set(item) == set(created) - {"apiKey"}
    assert item["id"] == created["id"] and item["lastUsedAt"] is not None

    deleted = await client.delete(f"/api/auth/api-keys/{created['id']}", headers=user["headers"])
    assert deleted.status_code == 204
    assert_error(await client.get("/api/auth/me", headers=bearer(key)), 401, "INVALID_API_KEY")
    listed = await client.get("/api/auth/api-keys", headers=user["headers"])
    assert listed.json()["data"] == []


async def test_api_keys_are_listed_newest_first(client: httpx.AsyncClient, user: Json) -> None:
    names = ["one", "two", "three"]
    for name in names:
        await create_key(client, user, name=name)
    listed = (await client.get("/api/auth/api-keys", headers=user["headers"])).json()
    assert [item["name"] for item in listed["data"]] == names[::-1]


async def test_an_api_key_cannot_create_keys(client: httpx.AsyncClient, user: Json) -> None:
    key = (await create_key(client, user))["apiKey"]
    answer = await client.post("/api/auth/api-keys", json={"name": "x"}, headers=bearer(key))
    assert_error(answer, 403, "JWT_REQUIRED")


async def test_a_key_role_cannot_exceed_its_owner(client: httpx.AsyncClient) -> None:
    owner = await plain_user(client)
    answer = await client.post(
        "/api/auth/api-keys", json={"name": "x", "role": "ADMIN"}, headers=owner["headers"]
    )
    assert_error(answer, 403, "ROLE_TOO_HIGH")
    assert (await create_key(client, owner, role="USER"))["role"] == "USER"


async def test_expiry_must_be_in_the_future_and_expired_keys_stop_working(
    client: httpx.AsyncClient, user: Json, runtime: Runtime
) -> None:
    past = to_wire(datetime.now(UTC) - timedelta(minutes=1))
    answer = await client.post(
        "/api/auth/api-keys", json={"name": "x", "expiresAt": past}, headers=user["headers"]
    )
    assert_error(answer, 400, "VALIDATION_ERROR")
    soon = datetime.now(UTC) + timedelta(hours=1)
    created = await create_key(client, user, expiresAt=to_wire(soon))
    assert created["expiresAt"] == to_wire(soon)
    assert (await client.get("/api/auth/me", headers=bearer(created["apiKey"]))).status_code == 200
    async with runtime.db.transaction() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == created["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    me = await client.get("/api/auth/me", headers=bearer(created["apiKey"]))
    assert_error(me, 401, "INVALID_API_KEY")


async def test_active_keys_are_limited(
    client: httpx.AsyncClient, user: Json, settings: Settings
) -> None:
    keys = [await create_key(client, user) for _ in range(settings.max_api_keys_per_user)]
    answer = await client.post("/api/auth/api-keys", json={"name": "x"}, headers=user["headers"])
    assert_error(answer, 409, "API_KEY_LIMIT_REACHED")
    await client.delete(f"/api/auth/api-keys/{keys[0]['id']}", headers=user["headers"])
    await create_key(client, user)


async def test_another_users_key_is_not_found(
    client: httpx.AsyncClient, user: Json, other_user: Json
) -> None:
    created = await create_key(client, user)
    answer = await client.delete(
        f"/api/auth/api-keys/{created['id']}", headers=other_user["headers"]
    )
    assert_error(answer, 404, "API_KEY_NOT_FOUND")
    assert (await client.get("/api/auth/me", headers=bearer(created["apiKey"]))).status_code == 200
    listed = (await client.get("/api/auth/api-keys", headers=other_user["headers"])).json()
    assert listed["total"] == 0


async def test_openapi_describes_the_auth_routes(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/openapi.json")).json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    paths = document["paths"]
    login = paths["/api/auth/login"]["post"]
    assert "requestBody" in login and {"200", "401", "429"} <= set(login["responses"])
    create = paths["/api/auth/api-keys"]["post"]["responses"]
    assert {"201", "401", "403", "409"} <= set(create)
    assert "$ref" in str(create["201"]["content"])


# --- on a database of their own: first user, closed registration, rate limits ---------------


@asynccontextmanager
async def fresh_app(pg_server: str, data_dir: Path, **overrides: Any) -> AsyncIterator[FastAPI]:
    """An app on a newly cloned, empty database, with the given settings."""
    with pg.clone(pg_server) as url:
        settings = make_settings(url, data_dir, workers_in_server=False, **overrides)
        runtime = build_runtime(settings, ProcessRole.SERVER, migrate_schema=False)
        try:
            app = create_app(settings, runtime)
            async with app.router.lifespan_context(app):
                yield app
        finally:
            await runtime.close()


@asynccontextmanager
async def client_from(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://quarry.test") as http:
        yield http


async def test_the_first_user_becomes_admin(pg_server: str, tmp_path: Path) -> None:
    async with fresh_app(pg_server, tmp_path) as app, client_from(app, "10.0.0.1") as http:
        first, second = await asyncio.gather(register(http), register(http))
        roles = sorted([first["user"]["role"], second["user"]["role"]])
        assert roles == ["ADMIN", "USER"]
        assert (await register(http))["user"]["role"] == "USER"


async def test_registration_can_be_closed(pg_server: str, tmp_path: Path) -> None:
    async with (
        fresh_app(pg_server, tmp_path, allow_registration=False) as app,
        client_from(app, "10.0.0.2") as http,
    ):
        answer = await http.post(
            "/api/auth/register", json={"name": "A", "email": "a@example.com", "password": "x" * 8}
        )
        assert_error(answer, 403, "REGISTRATION_CLOSED")


async def avoid_minute_boundary() -> None:
    """Rate-limit windows are calendar minutes: start a burst well inside one."""
    now = datetime.now(UTC)
    if now.second >= 55:
        await asyncio.sleep(60.2 - now.second - now.microsecond / 1e6)


async def test_sign_in_is_rate_limited_per_address(pg_server: str, tmp_path: Path) -> None:
    async with (
        fresh_app(pg_server, tmp_path, auth_rate_limit_per_minute=5) as app,
        client_from(app, "10.0.0.3") as http,
        client_from(app, "10.0.0.4") as neighbour,
    ):
        await avoid_minute_boundary()
        attempt = {"email": "someone@example.com", "password": "guess guess"}
        for _ in range(5):
            assert (await http.post("/api/auth/login", json=attempt)).status_code == 401
        limited = await http.post("/api/auth/login", json=attempt)
        assert_error(limited, 429, "RATE_LIMITED")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert (await neighbour.post("/api/auth/login", json=attempt)).status_code == 401

        for _ in range(5):
            await register(http)
        answer = await http.post(
            "/api/auth/register", json={"name": "A", "email": "z@example.com", "password": "x" * 8}
        )
        assert_error(answer, 429, "RATE_LIMITED")
