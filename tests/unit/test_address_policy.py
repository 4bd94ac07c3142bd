"""Issue 9, finding 11: ALLOW_PRIVATE_URLS no longer opens cloud metadata, and
PRIVATE_URL_ALLOWLIST opens exactly what it lists."""

from __future__ import annotations

import ipaddress

import pytest

from quarry.core.addresses import parse_allowed_target
from quarry.sources.netguard import (
    AddressPolicy,
    BlockedUrl,
    check_url_at_request_time,
)

OPEN = AddressPolicy(allow_private=True)


def policy(*entries: str, allow_private: bool = False) -> AddressPolicy:
    return AddressPolicy(allow_private, tuple(parse_allowed_target(e) for e in entries))


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "2852039166",  # the same address as one number
        "0xa9.0xfe.0xa9.0xfe",
        "[::ffff:169.254.169.254]",
        "169.254.170.2",  # ECS task metadata
        "[fe80::1]",
        "100.100.100.200",  # Alibaba Cloud metadata
        "[fd00:ec2::254]",  # AWS metadata over IPv6
    ],
)
def test_allow_private_urls_still_refuses_link_local_and_metadata(host: str) -> None:
    with pytest.raises(BlockedUrl, match="link-local"):
        check_url_at_request_time(f"http://{host}/latest/meta-data/", policy=OPEN)


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.5/a.pdf", "http://127.0.0.1:8080/", "http://localhost/", "http://[fd00::1]/"],
)
def test_allow_private_urls_opens_the_rest(url: str) -> None:
    check_url_at_request_time(url, policy=OPEN)


def test_an_allowlisted_network_opens_just_that_network() -> None:
    listed = policy("10.1.0.0/16")
    check_url_at_request_time("http://10.1.2.3/a.pdf", policy=listed)
    for url in ("http://10.2.0.1/a.pdf", "http://127.0.0.1/", "http://169.254.169.254/"):
        with pytest.raises(BlockedUrl):
            check_url_at_request_time(url, policy=listed)


def test_a_port_in_the_entry_opens_only_that_port() -> None:
    listed = policy("10.0.0.5:9000", "[fd00::7]:8443")
    check_url_at_request_time("http://10.0.0.5:9000/", policy=listed)
    check_url_at_request_time("https://[fd00::7]:8443/", policy=listed)
    for url in ("http://10.0.0.5/", "http://10.0.0.5:9001/", "https://[fd00::7]/"):
        with pytest.raises(BlockedUrl):
            check_url_at_request_time(url, policy=listed)


def test_a_listed_name_opens_what_it_resolves_to_but_not_metadata() -> None:
    listed = policy("minio.internal:9000", "localhost")
    assert not listed.blocks(ip("10.9.8.7"), host="minio.internal", port=9000)
    assert not listed.blocks(ip("10.9.8.7"), host="MINIO.internal.", port=9000)
    assert listed.blocks(ip("10.9.8.7"), host="minio.internal", port=80)
    assert listed.blocks(ip("10.9.8.7"), host="other.internal", port=9000)
    assert listed.blocks(ip("169.254.169.254"), host="minio.internal", port=9000)
    check_url_at_request_time("http://localhost:3000/", policy=listed)


def test_metadata_opens_only_when_listed_by_address() -> None:
    listed = policy("169.254.169.254:80")
    check_url_at_request_time("http://169.254.169.254/latest/meta-data/", policy=listed)
    assert listed.blocks(ip("169.254.169.253"), port=80)
    assert not policy("169.254.0.0/16", allow_private=True).blocks(ip("169.254.1.1"), port=80)


def test_public_addresses_stay_open_whatever_the_list() -> None:
    assert not policy("10.0.0.1").blocks(ip("93.184.216.34"), host="example.com", port=443)
