"""Connector pieces that need no server: OAuth state, file ids, endpoint policy, retries, walks."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from quarry.core.config import Settings
from quarry.core.errors import BadRequest, JobErrorCode, JobFailure
from quarry.integrations import oauth, providers
from quarry.integrations.models import Provider
from quarry.sources import s3
from quarry.sources.connectors import RemoteEntry, RemotePage, TooManyFiles, walk_files
from quarry.sources.fetched import FetchedFile
from quarry.sources.provider_http import HttpPolicy, send

SECRET = "unit-secret-" + "x" * 20


def state(expires: float) -> oauth.State:
    return oauth.State("usr_1", Provider.DROPBOX, "Box", None, int(expires))


def test_an_oauth_state_is_bound_to_its_user_and_expires() -> None:
    token = oauth.sign_state(SECRET, state(time.time() + 60))
    read = oauth.read_state(SECRET, token)
    assert (read.user_id, read.provider, read.name) == ("usr_1", Provider.DROPBOX, "Box")
    payload, _, mac = token.partition(".")
    forged = oauth.sign_state(SECRET, oauth.State("usr_2", Provider.DROPBOX, None, None, 0))
    for bad in (f"{forged.partition('.')[0]}.{mac}", f"{payload}.{'0' * 64}", "", "x.y"):
        with pytest.raises(BadRequest) as refused:
            oauth.read_state(SECRET, bad)
        assert refused.value.code == "INVALID_OAUTH_STATE"
    with pytest.raises(BadRequest) as other_key:
        oauth.read_state("another-secret-" + "y" * 20, token)
    assert other_key.value.code == "INVALID_OAUTH_STATE"
    with pytest.raises(BadRequest) as expired:
        oauth.read_state(SECRET, oauth.sign_state(SECRET, state(time.time() - 1)))
    assert expired.value.code == "OAUTH_STATE_EXPIRED"


def test_provider_slugs() -> None:
    assert oauth.provider_of("google-drive") is Provider.GOOGLE_DRIVE
    assert oauth.provider_of("GOOGLE_DRIVE") is Provider.GOOGLE_DRIVE
    assert oauth.provider_of("dropbox") is Provider.DROPBOX
    assert oauth.slug_of(Provider.GOOGLE_DRIVE) == "google-drive"


@pytest.mark.parametrize(
    ("provider", "config", "file_id", "ok"),
    [
        (Provider.S3, {"prefix": "in/"}, "in/a.pdf", True),
        (Provider.S3, {"prefix": "in/"}, "out/a.pdf", False),
        (Provider.S3, {}, "a\nb.pdf", False),
        (Provider.S3, {}, "k" * 1025, False),
        (Provider.GOOGLE_DRIVE, {}, "1AbC-_x", True),
        (Provider.GOOGLE_DRIVE, {}, "../etc", False),
        (Provider.DROPBOX, {}, "id:a4ayc_80_OEAAAAAAAAAXw", True),
        (Provider.DROPBOX, {}, "/Invoices/a.pdf", True),
        (Provider.DROPBOX, {}, "Invoices/a.pdf", False),
    ],
)
def test_file_ids_are_checked_at_request_time(
    provider: Provider, config: dict[str, str], file_id: str, ok: bool
) -> None:
    assert (providers.file_id_problem(provider, config, file_id) is None) is ok


def test_a_private_s3_endpoint_is_refused_unless_allowed(tmp_path: Path) -> None:
    strict = Settings(QUARRY_DATA_DIR=tmp_path, allow_private_urls=False)
    config = {"bucket": "docs", "endpointUrl": "http://127.0.0.1:9000"}
    credentials = {"accessKeyId": "a", "secretAccessKey": "b"}
    with pytest.raises(BadRequest) as refused:
        providers.check_input(strict, Provider.S3, config, credentials)
    assert [d.field for d in refused.value.details] == ["config.endpointUrl"]
    relaxed = Settings(QUARRY_DATA_DIR=tmp_path, allow_private_urls=True)
    checked = providers.check_input(relaxed, Provider.S3, config, credentials)
    assert checked.config["endpointUrl"] == "http://127.0.0.1:9000"


@pytest.mark.parametrize("url", ["http://localhost:9000", "http://10.1.2.3", "http://[::1]:9000"])
async def test_an_endpoint_resolving_inside_is_blocked_when_connecting(url: str) -> None:
    with pytest.raises(JobFailure) as blocked:
        await s3.check_endpoint(url)
    assert blocked.value.code is JobErrorCode.URL_BLOCKED


def transport(statuses: list[int], calls: list[int]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        status = statuses[min(len(calls), len(statuses)) - 1]
        return httpx.Response(status, headers={"Retry-After": "0"}, json={"n": len(calls)})

    return httpx.MockTransport(answer)


async def test_429_and_5xx_are_retried_then_fail_as_transient() -> None:
    policy = HttpPolicy(max_retries=2, retry_base=0)
    calls: list[int] = []
    async with httpx.AsyncClient(transport=transport([503, 429, 200], calls)) as http:
        request = http.build_request("GET", "https://provider.test/x")
        async with send(http, request, policy, "Provider") as response:
            assert response.status_code == 200
    assert len(calls) == 3
    for status, code in ((429, "PROVIDER_RATE_LIMITED"), (502, "DOWNLOAD_FAILED")):
        calls = []
        async with httpx.AsyncClient(transport=transport([status], calls)) as http:
            request = http.build_request("GET", "https://provider.test/x")
            with pytest.raises(JobFailure) as failed:
                async with send(http, request, policy, "Provider"):
                    pass
        assert failed.value.code == code and failed.value.transient and len(calls) == 3


def test_retry_after_is_honoured_within_a_cap() -> None:
    policy = HttpPolicy(retry_base=1, max_retry_wait=5)
    assert policy.backoff(2) == 4
    assert policy.backoff(0, httpx.Response(429, headers={"Retry-After": "3"})) == 3
    assert policy.backoff(0, httpx.Response(429, headers={"Retry-After": "600"})) == 5


class _Tree:
    """A connector over a dict of folder → entries, two entries a page."""

    def __init__(self, tree: dict[str | None, list[RemoteEntry]]) -> None:
        self.tree = tree

    async def check(self) -> None:
        return None

    async def list_folder(
        self, folder_id: str | None, cursor: str | None, *, page_size: int = 2
    ) -> RemotePage:
        start = int(cursor or 0)
        entries = self.tree.get(folder_id, [])
        more = start + page_size < len(entries)
        return RemotePage(
            entries[start : start + page_size], str(start + page_size) if more else None
        )

    async def fetch(self, file_id: str, dest_dir: Path, *, max_size: int) -> FetchedFile:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def entry(name: str, folder: bool = False) -> RemoteEntry:
    return RemoteEntry(name, name, None, None, None, folder)


async def test_a_folder_walk_pages_recurses_and_stops_at_the_limit() -> None:
    tree = _Tree(
        {
            None: [entry("sub", True), entry("a"), entry("b")],
            "sub": [entry("c"), entry("deeper", True)],
            "deeper": [entry("d")],
        }
    )
    flat = await walk_files(tree, None, recursive=False, limit=10)
    assert [e.file_id for e in flat] == ["a", "b"]
    deep = await walk_files(tree, None, recursive=True, limit=10)
    assert [e.file_id for e in deep] == ["a", "b", "c", "d"]
    with pytest.raises(TooManyFiles):
        await walk_files(tree, None, recursive=True, limit=3)
