"""What the Google Drive and Dropbox fakes share: a threaded HTTP server on 127.0.0.1 and an
OAuth 2 token endpoint (authorization codes, refresh tokens, expiring access tokens)."""

from __future__ import annotations

import http.server
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, status: int, value: Any, **headers: str) -> Answer:
        return cls(
            status, json.dumps(value).encode(), {"Content-Type": "application/json", **headers}
        )


class App(Protocol):
    def handle(self, request: Request) -> Answer: ...


class FakeOAuth:
    """An OAuth server's token side, for one registered client."""

    def __init__(self, client_id: str, client_secret: str, token_ttl: int = 3600) -> None:
        self.client_id, self.client_secret, self.token_ttl = client_id, client_secret, token_ttl
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}
        self.codes: dict[str, str] = {}  # code → redirect_uri it was issued for
        self.refreshes = 0
        self._lock = threading.Lock()

    def new_code(self, redirect_uri: str) -> str:
        code = "code-" + secrets.token_hex(6)
        self.codes[code] = redirect_uri
        return code

    def new_refresh_token(self) -> str:
        token = "refresh-" + secrets.token_hex(8)
        self.refresh_tokens.add(token)
        return token

    def new_access_token(self, ttl: float | None = None) -> str:
        token = "access-" + secrets.token_hex(8)
        self.access_tokens[token] = time.time() + (self.token_ttl if ttl is None else ttl)
        return token

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.access_tokens = dict.fromkeys(self.access_tokens, 0.0)

    def authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme == "Bearer" and self.access_tokens.get(token, 0) > time.time()

    def token(self, request: Request) -> Answer:
        form = request.form()
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return Answer.of(401, {"error": "invalid_client"})
        with self._lock:
            if form.get("grant_type") == "refresh_token":
                return self._refresh(form)
            if form.get("grant_type") == "authorization_code":
                return self._exchange(form)
        return Answer.of(400, {"error": "unsupported_grant_type"})

    def _refresh(self, form: dict[str, str]) -> Answer:
        if form.get("refresh_token") not in self.refresh_tokens:
            return Answer.of(400, {"error": "invalid_grant", "error_description": "revoked"})
        self.refreshes += 1
        access = self.new_access_token()
        return Answer.of(200, {"access_token": access, "expires_in": self.token_ttl})

    def _exchange(self, form: dict[str, str]) -> Answer:
        redirect = self.codes.pop(form.get("code", ""), None)
        if redirect is None or redirect != form.get("redirect_uri"):
            return Answer.of(400, {"error": "invalid_grant", "error_description": "bad code"})
        body = {
            "access_token": self.new_access_token(),
            "refresh_token": self.new_refresh_token(),
            "expires_in": self.token_ttl,
            "token_type": "bearer",
        }
        return Answer.of(200, body)


def _handler(app: App) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            request = Request(
                self.command,
                parts.path,
                dict(parse_qsl(parts.query)),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            answer = app.handle(request)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serve(app: App) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a thread; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(app))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
