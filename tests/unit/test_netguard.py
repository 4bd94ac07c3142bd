"""The address policy and URL checks that keep URL fetching away from internal services."""

from __future__ import annotations

import ipaddress

import pytest

from quarry.sources.netguard import (
    PUBLIC_ONLY,
    AddressPolicy,
    BlockedUrl,
    InvalidUrl,
    check_url_at_request_time,
    check_url_syntax,
    is_blocked_ip,
    parse_host_literal,
)

LOOPBACK_V4_SPELLINGS = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "017700000001",
    "0177.0.0.1",
    "0177.0000.0000.0001",
    "0x7f.0x0.0x0.0x1",
    "0x7f.0.0.1",
    "0x7f.1",
    "127.1",
    "127.0.1",
    "127.0x0.1",
    "0177.1",
    "127.0.0.1.",
    "%31%32%37.0.0.1",
    "１２７.０.０.１",
    "127。0。0。1",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::127.0.0.1]",
    "[::ffff:0:127.0.0.1]",
    "[64:ff9b::127.0.0.1]",
    "[2002:7f00:1::]",
]
LOOPBACK_V6_SPELLINGS = ["[::1]", "[0:0:0:0:0:0:0:1]", "[0000::0001]", "[::1%25lo]", "[::1%25eth0]"]
METADATA_SPELLINGS = [
    "169.254.169.254",
    "2852039166",
    "0xa9fea9fe",
    "0251.0376.0251.0376",
    "0xa9.0xfe.0xa9.0xfe",
    "169.254.43518",
    "169.16689662",
    "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]",
    "[64:ff9b::a9fe:a9fe]",
    "[2002:a9fe:a9fe::1]",
]
UNSPECIFIED_SPELLINGS = ["0", "0.0.0.0", "0x0", "00", "0.0", "[::]", "[::ffff:0.0.0.0]"]


@pytest.mark.parametrize("host", LOOPBACK_V4_SPELLINGS)
def test_every_spelling_of_127_0_0_1_is_read_as_that_address(host: str) -> None:
    ip = parse_host_literal(host)
    assert ip is not None
    if isinstance(ip, ipaddress.IPv6Address):
        assert is_blocked_ip(ip)
    else:
        assert ip == ipaddress.IPv4Address("127.0.0.1")


@pytest.mark.parametrize("host", METADATA_SPELLINGS)
def test_every_spelling_of_the_metadata_address_is_blocked(host: str) -> None:
    ip = parse_host_literal(host)
    assert ip is not None and is_blocked_ip(ip)


@pytest.mark.parametrize(
    "host",
    LOOPBACK_V4_SPELLINGS + LOOPBACK_V6_SPELLINGS + METADATA_SPELLINGS + UNSPECIFIED_SPELLINGS,
)
def test_request_time_check_refuses_every_spelling_of_internal_addresses(host: str) -> None:
    with pytest.raises(BlockedUrl):
        check_url_at_request_time(f"http://{host}/invoice.pdf", policy=PUBLIC_ONLY)
    with pytest.raises(BlockedUrl):
        check_url_at_request_time(f"https://{host}:8443/x?y=1", policy=PUBLIC_ONLY)


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "localhost.", "api.localhost"])
def test_localhost_names_are_refused_without_a_lookup(host: str) -> None:
    with pytest.raises(BlockedUrl):
        check_url_at_request_time(f"http://{host}/", policy=PUBLIC_ONLY)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "http://0x7f.1:8080/", "http://[::1]/", "http://localhost/"],
)
def test_allow_private_lifts_the_request_time_block(url: str) -> None:
    check_url_at_request_time(url, policy=AddressPolicy(allow_private=True))


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/invoice.pdf",
        "http://8.8.8.8/",
        "http://134744072/",  # 8.8.8.8 as a number: a public address in any spelling is fine
        "http://[2606:4700:4700::1111]/",
        "http://[::ffff:8.8.8.8]/",
        "http://bücher.example/",
        "http://files.internal.example/",  # names are not resolved at request time
    ],
)
def test_public_urls_pass_the_request_time_check(url: str) -> None:
    check_url_at_request_time(url, policy=PUBLIC_ONLY)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "empty"),
        ("ftp://example.com/file.pdf", "http and https"),
        ("file:///etc/passwd", "http and https"),
        ("gopher://127.0.0.1:6379/_INFO", "http and https"),
        ("javascript:alert(1)", "http and https"),
        ("example.com/file.pdf", "http and https"),
        ("http:///file.pdf", "no host"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http://example.com@127.0.0.1/", "user name or password"),
        ("http://example.com:99999/", "malformed"),
        ("http://example.com:0/", "port 0"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com/\r\nX-Injected: 1", "control"),
        ("http://example.com\\@127.0.0.1/", "backslash"),
        ("http://[v1.fe80]/", "IPv6"),
        ("http://[::1/", "malformed"),
        ("http://08/", "not a valid one"),
        ("http://4294967296/", "not a valid one"),
        ("http://1.2.3.256/", "not a valid one"),
        ("http://example..com/", "not a valid host name"),
        ("http://%2f%2fevil/", "not a valid host name"),
        ("http://" + "a" * 64 + ".com/", "not a valid host name"),
        ("http://example.com/" + "a" * 5000, "longer than"),
    ],
)
def test_malformed_urls_are_rejected_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(InvalidUrl, match=reason):
        check_url_syntax(url)
    with pytest.raises(InvalidUrl):
        check_url_at_request_time(url, policy=AddressPolicy(allow_private=True))


def test_parsed_url_keeps_what_the_request_needs() -> None:
    parsed = check_url_syntax(" HTTPS://Files.Example.COM:8443/a%20b/ä.pdf?x=1&y=ü#frag ")
    assert (parsed.scheme, parsed.host, parsed.port) == ("https", "files.example.com", 8443)
    assert parsed.target == "/a%20b/%C3%A4.pdf?x=1&y=%C3%BC"
    assert parsed.host_header == "files.example.com:8443"
    assert parsed.ip is None
    assert "#" not in parsed.url


def test_parsed_url_of_ip_literals_is_canonical() -> None:
    parsed = check_url_syntax("http://0x7f.1:8080/doc")
    assert parsed.ip == ipaddress.IPv4Address("127.0.0.1")
    assert parsed.url == "http://127.0.0.1:8080/doc"
    v6 = check_url_syntax("http://[::1%25lo]/")
    assert v6.host == "::1" and v6.host_header == "[::1]" and v6.port == 80


def test_default_port_is_left_out_of_the_host_header() -> None:
    assert check_url_syntax("https://example.com:443/").host_header == "example.com"
    assert check_url_syntax("http://example.com/").port == 80


def test_internationalised_names_become_punycode() -> None:
    parsed = check_url_syntax("https://Bücher.example/")
    assert parsed.host == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.0.1",
        "100.64.0.1",
        "100.127.255.255",
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.0.8",
        "192.0.2.10",
        "198.51.100.7",
        "203.0.113.9",
        "198.18.0.1",
        "198.19.255.255",
        "::",
        "::1",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd00:ec2::254",  # AWS IPv6 metadata endpoint
        "fec0::1",
        "ff02::1",
        "100::1",
        "2001:db8::1",
        "2001::1",  # Teredo
        "2001:2::1",  # benchmarking
        "3fff::1",
        "64:ff9b:1::1",
        "::ffff:10.1.2.3",
        "::ffff:192.168.0.1",
        "::10.1.2.3",
        "64:ff9b::192.168.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
        "2002:7f00:1::1",
    ],
)
def test_internal_and_reserved_addresses_are_blocked(address: str) -> None:
    assert is_blocked_ip(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "172.32.0.1",  # just outside 172.16/12
        "100.128.0.1",  # just outside 100.64/10
        "169.255.0.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
        "2002:0808:0808::1",  # 6to4 of 8.8.8.8
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_blocked_ip(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "host", ["example.com", "08", "1.2.3.256", "4294967296", "1.2.3.4.5", "0x1g", "[::1", "12..3"]
)
def test_names_and_invalid_numbers_are_not_ip_literals(host: str) -> None:
    assert parse_host_literal(host) is None


def test_ipv6_zone_ids_are_accepted_and_ignored_by_the_policy() -> None:
    ip = parse_host_literal("[fe80::1%25eth0]")
    assert ip is not None and ip.version == 6
    assert is_blocked_ip(ip)
