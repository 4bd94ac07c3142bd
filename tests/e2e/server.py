"""Start real `quarry` processes for end-to-end tests, and a static file server for URLs."""

from __future__ import annotations

import functools
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

QUARRY = [sys.executable, "-m", "quarry"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "QUARRY_DATA_DIR": str(data_dir),
            "JWT_ACCESS_SECRET": "e2e-secret-" + "x" * 32,
            "WEBHOOK_ENCRYPTION_KEY": "e2e-key-" + "y" * 32,
            "ALLOW_PRIVATE_URLS": "true",
            "AUTH_RATE_LIMIT_PER_MINUTE": "1000",
            "STALLED_AFTER_SECONDS": "4",
            "JOB_RETRY_BASE_SECONDS": "0.2",
            "EXTRACTION_TIMEOUT_SECONDS": "30",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


class Process:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._handle = log.open("ab")
        self.popen = subprocess.Popen(argv, env=env, stdout=self._handle, stderr=subprocess.STDOUT)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._handle.close()
        return self.popen.returncode

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def wait_ready(base_url: str, proc: Process, timeout: float = 60, path: str = "/api/ready") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"server exited early:\n{proc.tail()}")
        try:
            if httpx.get(base_url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout}s:\n{proc.tail()}")


@contextmanager
def quarry_server(
    data_dir: Path, database_url: str | None, *extra_args: str, **env_extra: str
) -> Iterator[tuple[str, Process]]:
    port = free_port()
    env = server_env(data_dir, database_url, **env_extra)
    proc = Process(
        [*QUARRY, "serve", "--port", str(port), *extra_args],
        env,
        data_dir.parent / f"serve-{port}.log",
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        ready_path = "/api/health" if "--no-workers" in extra_args else "/api/ready"
        wait_ready(base_url, proc, path=ready_path)
        yield base_url, proc
    finally:
        proc.stop()


def start_worker(data_dir: Path, database_url: str | None, name: str, **env_extra: str) -> Process:
    env = server_env(data_dir, database_url, **env_extra)
    argv = [*QUARRY, "worker"]
    if database_url is None:
        argv += ["--data-dir", str(data_dir)]
    return Process(argv, env, data_dir.parent / f"worker-{name}.log")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def file_server(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 in a thread."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
