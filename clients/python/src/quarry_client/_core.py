"""What the sync and the async client share: building requests, the retry rule, parsing
answers, the event-stream decoder and the progress bookkeeping of `runs.wait`. No I/O here
except opening the files of an upload."""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from quarry_client.errors import QuarryError, QuarryTimeout, error_from_response
from quarry_client.models import Event, JobRun

T = TypeVar("T")

__version__ = "0.1.0"
RETRY_STATUSES = frozenset({429, 503})
FINAL_RUN_EVENTS = frozenset({"job_run.completed", "job_run.failed"})
FINAL_JOB_EVENTS = frozenset({"job.completed", "job.failed", "job.cancelled"})
EXPORT_FORMATS = ("json", "jsonl", "csv", "xlsx")
STREAM_GONE = frozenset({404, 405, 406, 501})  # a server without the event stream

FileInput = str | os.PathLike[str] | IO[bytes] | tuple[str, IO[bytes]]


def segment(value: str) -> str:
    """An id as one path segment (ids are opaque: never let one change the path)."""
    return quote(str(value), safe="")


class Uploads:
    """The files of a multipart run, opened again for each attempt of a retried request.

    A path is opened per attempt (and closed after it); a file object is sent whole, from its
    start, each time (httpx rewinds it)."""

    def __init__(self, files: Sequence[FileInput]) -> None:
        if isinstance(files, str | bytes | os.PathLike):
            raise TypeError("files must be a list of paths or file objects")
        if not files:
            raise ValueError("give at least one file")
        self._items = [self._item(f) for f in files]
        self._opened: list[IO[bytes]] = []

    @staticmethod
    def _item(item: FileInput) -> tuple[str, Path | IO[bytes]]:
        if isinstance(item, tuple):
            return item
        if isinstance(item, str | os.PathLike):
            path = Path(item)
            return path.name, path
        return Path(str(getattr(item, "name", "upload"))).name, item

    def open(self) -> list[tuple[str, tuple[str, IO[bytes], str]]]:
        self.close()
        parts = []
        for name, source in self._items:
            if isinstance(source, Path):
                handle: IO[bytes] = source.open("rb")
                self._opened.append(handle)
            else:
                handle = source
            parts.append(("files", (name, handle, "application/octet-stream")))
        return parts

    def close(self) -> None:
        for handle in self._opened:
            handle.close()
        self._opened = []


@dataclass
class Call(Generic[T]):
    """One API request and how to read its answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, str] | None = None
    uploads: Uploads | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def request_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"method": self.method, "url": self.path}
        if self.params:
            kwargs["params"] = {k: v for k, v in self.params.items() if v is not None}
        if self.json is not None:
            kwargs["json"] = self.json
        if self.data is not None:
            kwargs["data"] = self.data
        if self.uploads is not None:
            kwargs["files"] = self.uploads.open()
        if self.headers:
            kwargs["headers"] = self.headers
        return kwargs

    def done(self) -> None:
        if self.uploads is not None:
            self.uploads.close()


@dataclass(frozen=True)
class RetryPolicy:
    """429 and 503 are retried `max_retries` times, after `Retry-After` (seconds or an HTTP
    date) when the server sends one, else after `backoff × 2^attempt`; never longer than
    `max_wait` seconds at a time."""

    max_retries: int = 3
    backoff: float = 0.5
    max_wait: float = 60.0

    def delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None when the answer stands."""
        if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
            return None
        hinted = retry_after_seconds(response.headers.get("retry-after"))
        wait = hinted if hinted is not None else self.backoff * 2**attempt
        return max(0.0, min(wait, self.max_wait))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - (time.time() if now is None else now)


def auth_headers(api_key: str | None, token: str | None) -> dict[str, str]:
    if api_key and token:
        raise ValueError("give api_key or token, not both")
    headers = {"User-Agent": f"quarry-client-python/{__version__}", "Accept": "application/json"}
    credential = api_key or token
    if credential:
        headers["Authorization"] = f"Bearer {credential}"
    return headers


def answer(call: Call[T], response: httpx.Response) -> T:
    """The parsed body of a read response, or its QuarryError."""
    if response.status_code >= 400:
        raise error_from_response(response)
    if response.status_code == 204 or not response.content:
        return call.parse(None)
    return call.parse(response.json())


def export_format(fmt: str | None, path: Path) -> str:
    chosen = (fmt or path.suffix.lstrip(".")).lower()
    if chosen not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {chosen!r}")
    return chosen


def result_row_json(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line:
        return None
    row = json.loads(line)
    if not isinstance(row, dict):
        raise QuarryError("a results line is not a JSON object", code="INVALID_RESPONSE")
    return row


def result_rows_json(body: bytes) -> list[dict[str, Any]]:
    """A `format=json` body: the array of rows."""
    rows = json.loads(body)
    if not isinstance(rows, list):
        raise QuarryError("the results are not a JSON array", code="INVALID_RESPONSE")
    return [row for row in rows if isinstance(row, dict)]


class SseDecoder:
    """Server-Sent Events, one line at a time; `feed` answers a finished message's event."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self.last_id: str | None = None

    def feed(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_id = value
        return None

    def _dispatch(self) -> Event | None:
        if not self._data:
            return None
        text, self._data = "\n".join(self._data), []
        try:
            payload = json.loads(text)
        except ValueError:
            return None
        return Event.from_json(payload) if isinstance(payload, dict) else None

    def resume_headers(self) -> dict[str, str]:
        return {"Last-Event-ID": self.last_id} if self.last_id else {}


class Progress:
    """What `runs.wait` knows of a run: the latest state, the deadline, and when to tell
    `on_progress` (each time the status or a counter changes)."""

    REFRESH_SECONDS = 0.5
    STREAM_TRIES = 3

    def __init__(
        self,
        run_id: str,
        timeout: float | None,
        on_progress: Callable[[JobRun], Any] | None,
    ) -> None:
        self.run_id = run_id
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.on_progress = on_progress
        self.run: JobRun | None = None
        self._refreshed = 0.0
        self.decoder = SseDecoder()
        self.stream_failures = 0

    def update(self, run: JobRun) -> JobRun:
        """Take a newer state of the run; an older one (an event replayed after a fresher
        GET) is ignored, so progress never goes backwards."""
        if self.run is not None and run.updated_at < self.run.updated_at:
            return self.run
        if self.run is None or _state(run) != _state(self.run):
            self.run = run
            if self.on_progress is not None:
                self.on_progress(run)
        self.run = run
        return run

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def check_deadline(self) -> None:
        left = self.remaining()
        if left is not None and left <= 0:
            status = self.run.status if self.run else "unknown"
            raise QuarryTimeout(
                f"run {self.run_id} is still {status} after {self.timeout} s",
                code="WAIT_TIMEOUT",
            )

    def sleep_for(self, interval: float) -> float:
        left = self.remaining()
        return interval if left is None else max(0.0, min(interval, left))

    def reconnect_after(self, exc: QuarryError) -> bool:
        """After the stream failed with `exc`: True to reconnect (resuming after the last event
        seen), False to poll instead; errors that polling cannot help are raised."""
        if isinstance(exc, TimeoutError) or not stream_unavailable(exc):
            raise exc
        self.stream_failures += 1
        return exc.status_code is None and self.stream_failures < self.STREAM_TRIES

    def stream_timeout(self, heartbeat_slack: float = 30.0) -> httpx.Timeout:
        left = self.remaining()
        read = heartbeat_slack if left is None else max(0.1, min(heartbeat_slack, left))
        return httpx.Timeout(30.0, read=read)

    def on_event(self, event: Event) -> tuple[JobRun | None, bool]:
        """The run carried by `event` (if any), and whether a GET of the run is due."""
        run = event.data.get("jobRun")
        if isinstance(run, dict):
            return self.update(JobRun.from_json(run)), False
        due = event.type in FINAL_JOB_EVENTS and time.monotonic() - self._refreshed >= (
            self.REFRESH_SECONDS
        )
        if due:
            self._refreshed = time.monotonic()
        return None, due


def _state(run: JobRun) -> tuple[str, int, int, int, int]:
    return (run.status, run.completed_jobs, run.failed_jobs, run.cancelled_jobs, run.total_jobs)


def stream_unavailable(exc: QuarryError) -> bool:
    """A stream failure that polling can work around (an old server, a dropped connection)."""
    return exc.status_code is None or exc.status_code in STREAM_GONE or exc.status_code >= 500
