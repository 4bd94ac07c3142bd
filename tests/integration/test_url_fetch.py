"""fetch_url against real HTTP(S) servers on 127.0.0.1: SSRF refusals, limits, failures.

No database and no internet: every server is started here, in a thread, on a loopback
address; "public" hosts are simulated with an injected resolver or address policy.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.sources.fetched import FetchedFile
from quarry.sources.netguard import PUBLIC_ONLY, AddressPolicy, IPAddress
from quarry.sources.url import fetch_url, resolve_host

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html>\n<html><head><title>Not a PDF</title></head><body>hi</body></html>\n"
LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
MAX_SIZE = 100_000


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self.stop = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-response (the fetcher refusing a body) are expected


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def _server(self) -> _Server:
        return cast(_Server, self.server)

    def do_GET(self) -> None:
        self._server.requests.append((self.path, self.headers.get("Host", "")))
        path = urlsplit(self.path).path
        route = _ROUTES.get(path)
        if route is None:
            prefix = next((p for p in _PREFIX_ROUTES if path.startswith(p)), None)
            route = _PREFIX_ROUTES[prefix] if prefix else _not_found
        route(self)

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_chunked_headers(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))
        self.wfile.flush()


def _not_found(handler: _Handler) -> None:
    handler.send(404, b"not here")


def _pdf(handler: _Handler) -> None:
    handler.send(200, PDF, {"Content-Type": "application/pdf"})


def _html_named_pdf(handler: _Handler) -> None:
    handler.send(200, HTML, {"Content-Type": "application/pdf"})  # lies about its type


def _disposition(handler: _Handler) -> None:
    value = parse_qs(urlsplit(handler.path).query)["cd"][0]
    handler.send(200, PDF, {"Content-Disposition": value})


def _redirect(handler: _Handler) -> None:
    target = parse_qs(urlsplit(handler.path).query)["to"][0]
    handler.send(302, b"", {"Location": target})


def _chain(handler: _Handler) -> None:
    remaining = int(handler.path.rsplit("/", 1)[-1])
    if remaining == 0:
        _pdf(handler)
    else:
        handler.send(302, b"", {"Location": f"/chain/{remaining - 1}"})


def _status(handler: _Handler) -> None:
    status = int(handler.path.rsplit("/", 1)[-1])
    handler.send(status, f"status {status}".encode())


def _exact(handler: _Handler) -> None:
    handler.send(200, b"x" * int(handler.path.rsplit("/", 1)[-1]))


def _declared_big(handler: _Handler) -> None:
    """Announces a huge body and then withholds it: only a header check can refuse quickly."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(10**9))
    handler.end_headers()
    handler.wfile.flush()
    handler._server.stop.wait(5)


def _chunked_big(handler: _Handler) -> None:
    handler.send_chunked_headers()
    for _ in range(32):  # 32 x 64 KiB, no Content-Length
        handler.send_chunk(b"y" * 65536)
    handler.wfile.write(b"0\r\n\r\n")


def _slow_headers(handler: _Handler) -> None:
    if not handler._server.stop.wait(3):
        _pdf(handler)


def _trickle(handler: _Handler) -> None:
    """One byte every 50 ms: never idle long enough for the read timeout to fire."""
    handler.send_chunked_headers()
    for _ in range(200):
        if handler._server.stop.wait(0.05):
            return
        handler.send_chunk(b"z")


_ROUTES: dict[str, Callable[[_Handler], None]] = {
    "/files/report.pdf": _pdf,
    "/files/Q3%20report.pdf": _pdf,
    "/files/": _pdf,
    "/page.pdf": _html_named_pdf,
    "/files/named.pdf": _disposition,
    "/redirect": _redirect,
    "/declared-big": _declared_big,
    "/chunked-big": _chunked_big,
    "/slow-headers": _slow_headers,
    "/trickle": _trickle,
}
_PREFIX_ROUTES: dict[str, Callable[[_Handler], None]] = {
    "/chain/": _chain,
    "/status/": _status,
    "/exact/": _exact,
}


def _start(server: _Server) -> Iterator[_Server]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.stop.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def server() -> Iterator[_Server]:
    yield from _start(_Server("127.0.0.1"))


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A bare socket on 127.0.0.1 that records whether anybody connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "downloads"


def _files_in(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def _connection_arrived(sock: socket.socket, wait: float = 0.3) -> bool:
    sock.settimeout(wait)
    try:
        conn, _ = sock.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


def _resolver_to(*answers: str) -> Callable[[str, int], Awaitable[Sequence[IPAddress]]]:
    async def resolve(host: str, port: int) -> Sequence[IPAddress]:
        return [ipaddress.ip_address(answer) for answer in answers]

    return resolve


@dataclass
class _RecordingResolver:
    """Answers `answers[i]` on the i-th lookup (repeating the last): a rebinding DNS server."""

    answers: list[str]
    lookups: list[tuple[str, int]] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        answer = self.answers[min(len(self.lookups), len(self.answers) - 1)]
        self.lookups.append((host, port))
        return [ipaddress.ip_address(answer)]


async def _fetch(url: str, dest: Path, **overrides: Any) -> FetchedFile:
    options: dict[str, Any] = {
        "max_size": MAX_SIZE,
        "policy": AddressPolicy(allow_private=True),
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
    }
    options.update(overrides)
    return await fetch_url(url, dest, **options)


async def _failure(url: str, dest: Path, **overrides: Any) -> JobFailure:
    with pytest.raises(JobFailure) as caught:
        await _fetch(url, dest, **overrides)
    return caught.value


# --- downloads that work ------------------------------------------------------------------


async def test_download_returns_the_bytes_with_hash_size_type_and_name(
    server: _Server, dest: Path
) -> None:
    fetched = await _fetch(f"http://127.0.0.1:{server.port}/files/report.pdf", dest)
    assert fetched.path.parent == dest and fetched.path.read_bytes() == PDF
    assert fetched.sha256 == hashlib.sha256(PDF).hexdigest()
    assert fetched.size == len(PDF)
    assert (fetched.mime_type, fetched.file_name, fetched.source_kind) == (
        "application/pdf",
        "report.pdf",
        "URL",
    )


async def test_type_comes_from_the_content_not_the_url_or_header(
    server: _Server, dest: Path
) -> None:
    fetched = await _fetch(f"http://127.0.0.1:{server.port}/page.pdf", dest)
    assert fetched.mime_type == "text/html"
    assert fetched.file_name == "page.pdf"


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/files/Q3%20report.pdf", "Q3 report.pdf"), ("/files/", "download")],
)
async def test_file_name_comes_from_the_url_path(
    server: _Server, dest: Path, path: str, expected: str
) -> None:
    fetched = await _fetch(f"http://127.0.0.1:{server.port}{path}", dest)
    assert fetched.file_name == expected


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../etc/invoice 7.pdf"', "invoice 7.pdf"),
        ("attachment; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf", "naïve résumé.pdf"),
        ("attachment; filename*=UTF-8''..%5C..%5Csecret%00.pdf", "secret.pdf"),
        ("attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe", "invoicefdp.exe"),
        (f'attachment; filename="{"n" * 300}.pdf"', "n" * 196 + ".pdf"),
        ('attachment; filename=".."', "named.pdf"),  # nothing usable: the URL's name
        ("inline", "named.pdf"),
    ],
)
async def test_file_name_comes_from_content_disposition_sanitised(
    server: _Server, dest: Path, disposition: str, expected: str
) -> None:
    url = f"http://127.0.0.1:{server.port}/files/named.pdf?cd={quote(disposition)}"
    fetched = await _fetch(url, dest)
    assert fetched.file_name == expected


async def test_host_is_resolved_once_and_the_checked_address_is_used(
    server: _Server, dest: Path
) -> None:
    """A rebinding resolver answers 127.0.0.1 first and 127.0.0.2 after; a listener waits on
    127.0.0.2 at the same port. Only 127.0.0.1 is allowed, so any second lookup would show."""
    rebinder = socket.socket()
    rebinder.bind(("127.0.0.2", server.port))
    rebinder.listen()
    resolver = _RecordingResolver(["127.0.0.1", "127.0.0.2"])
    try:
        fetched = await _fetch(
            f"http://files.test:{server.port}/files/report.pdf",
            dest,
            policy=PUBLIC_ONLY,
            resolver=resolver,
            is_blocked=lambda ip: ip != LOOPBACK,
        )
        assert not _connection_arrived(rebinder)
    finally:
        rebinder.close()
    assert fetched.sha256 == hashlib.sha256(PDF).hexdigest()
    assert resolver.lookups == [("files.test", server.port)]
    assert server.requests == [("/files/report.pdf", f"files.test:{server.port}")]


async def test_every_redirect_hop_is_resolved_once(server: _Server, dest: Path) -> None:
    resolver = _RecordingResolver(["127.0.0.1"])
    url = f"http://files.test:{server.port}/chain/2"
    await _fetch(url, dest, policy=PUBLIC_ONLY, resolver=resolver, is_blocked=lambda ip: False)
    assert resolver.lookups == [("files.test", server.port)] * 3


async def test_redirects_are_followed_up_to_the_limit(server: _Server, dest: Path) -> None:
    url = f"http://127.0.0.1:{server.port}/redirect?to=/files/report.pdf"
    assert (await _fetch(url, dest)).file_name == "report.pdf"
    fetched = await _fetch(f"http://127.0.0.1:{server.port}/chain/2", dest, max_redirects=2)
    assert fetched.path.read_bytes() == PDF


async def test_exactly_max_size_is_accepted(server: _Server, dest: Path) -> None:
    fetched = await _fetch(f"http://127.0.0.1:{server.port}/exact/{MAX_SIZE}", dest)
    assert fetched.size == MAX_SIZE


async def test_default_resolver_resolves_localhost_and_the_block_applies(dest: Path) -> None:
    assert LOOPBACK in await resolve_host("localhost", 80)
    failure = await _failure("http://localhost:9/x.pdf", dest, policy=PUBLIC_ONLY)
    assert failure.code is JobErrorCode.URL_BLOCKED


# --- SSRF: internal addresses are never contacted -------------------------------------------

SPELLINGS = [
    "http://127.0.0.1:{port}/",
    "http://2130706433:{port}/",
    "http://0x7f.1:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://127.1:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://internal.test:{port}/",  # resolver answers 127.0.0.1
]


@pytest.mark.parametrize("template", SPELLINGS)
async def test_internal_addresses_are_refused_without_connecting(
    listener: socket.socket, dest: Path, template: str
) -> None:
    url = template.format(port=listener.getsockname()[1])
    failure = await _failure(url, dest, policy=PUBLIC_ONLY, resolver=_resolver_to("127.0.0.1"))
    assert failure.code is JobErrorCode.URL_BLOCKED and not failure.transient
    assert not _connection_arrived(listener)
    assert _files_in(dest) == []


@pytest.mark.parametrize("template", SPELLINGS)
async def test_allow_private_lifts_the_block_for_the_same_urls(
    listener: socket.socket, dest: Path, template: str
) -> None:
    """The control for the test above: the listener does see these fetches when allowed."""
    url = template.format(port=listener.getsockname()[1])
    failure = await _failure(url, dest, read_timeout=0.2, resolver=_resolver_to("127.0.0.1"))
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED  # the listener never answers
    assert _connection_arrived(listener)


async def test_one_blocked_address_among_many_refuses_the_host(
    listener: socket.socket, dest: Path
) -> None:
    url = f"http://mixed.test:{listener.getsockname()[1]}/"
    resolver = _resolver_to("93.184.216.34", "127.0.0.1")
    failure = await _failure(url, dest, policy=PUBLIC_ONLY, resolver=resolver)
    assert failure.code is JobErrorCode.URL_BLOCKED
    assert not _connection_arrived(listener)


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:{port}/",
        "http://0x7f000002:{port}/",
        "http://internal.test:{port}/",  # resolver answers 127.0.0.2
        "http://[::ffff:127.0.0.2]:{port}/",
    ],
)
async def test_redirect_from_an_allowed_server_to_a_blocked_address_is_refused(
    server: _Server, dest: Path, location: str
) -> None:
    blocked = socket.socket()
    blocked.bind(("127.0.0.2", 0))
    blocked.listen()
    try:
        target = location.format(port=blocked.getsockname()[1])
        failure = await _failure(
            f"http://127.0.0.1:{server.port}/redirect?to={target}",
            dest,
            policy=PUBLIC_ONLY,
            resolver=_resolver_to("127.0.0.2"),
            is_blocked=lambda ip: ip != LOOPBACK,  # only the first server counts as public
        )
        assert not _connection_arrived(blocked)
    finally:
        blocked.close()
    assert failure.code is JobErrorCode.URL_BLOCKED
    assert len(server.requests) == 1  # the redirecting server was reached
    assert _files_in(dest) == []


async def test_redirect_to_another_scheme_is_refused(server: _Server, dest: Path) -> None:
    url = f"http://127.0.0.1:{server.port}/redirect?to=file:///etc/passwd"
    failure = await _failure(url, dest)
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED and not failure.transient
    assert "http and https" in failure.message
    assert _files_in(dest) == []


async def test_more_redirects_than_allowed_fail(server: _Server, dest: Path) -> None:
    failure = await _failure(f"http://127.0.0.1:{server.port}/chain/3", dest, max_redirects=2)
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED and not failure.transient
    assert "too many redirects" in failure.message
    assert len(server.requests) == 3  # no request beyond the limit
    assert _files_in(dest) == []


# --- size limits --------------------------------------------------------------------------


async def test_declared_oversize_is_refused_before_reading(server: _Server, dest: Path) -> None:
    started = asyncio.get_running_loop().time()
    failure = await _failure(f"http://127.0.0.1:{server.port}/declared-big", dest)
    assert failure.code is JobErrorCode.FILE_TOO_LARGE
    assert asyncio.get_running_loop().time() - started < 1.5  # did not wait for the body
    assert _files_in(dest) == []


@pytest.mark.parametrize("path", ["/chunked-big", f"/exact/{MAX_SIZE + 1}"])
async def test_streamed_oversize_stops_and_leaves_no_file(
    server: _Server, dest: Path, path: str
) -> None:
    failure = await _failure(f"http://127.0.0.1:{server.port}{path}", dest)
    assert failure.code is JobErrorCode.FILE_TOO_LARGE
    assert _files_in(dest) == []


# --- failures and whether a retry may help ----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "transient"), [(404, False), (403, False), (410, False), (429, True), (503, True)]
)
async def test_http_errors_fail_with_the_status(
    server: _Server, dest: Path, status: int, transient: bool
) -> None:
    failure = await _failure(f"http://127.0.0.1:{server.port}/status/{status}", dest)
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED
    assert failure.transient is transient
    assert str(status) in failure.message
    assert _files_in(dest) == []


async def test_server_that_never_answers_times_out_transiently(server: _Server, dest: Path) -> None:
    failure = await _failure(f"http://127.0.0.1:{server.port}/slow-headers", dest, read_timeout=0.3)
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED and failure.transient


async def test_trickling_server_hits_the_total_time_cap(server: _Server, dest: Path) -> None:
    started = asyncio.get_running_loop().time()
    failure = await _failure(f"http://127.0.0.1:{server.port}/trickle", dest, read_timeout=0.2)
    elapsed = asyncio.get_running_loop().time() - started
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED and failure.transient
    assert "took longer" in failure.message
    assert 1.5 < elapsed < 5  # 10 x read_timeout, although data kept arriving
    assert _files_in(dest) == []


async def test_name_that_does_not_resolve_is_a_permanent_failure(dest: Path) -> None:
    async def no_such_name(host: str, port: int) -> Sequence[IPAddress]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    failure = await _failure("http://nowhere.test/x.pdf", dest, resolver=no_such_name)
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED and not failure.transient
    assert "does not resolve" in failure.message


async def test_refused_connection_is_transient(dest: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens on this port now
    failure = await _failure(f"http://127.0.0.1:{port}/x.pdf", dest)
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED and failure.transient


# --- https: SNI and certificate checks use the original host name ------------------------------


@dataclass
class _TlsFiles:
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> _TlsFiles:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make test certificates")
    folder = tmp_path_factory.mktemp("tls")
    (folder / "san.ext").write_text("subjectAltName=DNS:files.test\n")
    ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    commands = [
        f"req -x509 {ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=quarry-test-ca",
        f"req {ec} -keyout leaf.key -out leaf.csr -subj /CN=files.test",
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2"
        " -extfile san.ext",
    ]
    for command in commands:
        subprocess.run([openssl, *command.split()], cwd=folder, check=True, capture_output=True)
    return _TlsFiles(folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key")


@pytest.fixture
def tls_server(tls_files: _TlsFiles) -> Iterator[tuple[_Server, list[str | None]]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    server_names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    server = _Server("127.0.0.1")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    for running in _start(server):
        yield running, server_names


async def test_https_uses_the_url_host_for_sni_and_verification(
    tls_server: tuple[_Server, list[str | None]], tls_files: _TlsFiles, dest: Path
) -> None:
    server, server_names = tls_server
    client = ssl.create_default_context(cafile=str(tls_files.ca))
    url = f"https://files.test:{server.port}/files/report.pdf"
    fetched = await _fetch(url, dest, resolver=_resolver_to("127.0.0.1"), ssl_context=client)
    assert fetched.path.read_bytes() == PDF
    assert server_names == ["files.test"]
    assert server.requests == [("/files/report.pdf", f"files.test:{server.port}")]


async def test_https_certificate_for_another_name_is_refused(
    tls_server: tuple[_Server, list[str | None]], tls_files: _TlsFiles, dest: Path
) -> None:
    server, _ = tls_server
    client = ssl.create_default_context(cafile=str(tls_files.ca))
    url = f"https://other.test:{server.port}/files/report.pdf"
    failure = await _failure(url, dest, resolver=_resolver_to("127.0.0.1"), ssl_context=client)
    assert failure.code is JobErrorCode.DOWNLOAD_FAILED and not failure.transient
    assert "TLS" in failure.message
    assert server.requests == []
