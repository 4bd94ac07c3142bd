"""Which URLs Quarry may fetch: the scheme/host syntax and the address policy.

The policy (`AddressPolicy`, built from the settings by `address_policy`): public addresses
only; `ALLOW_PRIVATE_URLS=true` opens private and reserved addresses too, but never link-local
ones (169.254.0.0/16, fe80::/10, where cloud metadata services answer) nor the other known
metadata addresses; `PRIVATE_URL_ALLOWLIST` opens exactly the hosts, addresses and networks it
lists (optionally on one port). A listed host name lets through what it resolves to, except
link-local and metadata addresses: those open only when an address or network entry names them.

Two moments matter. At request time (`check_url_at_request_time`) names are not resolved: a URL
is refused when it is malformed or when its host is an IP literal, in any spelling a URL library
or libc would accept (`2130706433`, `0x7f.1`, `0177.0.0.1`, `[::ffff:127.0.0.1]`, ...), that
points at a blocked address. At fetch time the fetcher resolves the name once and checks every
resolved address with `is_blocked_ip` before connecting to one of exactly those addresses.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from quarry.core.addresses import AllowedTarget, parse_allowed_target
from quarry.core.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 4096
_MAX_HOST_LENGTH = 254
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"^[a-z0-9_.-]+$")
_IDEOGRAPHIC_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"

_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", includes the unspecified address
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, includes cloud metadata 169.254.169.254
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes broadcast 255.255.255.255
    )
)
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
    )
)
_LINK_LOCAL = (ipaddress.IPv4Network("169.254.0.0/16"), ipaddress.IPv6Network("fe80::/10"))
_METADATA = (
    ipaddress.IPv4Address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.IPv6Address("fd00:ec2::254"),  # AWS over IPv6
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class InvalidUrl(ValueError):
    """The URL is not one Quarry can fetch: bad syntax, scheme, host or port."""


class BlockedUrl(ValueError):
    """The URL points at an address Quarry refuses to contact (loopback, private, ...)."""


@dataclass(frozen=True)
class AddressPolicy:
    """What may be contacted besides public addresses (see the module docstring)."""

    allow_private: bool = False
    allowlist: tuple[AllowedTarget, ...] = ()

    def blocks(
        self,
        ip: IPAddress,
        *,
        host: str | None = None,
        port: int | None = None,
        base: Callable[[IPAddress], bool] | None = None,
    ) -> bool:
        """True when `ip` (reached as `host`:`port`) must not be contacted; `base` replaces
        `is_blocked_ip` as the rule for unlisted addresses (tests)."""
        if any(entry.admits_ip(ip, port) for entry in self.allowlist):
            return False
        if is_metadata_ip(ip):
            return True
        if self.allow_private or (host is not None and self.admits_name(host, port)):
            return False
        return (base or is_blocked_ip)(ip)

    def admits_name(self, host: str, port: int | None) -> bool:
        return any(entry.admits_name(host, port) for entry in self.allowlist)


PUBLIC_ONLY = AddressPolicy()


def address_policy(settings: Settings) -> AddressPolicy:
    """The policy of ALLOW_PRIVATE_URLS and PRIVATE_URL_ALLOWLIST."""
    entries = tuple(parse_allowed_target(item) for item in settings.private_url_allowlist)
    return AddressPolicy(settings.allow_private_urls, entries)


def is_metadata_ip(ip: IPAddress) -> bool:
    """Link-local and known cloud metadata addresses, in any IPv6 wrapping."""
    if isinstance(ip, ipaddress.IPv6Address):
        plain = ipaddress.IPv6Address(int(ip))
        embedded = embedded_ipv4(plain)
        if embedded is not None:
            return is_metadata_ip(embedded)
        ip = plain
    return ip in _METADATA or any(ip in net for net in _LINK_LOCAL)


@dataclass(frozen=True)
class ParsedUrl:
    """A checked http(s) URL, split into the parts a request needs."""

    url: str  # normalised absolute URL, without fragment
    scheme: str  # "http" or "https"
    host: str  # ASCII, lower case, no brackets, no IPv6 zone
    port: int  # explicit, or the scheme's default
    target: str  # path and query, as sent in the request line
    ip: IPAddress | None  # the address when the host is an IP literal (any spelling)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"


def is_blocked_ip(ip: IPAddress) -> bool:
    """True for every address a public-URL fetch must never reach."""
    if isinstance(ip, ipaddress.IPv6Address):
        plain = ipaddress.IPv6Address(int(ip))  # drop any zone id
        embedded = embedded_ipv4(plain)
        if embedded is not None:
            return is_blocked_ip(embedded)
        if plain not in _GLOBAL_UNICAST_V6 or any(plain in net for net in _BLOCKED_V6):
            return True
        return not plain.is_global
    return any(ip in net for net in _BLOCKED_V4) or not ip.is_global


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped/compatible/translated, NAT64 or 6to4 address carries."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in (_IPV4_COMPATIBLE, _IPV4_TRANSLATED, _NAT64)):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def parse_host_literal(host: str) -> IPAddress | None:
    """The address `host` denotes if a URL library or libc would read it as an IP literal."""
    text = _normalise_host_text(host)
    if text.startswith("[") and text.endswith("]"):
        return _parse_ipv6(text[1:-1])
    if ":" in text:
        return _parse_ipv6(text)
    ipv4 = _parse_ipv4(text)
    if ipv4 is None and not text.isascii():
        ascii_text = _idna(text)
        ipv4 = _parse_ipv4(ascii_text) if ascii_text is not None else None
    return ipv4


def check_url_syntax(url: str) -> ParsedUrl:
    """Parse an absolute http(s) URL or raise `InvalidUrl` saying what is wrong with it."""
    text = url.strip()
    _check_characters(text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidUrl("only http and https URLs can be fetched")
    if "@" in parts.netloc:
        raise InvalidUrl("URLs with a user name or password are not allowed")
    if port == 0:
        raise InvalidUrl("port 0 is not a valid port")
    host, ip = _checked_host(parts.hostname or "", bracketed="[" in parts.netloc)
    target = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_QUERY_SAFE)
    parsed = ParsedUrl("", scheme, host, port or _DEFAULT_PORTS[scheme], target, ip)
    return _with_url(parsed)


def check_url_at_request_time(url: str, *, policy: AddressPolicy) -> ParsedUrl:
    """Refuse a URL when it is submitted: `InvalidUrl` if malformed, `BlockedUrl` if it names a
    blocked address literally. Host names are not resolved here; the fetcher checks them."""
    parsed = check_url_syntax(url)
    if parsed.ip is not None:
        if policy.blocks(parsed.ip, port=parsed.port):
            raise BlockedUrl(
                f"{parsed.host} is a private, link-local or reserved address and cannot be fetched"
            )
        return parsed
    name = parsed.host.rstrip(".")
    loopback = name == "localhost" or name.endswith(".localhost")
    if loopback and not (policy.allow_private or policy.admits_name(name, parsed.port)):
        raise BlockedUrl(f"{parsed.host} is a loopback name and cannot be fetched")
    return parsed


def _with_url(parsed: ParsedUrl) -> ParsedUrl:
    url = f"{parsed.scheme}://{parsed.host_header}{parsed.target}"
    return ParsedUrl(url, parsed.scheme, parsed.host, parsed.port, parsed.target, parsed.ip)


def _check_characters(text: str) -> None:
    if not text:
        raise InvalidUrl("the URL is empty")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidUrl("the URL contains spaces or control characters")
    if "\\" in text:
        raise InvalidUrl("the URL contains a backslash")


def _checked_host(raw_host: str, *, bracketed: bool) -> tuple[str, IPAddress | None]:
    """The ASCII host (canonical text for IP literals) and the address if it is a literal."""
    if not raw_host:
        raise InvalidUrl("the URL has no host")
    if bracketed or ":" in raw_host:
        ipv6 = parse_host_literal(raw_host)
        if not isinstance(ipv6, ipaddress.IPv6Address):
            raise InvalidUrl(f"{raw_host!r} is not a valid IPv6 address")
        return str(ipaddress.IPv6Address(int(ipv6))), ipv6
    host = _ascii_host_name(raw_host)
    ipv4 = _parse_ipv4(host)
    if ipv4 is not None:
        return str(ipv4), ipv4
    if _ends_in_number(host):
        raise InvalidUrl(f"{raw_host!r} looks like an IP address but is not a valid one")
    return host, None


def _ascii_host_name(raw_host: str) -> str:
    text = _normalise_host_text(raw_host)
    host = _idna(text) if len(text) <= _MAX_HOST_LENGTH else None
    if host is None or not _HOST_NAME.match(host) or host.strip(".") == "" or ".." in host:
        raise InvalidUrl(f"{raw_host!r} is not a valid host name")
    return host


def _idna(text: str) -> str | None:
    """IDNA (nameprep) form of a host name, as resolvers and URL libraries see it."""
    try:
        return text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def _ends_in_number(host: str) -> bool:
    """WHATWG: a host whose last label is numeric must be a valid IPv4 address."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last.isascii() and last.isdigit():
        return True
    return last.startswith("0x") and all(ch in "0123456789abcdef" for ch in last[2:])


def _normalise_host_text(host: str) -> str:
    """Undo the encodings URL parsers apply to hosts: percent-escapes, full-width forms."""
    text = unicodedata.normalize("NFKC", unquote(host.strip()))
    return text.translate(_IDEOGRAPHIC_DOTS).lower()


def _parse_ipv6(text: str) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        pass
    address, _, zone = text.partition("%")
    if not zone:
        return None
    try:
        return ipaddress.IPv6Address(address)
    except ValueError:
        return None


def _parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """inet_aton / WHATWG IPv4: 1-4 parts, each decimal, 0x-hex or 0-octal; the last part
    fills the remaining bytes (`127.1`, `2130706433`); one trailing dot is allowed."""
    parts = text.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_parse_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *head, last = [number for number in numbers if number is not None]
    if any(number > 255 for number in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = last + sum(number << (8 * (3 - index)) for index, number in enumerate(head))
    return ipaddress.IPv4Address(value)


def _parse_ipv4_number(part: str) -> int | None:
    if part.startswith("0x"):
        digits, base, alphabet = part[2:], 16, "0123456789abcdef"
        if not digits:
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base, alphabet = part[1:], 8, "01234567"
    else:
        digits, base, alphabet = part, 10, "0123456789"
    if not digits or any(ch not in alphabet for ch in digits):
        return None
    return int(digits, base)
