"""Local LLM providers speaking the real wire formats, for tests that must never call out.

`FakeLlmServer` is one threaded HTTP server on 127.0.0.1 that answers both
- OpenAI chat completions, `POST /v1/chat/completions` (with `response_format` json_schema or
  json_object; the answer is `choices[0].message.content` holding JSON, plus `usage`), and
- Anthropic messages, `POST /v1/messages` (the forced tool's `tool_use` block, plus `usage`),
checking what the real services check (the key, `anthropic-version`, `max_tokens`, a model).

Scripting: `answer` decides the model's JSON for each request (default: `{}`);
`fail(status, times=…, headers=…)` queues failures (429 with `Retry-After`, 500, 401, …);
`fail_always(...)` fails every request. Every request is recorded (`requests`) with its
headers, JSON body and arrival time, so tests can assert what Quarry sent.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

OPENAI_KEY = "sk-test-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any]
    at: float  # time.monotonic()

    @property
    def user_text(self) -> str:
        """The text of the last user message, in either protocol."""
        content = self.body["messages"][-1]["content"]
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content)
        return str(content)


@dataclass
class Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


Answerer = Callable[[Recorded], dict[str, Any]]


class FakeLlmServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.answer: Answerer = lambda request: {}
        self.usage = (120, 30)  # input, output tokens per call
        self._failures: deque[Failure] = deque()
        self._always: Failure | None = None
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeLlmServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()
            self._always = None
        self.answer = lambda request: {}

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            self._failures.extend(Failure(status, headers or {}, body) for _ in range(times))

    def fail_always(self, status: int, *, headers: dict[str, str] | None = None) -> None:
        self._always = Failure(status, headers or {})

    def handle(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        request = Recorded(path, headers, body, time.monotonic())
        with self._lock:
            self.requests.append(request)
            failure = self._failures.popleft() if self._failures else self._always
        if failure is not None:
            return failure.status, failure.headers, failure.body or _error_body(failure.status)
        if path == "/v1/chat/completions":
            return self._openai(request)
        if path == "/v1/messages":
            return self._anthropic(request)
        return 404, {}, {"error": {"message": f"no route {path}", "type": "not_found"}}

    def _openai(self, request: Recorded) -> tuple[int, dict[str, str], dict[str, Any]]:
        if request.headers.get("authorization") != f"Bearer {OPENAI_KEY}":
            return 401, {}, _error_body(401)
        if not request.body.get("model") or not request.body.get("messages"):
            return 400, {}, {"error": {"message": "model and messages are required"}}
        inputs, outputs = self.usage
        content = json.dumps(self.answer(request))
        return (
            200,
            {},
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": request.body["model"] + "-2026-01-01",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": inputs,
                    "completion_tokens": outputs,
                    "total_tokens": inputs + outputs,
                },
            },
        )

    def _anthropic(self, request: Recorded) -> tuple[int, dict[str, str], dict[str, Any]]:
        if request.headers.get("x-api-key") != ANTHROPIC_KEY:
            return (
                401,
                {},
                {
                    "type": "error",
                    "error": {"type": "authentication_error", "message": "invalid x-api-key"},
                },
            )
        if request.headers.get("anthropic-version") != "2023-06-01":
            return (
                400,
                {},
                {
                    "type": "error",
                    "error": {
                        "type": "invalid_request_error",
                        "message": "anthropic-version required",
                    },
                },
            )
        if not isinstance(request.body.get("max_tokens"), int):
            return (
                400,
                {},
                {
                    "type": "error",
                    "error": {
                        "type": "invalid_request_error",
                        "message": "max_tokens: Field required",
                    },
                },
            )
        tool = request.body["tool_choice"]["name"]
        inputs, outputs = self.usage
        return (
            200,
            {},
            {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": request.body["model"],
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_fake",
                        "name": tool,
                        "input": self.answer(request),
                    }
                ],
                "stop_reason": "tool_use",
                "usage": {"input_tokens": inputs, "output_tokens": outputs},
            },
        )


def _error_body(status: int) -> dict[str, Any]:
    if status == 401:  # OpenAI echoes part of a wrong key: Quarry must not pass it on
        return {
            "error": {
                "message": f"Incorrect API key provided: {OPENAI_KEY[:8]}***cdef.",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        }
    if status == 429:
        return {
            "error": {
                "message": "Rate limit reached for requests",
                "type": "requests",
                "code": "rate_limit_exceeded",
            }
        }
    return {"error": {"message": f"fake provider error {status}", "type": "server_error"}}


def _handler(server: FakeLlmServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = server.handle(self.path, headers, json.loads(raw or b"{}"))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running() -> Iterator[FakeLlmServer]:
    server = FakeLlmServer().start()
    try:
        yield server
    finally:
        server.stop()


def provider_settings(server: FakeLlmServer) -> dict[str, Any]:
    """Settings that point both LLM engines at `server`."""
    return {
        "openai_base_url": f"{server.base_url}/v1",
        "openai_api_key": OPENAI_KEY,
        "openai_model": "gpt-fake",
        "anthropic_base_url": server.base_url,
        "anthropic_api_key": ANTHROPIC_KEY,
        "anthropic_model": "claude-fake",
    }
