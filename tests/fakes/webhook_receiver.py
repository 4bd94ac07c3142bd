"""A real HTTP webhook receiver on 127.0.0.1 for tests: records every request it answers.

`respond` decides the status of each request (200 by default); `delay` makes it slow. The
receiver can be created without listening (`start=False`) and started later on its port, to
play a receiver that is down for a while.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int
    at: float  # time.time() when the request arrived

    @property
    def delivery_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


Respond = Callable[[Received, int], int]  # (request, how many earlier with its id) -> status


def always(status: int) -> Respond:
    return lambda _request, _earlier: status


def fail_first(times: int, status: int = 503) -> Respond:
    """Answer `status` to the first `times` requests of every delivery id, then 200."""
    return lambda _request, earlier: status if earlier < times else 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebhookReceiver:
    def __init__(
        self, respond: Respond | None = None, *, delay: float = 0.0, port: int | None = None
    ) -> None:
        self.respond = respond or always(200)
        self.delay = delay
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._seen: Counter[str] = Counter()
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    self.close_connection = True
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver._answer(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        lower = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            probe = Received(path, lower, body, 0, time.time())
            earlier = self._seen[probe.delivery_id]
            status = self.respond(probe, earlier)
            self._seen[probe.delivery_id] += 1
            self._received.append(Received(path, lower, body, status, probe.at))
        return status

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 30
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.received
            if predicate(received):
                return received
            time.sleep(0.05)
        raise AssertionError(f"receiver condition not met in {timeout}s; got {len(received)}")

    def delivered(self) -> list[Received]:
        """The requests answered with 2xx."""
        return [r for r in self.received if r.ok]


@contextmanager
def webhook_receiver(
    respond: Respond | None = None, *, delay: float = 0.0
) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(respond, delay=delay).start()
    try:
        yield receiver
    finally:
        receiver.stop()
