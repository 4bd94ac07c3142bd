"""With the address block on (the default), `from-urls` cannot reach the operator's network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from quarry.core.config import Settings
from quarry.sources.netguard import is_blocked_ip
from tests.conftest import make_settings
from tests.integration.helpers import children, create_schema, wait_run

User = dict[str, Any]


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"), allow_private_urls=False)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1 that must never see a connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.5)
    yield sock
    sock.close()


def assert_no_connection(sock: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        sock.accept()


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "127.1",
        "[::ffff:127.0.0.1]",
        "[::1]",
        "169.254.169.254",
        "10.0.0.1",
    ],
)
async def test_literal_internal_addresses_are_refused_at_request_time(
    client: httpx.AsyncClient, user: User, listener: socket.socket, host: str
) -> None:
    schema_id = await create_schema(client, user["headers"])
    port = listener.getsockname()[1]
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "urls": [{"url": "https://example.com/ok.pdf"}, {"url": f"http://{host}:{port}/x.pdf"}],
    }
    answer = await client.post("/api/job-runs/from-urls", headers=user["headers"], json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "INVALID_URL"  # as the README says
    assert answer.json()["details"][0]["field"] == "urls[1].url"
    assert_no_connection(listener)


def internal_host_name() -> str:
    """This machine's own name, which resolves to an internal address."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except OSError:
        pytest.skip(f"the host name {name!r} does not resolve here")
    if not all(is_blocked_ip(ipaddress.ip_address(a)) for a in addresses):
        pytest.skip(f"the host name {name!r} resolves to a public address here")
    return name


async def test_a_name_that_resolves_inside_fails_the_job_with_url_blocked(
    client: httpx.AsyncClient, user: User, listener: socket.socket
) -> None:
    schema_id = await create_schema(client, user["headers"])
    port = listener.getsockname()[1]
    host = internal_host_name()
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "urls": [{"url": f"http://{host}:{port}/invoice.pdf", "externalRef": "x"}],
    }
    answer = await client.post("/api/job-runs/from-urls", headers=user["headers"], json=body)
    assert answer.status_code == 201, answer.text
    run = await wait_run(client, user["headers"], answer.json()["jobRunId"])
    job = (await children(client, user["headers"], run["id"]))[0]
    assert job["status"] == "FAILED" and job["errorCode"] == "URL_BLOCKED"
    assert job["attempts"] == 1
    assert_no_connection(listener)


async def test_a_callback_url_to_an_internal_address_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    schema_id = await create_schema(client, user["headers"])
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "callbackUrl": "http://127.0.0.1/cb",
        "urls": [{"url": "https://example.com/a.pdf"}],
    }
    answer = await client.post("/api/job-runs/from-urls", headers=user["headers"], json=body)
    assert answer.status_code == 400 and answer.json()["details"][0]["field"] == "callbackUrl"
