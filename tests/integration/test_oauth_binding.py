"""Issue 9, finding 10: an OAuth consent link started by one user cannot be completed into
their account by anyone else (the fake Google Drive and Dropbox servers of tests/fakes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from quarry.core.config import Settings
from tests.conftest import make_settings, register
from tests.fakes.dropbox_server import FakeDropbox
from tests.fakes.gdrive_server import FakeDrive
from tests.fakes.http_fake import serve
from tests.integration.test_auth import fresh_app

User = dict[str, Any]
DRIVE_CALLBACK = "/api/integrations/oauth/google-drive/callback"


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeDrive, FakeDropbox, dict[str, Any]]]:
    drive, dropbox = FakeDrive(), FakeDropbox()
    with serve(drive) as drive_url, serve(dropbox) as dropbox_url:
        yield (
            drive,
            dropbox,
            {
                "google_drive_api_url": drive_url,
                "google_oauth_token_url": f"{drive_url}/token",
                "google_oauth_auth_url": f"{drive_url}/o/oauth2/v2/auth",
                "google_client_id": "drive-client",
                "google_client_secret": "drive-secret",
                "dropbox_api_url": dropbox_url,
                "dropbox_content_url": dropbox_url,
                "dropbox_oauth_auth_url": f"{dropbox_url}/oauth2/authorize",
                "dropbox_client_id": "dropbox-app",
                "dropbox_client_secret": "dropbox-secret",
            },
        )


@pytest.fixture(scope="module")
def settings(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    fakes: tuple[FakeDrive, FakeDropbox, dict[str, Any]],
) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"), **fakes[2])


@asynccontextmanager
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own: its own cookie jar."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://quarry.test") as http:
        yield http


async def start(http: httpx.AsyncClient, user: User, slug: str = "google-drive") -> User:
    answer = await http.get(f"/api/integrations/oauth/{slug}/start", headers=user["headers"])
    assert answer.status_code == 200, answer.text
    consent: User = answer.json()
    return consent


async def integrations_of(http: httpx.AsyncClient, user: User) -> list[str]:
    listed = await http.get("/api/integrations", headers=user["headers"])
    return [item["id"] for item in listed.json()["data"]]


async def test_a_consent_link_opened_in_another_browser_completes_nothing(
    app: FastAPI, fakes: tuple[FakeDrive, FakeDropbox, dict[str, Any]]
) -> None:
    drive = fakes[0]
    async with browser(app) as attacker_browser, browser(app) as victim_browser:
        attacker = await register(attacker_browser)
        victim = await register(victim_browser)
        consent = await start(attacker_browser, attacker)
        # the attacker sends the consent link; the victim consents with their own account
        code = drive.oauth.new_code(consent["redirectUri"])
        landed = await victim_browser.get(
            DRIVE_CALLBACK, params={"code": code, "state": consent["state"]}
        )
        assert landed.status_code == 403 and landed.json()["code"] == "OAUTH_NOT_BOUND"
        assert code in drive.oauth.codes  # not even exchanged
        # the victim's app, finishing "its" flow with the victim's token, is refused as well
        finished = await victim_browser.post(
            "/api/integrations/oauth/google-drive/complete",
            json={"code": code, "state": consent["state"]},
            headers=victim["headers"],
        )
        assert finished.status_code == 403 and finished.json()["code"] == "OAUTH_USER_MISMATCH"
        # a forged cookie of the right name does not help
        forged = httpx.Cookies()
        for name in attacker_browser.cookies:
            forged.set(name, "guessed", domain="quarry.test", path="/api/integrations/oauth/")
        victim_browser.cookies = forged
        landed = await victim_browser.get(
            DRIVE_CALLBACK, params={"code": code, "state": consent["state"]}
        )
        assert landed.status_code == 403
        assert await integrations_of(attacker_browser, attacker) == []
        assert await integrations_of(victim_browser, victim) == []

        # the browser that started it completes it
        mine = await attacker_browser.get(
            DRIVE_CALLBACK, params={"code": code, "state": consent["state"]}
        )
        assert mine.status_code == 201, mine.text
        assert await integrations_of(attacker_browser, attacker) == [mine.json()["id"]]


async def test_the_app_completes_a_flow_with_the_starting_users_token(
    app: FastAPI, fakes: tuple[FakeDrive, FakeDropbox, dict[str, Any]]
) -> None:
    dropbox = fakes[1]
    async with browser(app) as api_client:
        user = await register(api_client)
        consent = await start(api_client, user, "dropbox")
        api_client.cookies.clear()  # a script: the consent happens in some other browser
        code = dropbox.oauth.new_code(consent["redirectUri"])
        done = await api_client.post(
            "/api/integrations/oauth/dropbox/complete",
            json={"code": code, "state": consent["state"]},
            headers=user["headers"],
        )
        assert done.status_code == 201, done.text
        assert done.json()["provider"] == "DROPBOX"
        assert await integrations_of(api_client, user) == [done.json()["id"]]


async def test_the_start_cookie_is_bound_to_the_flow_and_http_only(app: FastAPI) -> None:
    async with browser(app) as http:
        user = await register(http)
        answer = await http.get(
            "/api/integrations/oauth/google-drive/start", headers=user["headers"]
        )
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert "path=/api/integrations/oauth/" in cookie and "max-age=600" in cookie


async def test_without_a_binding_the_callback_sends_the_browser_to_the_app(
    pg_server: str, tmp_path: Path, fakes: tuple[FakeDrive, FakeDropbox, dict[str, Any]]
) -> None:
    drive = fakes[0]
    app_page = "https://app.example.com/connect?from=quarry"
    overrides = {"oauth_complete_url": app_page, **fakes[2]}
    async with (
        fresh_app(pg_server, tmp_path, **overrides) as app,
        browser(app) as starter,
        browser(app) as other,
    ):
        user = await register(starter)
        consent = await start(starter, user)
        code = drive.oauth.new_code(consent["redirectUri"])
        sent = await other.get(DRIVE_CALLBACK, params={"code": code, "state": consent["state"]})
        assert sent.status_code == 303
        target = urlsplit(sent.headers["location"])
        assert target.netloc == "app.example.com" and target.path == "/connect"
        params = {k: v[0] for k, v in parse_qs(target.query).items()}
        assert params == {
            "from": "quarry",
            "provider": "google-drive",
            "code": code,
            "state": consent["state"],
        }
        assert code in drive.oauth.codes and await integrations_of(starter, user) == []
        # the starting browser is not sent away: it completes at once
        done = await starter.get(DRIVE_CALLBACK, params={"code": code, "state": consent["state"]})
        assert done.status_code == 201
