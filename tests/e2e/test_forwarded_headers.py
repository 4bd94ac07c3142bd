"""Issue 9, finding 1: behind `quarry serve`, a client cannot dodge the sign-in limit by
sending its own X-Forwarded-For (uvicorn trusts that header from 127.0.0.1 by default)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests import pg
from tests.e2e.server import quarry_server


def _statuses(base_url: str, count: int, forwarded: str) -> list[int]:
    attempt = {"email": "someone@example.com", "password": "guess guess"}
    with httpx.Client(base_url=base_url, timeout=30) as http:
        return [
            http.post(
                "/api/auth/login", json=attempt, headers={"X-Forwarded-For": forwarded % n}
            ).status_code
            for n in range(count)
        ]


def test_a_local_client_rotating_x_forwarded_for_is_still_limited(
    pg_server: str, data_dir: Path
) -> None:
    with (
        pg.clone(pg_server) as url,
        quarry_server(data_dir, url, "--no-workers", AUTH_RATE_LIMIT_PER_MINUTE="3") as (base, _),
    ):
        assert _statuses(base, 5, "203.0.113.%d") == [401, 401, 401, 429, 429]


def test_a_trusted_proxy_is_believed(pg_server: str, data_dir: Path) -> None:
    with (
        pg.clone(pg_server) as url,
        quarry_server(
            data_dir,
            url,
            "--no-workers",
            AUTH_RATE_LIMIT_PER_MINUTE="2",
            TRUSTED_PROXIES="127.0.0.0/8",
        ) as (base, _),
    ):
        # each forwarded client has its own budget
        assert _statuses(base, 3, "203.0.113.%d") == [401, 401, 401]
        assert _statuses(base, 3, "198.51.100.1%.0s") == [401, 401, 429]
