"""Download a public URL without letting it reach internal addresses (SSRF-safe).

Every hop (the URL and each redirect) is checked in full: syntax and scheme, the host as an IP
literal in any spelling, and every address the name resolves to. The name is resolved once per
hop and the connection goes to one of exactly those checked addresses (no second lookup, so no
DNS rebinding), while the request still carries the original Host header and, for https, the
original name for SNI and certificate verification. httpcore does the HTTP with a network
backend pinned to the checked addresses; redirects are followed here, never by the library.
"""

from __future__ import annotations

import asyncio
import email.message
import hashlib
import os
import socket
import ssl
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urljoin

import httpcore

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.sources.fetched import FetchedFile, safe_file_name
from quarry.sources.mime import sniff
from quarry.sources.netguard import (
    AddressPolicy,
    InvalidUrl,
    IPAddress,
    ParsedUrl,
    check_url_syntax,
)
from quarry.sources.pinned_http import PinnedBackend, Resolver, resolve_host

__all__ = ["AddressPolicy", "Resolver", "fetch_url", "resolve_host"]

TOTAL_TIME_FACTOR = 10  # a whole download may take at most this many read timeouts
_USER_AGENT = b"Quarry/0.1 (document fetcher)"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_CLIENT_STATUSES = frozenset({408, 429})
_HTTP_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


@dataclass(frozen=True)
class _Options:
    max_size: int
    policy: AddressPolicy
    connect_timeout: float
    read_timeout: float
    resolver: Resolver
    is_blocked: Callable[[IPAddress], bool] | None
    ssl_context: ssl.SSLContext | None


@dataclass(frozen=True)
class _Redirect:
    location: str


@dataclass(frozen=True)
class _Body:
    path: Path
    sha256: str
    size: int
    file_name: str


async def fetch_url(
    url: str,
    dest_dir: Path,
    *,
    max_size: int,
    policy: AddressPolicy,
    connect_timeout: float,
    read_timeout: float,
    max_redirects: int = 5,
    resolver: Resolver | None = None,
    is_blocked: Callable[[IPAddress], bool] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> FetchedFile:
    """Download `url` into a new file in `dest_dir`, or raise `JobFailure` with a stable code.

    `policy` says which non-public addresses may be reached; `is_blocked` replaces its rule
    for addresses it does not list (tests);
    `ssl_context` replaces the default certifi-based verification (tests, private CAs).
    """
    options = _Options(
        max_size,
        policy,
        connect_timeout,
        read_timeout,
        resolver or resolve_host,
        is_blocked,
        ssl_context,
    )
    total = TOTAL_TIME_FACTOR * read_timeout
    try:
        async with asyncio.timeout(total):
            body = await _follow_redirects(url, dest_dir, options, max_redirects)
    except TimeoutError:
        message = f"the download took longer than {total:g} seconds"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=True) from None
    try:
        mime_type = await asyncio.to_thread(sniff, body.path, body.file_name)
    except BaseException:
        body.path.unlink(missing_ok=True)
        raise
    return FetchedFile(body.path, body.sha256, body.size, mime_type, body.file_name, "URL")


async def _follow_redirects(url: str, dest_dir: Path, options: _Options, limit: int) -> _Body:
    current = url
    for _ in range(limit + 1):
        target = _parse(current)
        addresses = await _allowed_addresses(target, options)
        outcome = await _request_once(target, addresses, dest_dir, options)
        if isinstance(outcome, _Body):
            return outcome
        current = outcome.location
    message = f"too many redirects (more than {limit})"
    raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message)


def _parse(url: str) -> ParsedUrl:
    try:
        return check_url_syntax(url)
    except InvalidUrl as exc:
        message = f"cannot fetch {url[:200]!r}: {exc}"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message) from None


async def _allowed_addresses(target: ParsedUrl, options: _Options) -> list[IPAddress]:
    """The addresses to connect to; refused if any of them is blocked."""
    addresses = [target.ip] if target.ip is not None else await _resolve(target, options)
    blocked = [
        address
        for address in addresses
        if options.policy.blocks(
            address, host=target.host, port=target.port, base=options.is_blocked
        )
    ]
    if blocked:
        message = (
            f"{target.host} points to a private or reserved address ({blocked[0]}); "
            "Quarry does not fetch internal addresses"
        )
        raise JobFailure(JobErrorCode.URL_BLOCKED, message)
    return addresses


async def _resolve(target: ParsedUrl, options: _Options) -> list[IPAddress]:
    try:
        async with asyncio.timeout(options.connect_timeout):
            addresses = list(await options.resolver(target.host, target.port))
    except TimeoutError:
        message = f"looking up the host name {target.host} timed out"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=True) from None
    except socket.gaierror as exc:
        # EAI_AGAIN is the resolver saying "try later", not "no such name"
        again = exc.errno == socket.EAI_AGAIN
        message = f"the host name {target.host} does not resolve ({exc})"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=again) from None
    except UnicodeError as exc:
        message = f"the host name {target.host} does not resolve ({exc})"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message) from None
    if not addresses:
        message = f"the host name {target.host} does not resolve (no addresses)"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message)
    return addresses


async def _request_once(
    target: ParsedUrl, addresses: Sequence[IPAddress], dest_dir: Path, options: _Options
) -> _Body | _Redirect:
    pool = httpcore.AsyncConnectionPool(
        ssl_context=options.ssl_context, network_backend=PinnedBackend(addresses), retries=0
    )
    timeouts = {
        "connect": options.connect_timeout,
        "read": options.read_timeout,
        "write": options.read_timeout,
        "pool": options.connect_timeout,
    }
    url = httpcore.URL(
        scheme=target.scheme.encode("ascii"),
        host=target.host.rstrip(".").encode("ascii"),
        port=target.port,
        target=target.target.encode("ascii"),
    )
    try:
        async with (
            pool,
            pool.stream(
                "GET", url, headers=_headers(target), extensions={"timeout": timeouts}
            ) as response,
        ):
            return await _read_response(response, target, dest_dir, options)
    except _HTTP_ERRORS as exc:
        raise _transport_failure(exc, target, options) from exc


def _headers(target: ParsedUrl) -> list[tuple[bytes, bytes]]:
    return [
        (b"Host", target.host_header.encode("ascii")),
        (b"User-Agent", _USER_AGENT),
        (b"Accept", b"*/*"),
        (b"Accept-Encoding", b"identity"),
        (b"Connection", b"close"),
    ]


async def _read_response(
    response: httpcore.Response, target: ParsedUrl, dest_dir: Path, options: _Options
) -> _Body | _Redirect:
    if response.status in _REDIRECT_STATUSES:
        return _Redirect(_redirect_location(response, target))
    if not 200 <= response.status < 300:
        transient = response.status >= 500 or response.status in _TRANSIENT_CLIENT_STATUSES
        message = f"{target.host} answered HTTP {response.status}"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=transient)
    _refuse_declared_oversize(response, options.max_size)
    name = _file_name(response, target)
    return await _save_body(response.aiter_stream(), dest_dir, options.max_size, name)


def _redirect_location(response: httpcore.Response, target: ParsedUrl) -> str:
    location = _header(response, b"location")
    if not location:
        message = f"{target.host} answered HTTP {response.status} without a Location"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message)
    return urljoin(target.url, location.strip())


def _refuse_declared_oversize(response: httpcore.Response, max_size: int) -> None:
    declared = _header(response, b"content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_size:
        message = f"the file is {int(declared)} bytes, over the {max_size}-byte limit"
        raise JobFailure(JobErrorCode.FILE_TOO_LARGE, message)


def _file_name(response: httpcore.Response, target: ParsedUrl) -> str:
    """Content-Disposition's filename, else the last segment of the URL path."""
    disposition = _header(response, b"content-disposition")
    from_header = _disposition_file_name(disposition) if disposition else None
    from_path = unquote(target.target.split("?", 1)[0].rsplit("/", 1)[-1], errors="replace")
    return safe_file_name(from_header, fallback="") or safe_file_name(from_path)


def _disposition_file_name(value: str) -> str | None:
    """`filename*=UTF-8''...` (RFC 6266/2231) or `filename="..."`."""
    message = email.message.Message()
    message["content-disposition"] = value
    try:
        name = message.get_filename()
    except (ValueError, LookupError):
        return None
    return name if isinstance(name, str) else None


def _header(response: httpcore.Response, name: bytes) -> str | None:
    for key, value in response.headers:
        if key.lower() == name:
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value.decode("latin-1")
    return None


async def _save_body(
    chunks: AsyncIterator[bytes], dest_dir: Path, max_size: int, file_name: str
) -> _Body:
    """Stream the body into a new file, hashing as it goes; nothing is left behind on error."""
    path, handle = _create_temp_file(dest_dir)
    digest = hashlib.sha256()
    size = 0
    try:
        with handle:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    message = f"the file is over the {max_size}-byte limit"
                    raise JobFailure(JobErrorCode.FILE_TOO_LARGE, message)
                digest.update(chunk)
                await asyncio.to_thread(handle.write, chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _Body(path, digest.hexdigest(), size, file_name)


def _create_temp_file(dest_dir: Path) -> tuple[Path, BinaryIO]:
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest_dir, prefix="url-", suffix=".download")
    return Path(name), os.fdopen(fd, "wb")


def _transport_failure(exc: Exception, target: ParsedUrl, options: _Options) -> JobFailure:
    host = target.host
    code = JobErrorCode.DOWNLOAD_FAILED
    if isinstance(exc, httpcore.ConnectTimeout):
        return JobFailure(code, f"connecting to {host} timed out", transient=True)
    if isinstance(exc, httpcore.TimeoutException):
        message = f"{host} sent nothing for {options.read_timeout:g} seconds"
        return JobFailure(code, message, transient=True)
    tls_error = _tls_error(exc)
    if tls_error is not None:
        return JobFailure(code, f"TLS with {host} failed: {tls_error}")
    if isinstance(exc, httpcore.NetworkError | httpcore.RemoteProtocolError):
        message = f"the connection to {host} failed: {exc or type(exc).__name__}"
        return JobFailure(code, message, transient=True)
    return JobFailure(code, f"cannot talk to {host}: {exc or type(exc).__name__}")


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error (bad certificate, handshake failure) behind `exc`, if any."""
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return None
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
    return None
