"""Issue 9, finding 11, over the wire: the allow-list opens URL downloads, webhook deliveries
and S3 endpoints to exactly what it lists; ALLOW_PRIVATE_URLS does not open metadata."""

from __future__ import annotations

import http.server
import ipaddress
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quarry.core.addresses import parse_allowed_target
from quarry.core.config import Settings
from quarry.core.errors import JobErrorCode, JobFailure
from quarry.sources import s3
from quarry.sources.netguard import AddressPolicy, IPAddress
from quarry.sources.url import fetch_url
from quarry.webhooks import transport
from tests.conftest import make_settings
from tests.fakes.webhook_receiver import webhook_receiver
from tests.integration.helpers import create_schema, pdf

User = dict[str, Any]


def listing(*entries: str) -> AddressPolicy:
    return AddressPolicy(False, tuple(parse_allowed_target(e) for e in entries))


class _Pdf(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = pdf()
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def pdf_server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pdf)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


async def _download(url: str, tmp_path: Path, policy: AddressPolicy, **extra: Any) -> Any:
    return await fetch_url(
        url, tmp_path, max_size=10**7, policy=policy, connect_timeout=2, read_timeout=2, **extra
    )


async def test_url_downloads_reach_exactly_the_listed_address_and_port(
    pdf_server: str, tmp_path: Path
) -> None:
    fetched = await _download(f"http://{pdf_server}/a.pdf", tmp_path, listing(pdf_server))
    assert fetched.mime_type == "application/pdf"
    port = int(pdf_server.rsplit(":", 1)[1])
    with pytest.raises(JobFailure) as other_port:
        await _download(f"http://{pdf_server}/a.pdf", tmp_path, listing(f"127.0.0.1:{port + 1}"))
    assert other_port.value.code is JobErrorCode.URL_BLOCKED


async def test_a_listed_name_is_fetched_from_the_private_address_it_resolves_to(
    pdf_server: str, tmp_path: Path
) -> None:
    port = pdf_server.rsplit(":", 1)[1]

    async def resolve(host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]

    url = f"http://files.internal:{port}/a.pdf"
    fetched = await _download(url, tmp_path, listing("files.internal"), resolver=resolve)
    assert fetched.size == len(pdf())
    with pytest.raises(JobFailure) as unlisted:
        await _download(url, tmp_path, listing("other.internal"), resolver=resolve)
    assert unlisted.value.code is JobErrorCode.URL_BLOCKED


async def test_a_name_resolving_to_metadata_is_blocked_even_with_allow_private(
    tmp_path: Path,
) -> None:
    async def resolve(host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("169.254.169.254")]

    with pytest.raises(JobFailure) as blocked:
        await _download(
            "http://metadata.internal/latest/meta-data/",
            tmp_path,
            AddressPolicy(allow_private=True),
            resolver=resolve,
        )
    assert blocked.value.code is JobErrorCode.URL_BLOCKED


async def test_webhooks_reach_a_listed_receiver_only() -> None:
    with webhook_receiver() as receiver:
        address = receiver.url.split("/")[2]
        delivered = await transport.post(
            receiver.url, b"{}", [], timeout_seconds=2, policy=listing(address)
        )
        refused = await transport.post(
            receiver.url, b"{}", [], timeout_seconds=2, policy=listing("10.0.0.0/8")
        )
    assert delivered.delivered
    assert refused.status_code is None and len(receiver.received) == 1


async def test_an_s3_endpoint_on_a_listed_address_is_accepted() -> None:
    await s3.check_endpoint("http://127.0.0.1:9000", listing("127.0.0.1:9000"))
    with pytest.raises(JobFailure) as blocked:
        await s3.check_endpoint("http://127.0.0.1:9001", listing("127.0.0.1:9000"))
    assert blocked.value.code is JobErrorCode.URL_BLOCKED
    with pytest.raises(JobFailure):
        await s3.check_endpoint("http://169.254.169.254", AddressPolicy(allow_private=True))


# --- through the API ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """ALLOW_PRIVATE_URLS=true, as the tests run: metadata must still be refused."""
    return make_settings(database_url, tmp_path_factory.mktemp("data"), allow_private_urls=True)


async def test_the_api_refuses_metadata_even_with_allow_private_urls(
    client: httpx.AsyncClient, user: User
) -> None:
    schema_id = await create_schema(client, user["headers"])
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "urls": [{"url": "http://169.254.169.254/latest/meta-data/iam/"}],
    }
    answer = await client.post("/api/job-runs/from-urls", headers=user["headers"], json=body)
    assert answer.status_code == 400 and answer.json()["code"] == "INVALID_URL"
    hook = {
        "url": "http://[::ffff:169.254.169.254]/hook",
        "deliveryMode": "MANUAL",
        "events": [],
        "bodyFormat": "JSON",
        "enabled": True,
    }
    answer = await client.post("/api/webhooks", headers=user["headers"], json=hook)
    assert answer.status_code == 400 and answer.json()["code"] == "INVALID_URL"
    s3_integration = {
        "provider": "S3",
        "name": "meta",
        "config": {"bucket": "b", "endpointUrl": "http://169.254.169.254"},
        "credentials": {"accessKeyId": "a", "secretAccessKey": "b"},
    }
    answer = await client.post("/api/integrations", headers=user["headers"], json=s3_integration)
    assert answer.status_code == 400, answer.text
