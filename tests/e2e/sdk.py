"""Helpers of the Python client's and the remote CLI's end-to-end tests."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from quarry_client import QuarryError

from tests.e2e.conftest import Api

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DOCS = FIXTURES / "docs"
PDF_A = DOCS / "invoice2data-AzureInterior.pdf"
PDF_B = DOCS / "invoice2data-QualityHosting.pdf"
INVOICE_SCHEMA: dict[str, Any] = json.loads((FIXTURES / "invoice-schema.json").read_text())

T = TypeVar("T")


def api_key(api: Api, name: str = "sdk") -> str:
    answer = api.http.post("/api/auth/api-keys", json={"name": name})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["apiKey"])


def unless_missing(what: str, call: Callable[[], T]) -> T:
    """`call()`, or skip the test when the server has no such route yet (a route 404, not a
    missing run)."""
    try:
        return call()
    except QuarryError as exc:
        if exc.status_code == 404 and exc.code == "NOT_FOUND":
            pytest.skip(f"this server has no {what} endpoint yet (404 NOT_FOUND)")
        raise


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    hold = 20.0

    def do_GET(self) -> None:
        time.sleep(self.hold)  # a download that takes long keeps its job PROCESSING
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        body = PDF_A.read_bytes()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def slow_url_server() -> Iterator[str]:
    """A URL whose download takes 20 s."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/slow.pdf"
    finally:
        httpd.shutdown()
        httpd.server_close()
