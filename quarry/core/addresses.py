"""Entries of the address settings: `TRUSTED_PROXIES` networks and `PRIVATE_URL_ALLOWLIST` targets.

Pure parsing (no I/O), so `core/config.py` can validate the settings once at start-up and
`sources/netguard.py` can apply them. An allow-list entry is a host name, an IP address or a
CIDR network, optionally with a port: `minio.internal:9000`, `10.0.0.5`, `10.1.0.0/16`,
`[fd00::1]:8080`, `fd00::/8`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


@dataclass(frozen=True)
class AllowedTarget:
    """One allow-list entry: a network or a host name, and a port (any port when None)."""

    network: IPNetwork | None
    host: str | None
    port: int | None

    def admits_ip(self, ip: IPAddress, port: int | None) -> bool:
        plain = ipaddress.IPv6Address(int(ip)) if isinstance(ip, ipaddress.IPv6Address) else ip
        in_network = self.network is not None and plain in self.network
        return in_network and self._port_ok(port)

    def admits_name(self, host: str, port: int | None) -> bool:
        return self.host is not None and self.host == _name(host) and self._port_ok(port)

    def _port_ok(self, port: int | None) -> bool:
        return self.port is None or self.port == port


def parse_network(text: str) -> IPNetwork:
    """An address or CIDR network (`10.0.0.1`, `10.0.0.0/8`, `fd00::/8`); ValueError if not."""
    return ipaddress.ip_network(text.strip(), strict=False)


def parse_allowed_target(text: str) -> AllowedTarget:
    """Parse one `PRIVATE_URL_ALLOWLIST` entry; ValueError saying what is wrong."""
    entry = text.strip().lower()
    address, port = _split_port(entry)
    try:
        return AllowedTarget(parse_network(address), None, port)
    except ValueError:
        pass
    name = _name(address)
    if not _HOST_NAME.match(name) or name.replace(".", "").isdigit():
        raise ValueError(f"{text!r} is not a host name, IP address or CIDR network")
    return AllowedTarget(None, name, port)


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        inside, _, rest = entry[1:].partition("]")
        if rest.startswith(":"):
            return inside, _port(rest[1:])
        if rest:
            raise ValueError(f"{entry!r}: after ']' only ':port' may follow")
        return inside, None
    if entry.count(":") == 1:
        address, _, port = entry.partition(":")
        return address, _port(port)
    return entry, None


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{text!r} is not a port (1-65535)")
    return int(text)


def _name(host: str) -> str:
    return host.strip().lower().rstrip(".")
