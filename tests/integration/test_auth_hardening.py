"""Issue 9, findings 1 and 7: sign-in limits that a forged header cannot dodge, a sliding
window, a per-account backoff, and sessions whose access tokens end with them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from quarry.auth import lockout, ratelimit
from quarry.auth.models import LoginFailure
from quarry.core.errors import RateLimited
from quarry.core.time import utcnow
from quarry.runtime import Runtime
from tests.conftest import register
from tests.integration.test_auth import assert_error, client_from, fresh_app

Json = dict[str, Any]
MINUTE = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _credentials(account: Json, password: str | None = None) -> Json:
    return {"email": account["user"]["email"], "password": password or account["password"]}


@asynccontextmanager
async def _app(pg_server: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[FastAPI]:
    async with fresh_app(pg_server, tmp_path, **overrides) as app:
        yield app


# --- finding 1: the per-address limit ------------------------------------------------------


async def test_a_burst_across_a_minute_boundary_is_not_let_through_twice(
    runtime: Runtime,
) -> None:
    """Fixed windows let 5 tries in the last second of a minute and 5 more in the first second
    of the next; the window slides, so the sixth waits until the first is a minute old."""
    key = f"login:burst-{time.monotonic_ns()}"
    start = MINUTE - timedelta(milliseconds=500)
    for n in range(5):
        await ratelimit.hit(runtime.db, key, 5, now=start + timedelta(milliseconds=10 * n))
    with pytest.raises(RateLimited) as refused:
        await ratelimit.hit(runtime.db, key, 5, now=MINUTE + timedelta(milliseconds=500))
    assert refused.value.retry_after == 59
    assert str(refused.value).endswith("try again in 59 seconds")
    with pytest.raises(RateLimited) as refused:
        await ratelimit.hit(runtime.db, key, 5, now=start + timedelta(seconds=59.5))
    assert refused.value.retry_after == 1 and str(refused.value).endswith("in 1 second")
    # a minute after the first try there is room for one more, not for two
    await ratelimit.hit(runtime.db, key, 5, now=start + timedelta(seconds=60))
    with pytest.raises(RateLimited):
        await ratelimit.hit(runtime.db, key, 5, now=start + timedelta(seconds=60.005))


def test_the_wait_reads_in_good_english() -> None:
    assert ratelimit.wait_text(1) == "1 second" and ratelimit.wait_text(2) == "2 seconds"


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    pg_server: str, tmp_path: Path
) -> None:
    async with (
        _app(pg_server, tmp_path, auth_rate_limit_per_minute=3) as app,
        client_from(app, "127.0.0.1") as http,
    ):
        attempt = {"email": "someone@example.com", "password": "guess guess"}
        statuses = []
        for n in range(5):
            headers = {"X-Forwarded-For": f"203.0.113.{n}"}
            statuses.append(await http.post("/api/auth/login", json=attempt, headers=headers))
        assert [a.status_code for a in statuses] == [401, 401, 401, 429, 429]
        assert int(statuses[-1].headers["retry-after"]) >= 1


async def test_a_trusted_proxy_gives_each_client_its_own_limit(
    pg_server: str, tmp_path: Path
) -> None:
    async with (
        _app(
            pg_server, tmp_path, auth_rate_limit_per_minute=2, trusted_proxies="10.9.0.0/16"
        ) as app,
        client_from(app, "10.9.0.1") as proxy,
        client_from(app, "10.8.0.1") as stranger,
    ):
        attempt = {"email": "someone@example.com", "password": "guess guess"}

        async def via(client: httpx.AsyncClient, forwarded: str) -> int:
            headers = {"X-Forwarded-For": forwarded}
            return (await client.post("/api/auth/login", json=attempt, headers=headers)).status_code

        # behind the proxy: the client named by the proxy is limited, its neighbour is not;
        # a client-sent first entry is not trusted (the proxy appends the real peer)
        assert [await via(proxy, f"1.1.1.{n}, 198.51.100.7") for n in range(3)] == [401, 401, 429]
        assert await via(proxy, "198.51.100.8") == 401
        # a peer outside TRUSTED_PROXIES is itself the client, whatever it forwards
        assert [await via(stranger, f"192.0.2.{n}") for n in range(3)] == [401, 401, 429]


# --- finding 1: the per-account backoff ----------------------------------------------------


async def _wait_is_over(runtime: Runtime) -> None:
    """As if the backoff had passed (no sleeping in tests)."""
    async with runtime.db.transaction() as session:
        await session.execute(
            update(LoginFailure).values(locked_until=utcnow() - timedelta(seconds=1))
        )


async def test_failed_logins_of_one_account_back_off_whatever_the_address(
    pg_server: str, tmp_path: Path
) -> None:
    async with _app(pg_server, tmp_path, login_max_failures=3) as app:
        runtime: Runtime = app.state.runtime
        async with client_from(app, "10.0.1.1") as http:
            account = await register(http)
        wrong = _credentials(account, "not the password")
        statuses = []
        for n in range(4):  # each guess from a new address
            async with client_from(app, f"10.0.2.{n}") as http:
                statuses.append(await http.post("/api/auth/login", json=wrong))
        assert [a.status_code for a in statuses[:3]] == [401, 401, 401]
        locked = statuses[3]
        assert_error(locked, 429, "RATE_LIMITED")
        wait = int(locked.headers["retry-after"])
        assert 20 <= wait <= 30
        assert locked.json()["message"].endswith(f"try again in {wait} seconds")

        async with client_from(app, "10.0.3.1") as http:
            # even the right password waits: the guesser must not learn it during the wait
            right = await http.post("/api/auth/login", json=_credentials(account))
            assert right.status_code == 429
            await _wait_is_over(runtime)
            # the next wrong guess doubles the wait
            assert (await http.post("/api/auth/login", json=wrong)).status_code == 401
            doubled = await http.post("/api/auth/login", json=wrong)
            assert_error(doubled, 429, "RATE_LIMITED")
            assert 50 <= int(doubled.headers["retry-after"]) <= 60
            await _wait_is_over(runtime)
            right = await http.post("/api/auth/login", json=_credentials(account))
            assert right.status_code == 200
            # a success forgets the failures
            async with runtime.db.transaction() as session:
                assert (await session.scalars(select(LoginFailure))).all() == []
            assert (await http.post("/api/auth/login", json=wrong)).status_code == 401


async def test_forgotten_failures_are_deleted(runtime: Runtime) -> None:
    old = utcnow() - timedelta(hours=2)
    async with runtime.db.transaction() as session:
        session.add(LoginFailure(account_key="f" * 64, failures=9, last_failed_at=old))
    await lockout.count_attempt(runtime.db, runtime.settings, "someone-else@example.com")
    async with runtime.db.transaction() as session:
        keys = set(await session.scalars(select(LoginFailure.account_key)))
    assert "f" * 64 not in keys
    assert lockout.account_key("someone-else@example.com") in keys


async def test_parallel_guesses_cannot_outrun_the_backoff(pg_server: str, tmp_path: Path) -> None:
    async with _app(pg_server, tmp_path, login_max_failures=3) as app:
        async with client_from(app, "10.0.4.1") as http:
            account = await register(http)
            wrong = _credentials(account, "not the password")
            answers = await asyncio.gather(
                *(http.post("/api/auth/login", json=wrong) for _ in range(8))
            )
        codes = sorted(a.status_code for a in answers)
        assert codes == [401, 401, 401] + [429] * 5


# --- finding 7: sessions -------------------------------------------------------------------


async def test_logout_all_and_reuse_end_access_tokens_at_once(
    client: httpx.AsyncClient, user: Json
) -> None:
    login = (await client.post("/api/auth/login", json=_credentials(user))).json()
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {login['accessToken']}"}
    )
    assert me.status_code == 200
    first = await client.post("/api/auth/refresh", json={"refreshToken": login["refreshToken"]})
    rotated = first.json()
    # the stolen (already rotated) token comes back: the whole session ends, access tokens too
    reused = await client.post("/api/auth/refresh", json={"refreshToken": login["refreshToken"]})
    assert_error(reused, 401, "REFRESH_TOKEN_REUSED")
    for token in (login["accessToken"], rotated["accessToken"]):
        answer = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert_error(answer, 401, "TOKEN_REVOKED")
    # the user's first session is untouched
    assert (await client.get("/api/auth/me", headers=user["headers"])).status_code == 200
