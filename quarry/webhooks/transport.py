"""POST one webhook body: the same address rules as URL fetching, no redirects, time limits.

Never raises for a receiver's behaviour: every outcome (2xx, other status, refused address,
DNS failure, timeout, dropped connection) comes back as an `Outcome` for the delivery log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import httpcore

from quarry.sources.netguard import (
    AddressPolicy,
    InvalidUrl,
    IPAddress,
    ParsedUrl,
    check_url_syntax,
)
from quarry.sources.pinned_http import PinnedBackend, Resolver, resolve_host

USER_AGENT = "Quarry-Webhooks/0.1"
_MAX_ANSWER_BYTES = 4096
_ERROR_TEXT = 300
_HTTP_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Refused(Exception):
    """The request was not sent (bad URL, blocked address, name does not resolve)."""


async def post(
    url: str,
    body: bytes,
    headers: Sequence[tuple[str, str]],
    *,
    timeout_seconds: float,
    policy: AddressPolicy,
    resolver: Resolver = resolve_host,
) -> Outcome:
    """Send `body` to `url`: connecting and reading each get `timeout_seconds`, the whole
    request twice that."""
    try:
        target = check_url_syntax(url)
        addresses = await _addresses(target, timeout_seconds, policy, resolver)
        async with asyncio.timeout(2 * timeout_seconds):
            return await _send(target, addresses, body, headers, timeout_seconds)
    except _Refused as exc:
        return Outcome(None, str(exc))
    except InvalidUrl as exc:
        return Outcome(None, f"invalid URL: {exc}")
    except TimeoutError:
        return Outcome(None, f"no answer within {2 * timeout_seconds:g} seconds")
    except httpcore.TimeoutException:
        return Outcome(None, f"timed out after {timeout_seconds:g} seconds")
    except _HTTP_ERRORS as exc:
        return Outcome(None, f"connection failed: {exc or type(exc).__name__}"[:_ERROR_TEXT])


async def _addresses(
    target: ParsedUrl, timeout_seconds: float, policy: AddressPolicy, resolver: Resolver
) -> list[IPAddress]:
    if target.ip is not None:
        addresses = [target.ip]
    else:
        try:
            async with asyncio.timeout(timeout_seconds):
                addresses = list(await resolver(target.host, target.port))
        except (TimeoutError, OSError, UnicodeError) as exc:
            raise _Refused(f"the host name {target.host} does not resolve ({exc})") from None
    if not addresses:
        raise _Refused(f"the host name {target.host} does not resolve")
    blocked = [a for a in addresses if policy.blocks(a, host=target.host, port=target.port)]
    if blocked:
        raise _Refused(f"{target.host} points to a private or reserved address ({blocked[0]})")
    return addresses


async def _send(
    target: ParsedUrl,
    addresses: list[IPAddress],
    body: bytes,
    headers: Sequence[tuple[str, str]],
    timeout_seconds: float,
) -> Outcome:
    pool = httpcore.AsyncConnectionPool(network_backend=PinnedBackend(addresses), retries=0)
    url = httpcore.URL(
        scheme=target.scheme.encode("ascii"),
        host=target.host.rstrip(".").encode("ascii"),
        port=target.port,
        target=target.target.encode("ascii"),
    )
    timeouts = dict.fromkeys(("connect", "read", "write", "pool"), timeout_seconds)
    request_headers = [
        ("Host", target.host_header),
        ("User-Agent", USER_AGENT),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        *headers,
    ]
    async with (
        pool,
        pool.stream(
            "POST", url, headers=request_headers, content=body, extensions={"timeout": timeouts}
        ) as response,
    ):
        answer = await _read_some(response)
    return _outcome(response, answer)


async def _read_some(response: httpcore.Response) -> bytes:
    """The start of the receiver's answer (for the log); the rest is not read."""
    answer = b""
    async for chunk in response.aiter_stream():
        answer += chunk
        if len(answer) >= _MAX_ANSWER_BYTES:
            break
    return answer


def _outcome(response: httpcore.Response, answer: bytes) -> Outcome:
    status = response.status
    if 200 <= status < 300:
        return Outcome(status, None)
    if 300 <= status < 400:
        location = dict(response.headers).get(b"location", b"").decode("latin-1")
        return Outcome(status, f"HTTP {status}: redirects are not followed ({location})")
    text = answer.decode("utf-8", errors="replace").strip()
    message = f"HTTP {status}" + (f": {text}" if text else "")
    return Outcome(status, message[:_ERROR_TEXT])
