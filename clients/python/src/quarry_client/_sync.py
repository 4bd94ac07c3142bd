"""`Client`: the blocking client. `_async.py` mirrors it line for line with `await`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from quarry_client import _calls as calls
from quarry_client._core import (
    FINAL_RUN_EVENTS,
    Call,
    FileInput,
    Progress,
    RetryPolicy,
    answer,
    auth_headers,
    export_format,
    result_row_json,
)
from quarry_client.errors import QuarryError, error_from_response, error_from_transport
from quarry_client.models import Extraction, Job, JobRun, Page, ResultRow, RunCreated, Schema

T = TypeVar("T")


def api_root(base_url: str) -> str:
    """`http://host:4000`, `http://host:4000/` and `http://host:4000/api` all mean the same."""
    return base_url.rstrip("/").removesuffix("/api")


class Client:
    """A Quarry server, called with an API key (`ef_live_…`) or a JWT access token.

    `transport` lets tests or proxies plug in any httpx transport (for instance
    `httpx.ASGITransport(app)`). Use it as a context manager, or call `close()`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=api_root(base_url),
            headers=auth_headers(api_key, token),
            timeout=timeout,
            transport=transport,
        )
        self._retry = RetryPolicy(max_retries=max_retries)
        self.schemas = Schemas(self)
        self.runs = Runs(self)
        self.jobs = Jobs(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: Call[T]) -> T:
        with self._open(call, stream=False) as response:
            return answer(call, response)

    @contextmanager
    def _stream(
        self, call: Call[Any], timeout: httpx.Timeout | None = None
    ) -> Iterator[httpx.Response]:
        """A 2xx answer whose body is still to be read; errors raised before yielding."""
        with self._open(call, stream=True, timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise error_from_response(response)
            yield response

    @contextmanager
    def _open(
        self, call: Call[Any], *, stream: bool, timeout: httpx.Timeout | None = None
    ) -> Iterator[httpx.Response]:
        attempt = 0
        try:
            while True:
                response = self._attempt(call, stream, timeout)
                delay = self._retry.delay(response, attempt)
                if delay is None:
                    break
                response.close()
                time.sleep(delay)
                attempt += 1
            try:
                yield response
            except httpx.TransportError as exc:
                raise error_from_transport(exc) from exc
            finally:
                response.close()
        finally:
            call.done()

    def _attempt(
        self, call: Call[Any], stream: bool, timeout: httpx.Timeout | None
    ) -> httpx.Response:
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        request = self._http.build_request(**call.request_kwargs(), **extra)
        try:
            return self._http.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise error_from_transport(exc) from exc


class Schemas:
    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        *,
        name: str,
        fields: Sequence[Mapping[str, Any]],
        description: str | None = None,
        webhook_endpoint_ids: Sequence[str] | None = None,
        engine: str | None = None,
    ) -> Schema:
        """A new schema (version 1). `fields` as the API takes them (`{name, type, …}`)."""
        call = calls.schema_create(name, fields, description, webhook_endpoint_ids, engine)
        return self._client._send(call)

    def update(self, schema_id: str, **changes: Any) -> Schema:
        """`PATCH`: any of name, description, fields, webhook_endpoint_ids, engine."""
        return self._client._send(calls.schema_update(schema_id, changes))

    def get(self, schema_id: str) -> Schema:
        return self._client._send(calls.schema_get(schema_id))

    def list(self, *, search: str | None = None, page: int = 1, limit: int = 20) -> Page[Schema]:
        return self._client._send(calls.schema_list(search, page, limit))

    def delete(self, schema_id: str) -> None:
        self._client._send(calls.schema_delete(schema_id))


class Jobs:
    def __init__(self, client: Client) -> None:
        self._client = client

    def get(self, job_id: str) -> Job:
        return self._client._send(calls.job_get(job_id))

    def extraction(self, job_id: str) -> Extraction:
        """The result of a COMPLETED job (409 `EXTRACTION_NOT_READY` before)."""
        return self._client._send(calls.job_extraction(job_id))

    def correct(self, job_id: str, fields: Mapping[str, Any]) -> Extraction:
        """Replace the given fields (a reviewer's correction); the result becomes `reviewed`."""
        return self._client._send(calls.job_correct(job_id, fields))

    def restart(self, job_id: str) -> Job:
        return self._client._send(calls.job_restart(job_id))

    def cancel(self, job_id: str) -> Job:
        return self._client._send(calls.job_cancel(job_id))


class Runs:
    POLL_SECONDS = 1.0

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        files: Sequence[FileInput],
        *,
        schema_id: str,
        external_refs: Sequence[str | None] | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> JobRun:
        """A run over uploaded files: paths, open binary files or `(name, file)` pairs."""
        call = calls.run_create(files, schema_id, external_refs, callback_url, idempotency_key)
        return self._client._send(call)

    def from_urls(
        self,
        urls: Sequence[str | tuple[str, str | None] | Mapping[str, Any]],
        *,
        schema_id: str,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> RunCreated:
        """A run over public URLs: `"https://…"`, `(url, external_ref)` or `{url, externalRef}`."""
        return self._client._send(
            calls.run_from_urls(urls, schema_id, callback_url, idempotency_key)
        )

    def get(self, run_id: str) -> JobRun:
        return self._client._send(calls.run_get(run_id))

    def list(
        self,
        *,
        status: str | None = None,
        schema_id: str | None = None,
        page: int = 1,
        limit: int = 20,
    ) -> Page[JobRun]:
        return self._client._send(calls.run_list(status, schema_id, page, limit))

    def jobs(
        self, run_id: str, *, status: str | None = None, page: int = 1, limit: int = 100
    ) -> Page[Job]:
        """One page of the run's child jobs, in submission order."""
        return self._client._send(calls.run_jobs(run_id, status, page, limit))

    def cancel(self, run_id: str) -> JobRun:
        return self._client._send(calls.run_cancel(run_id))

    def retry_failed(self, run_id: str) -> JobRun:
        """Re-queue the run's FAILED children (409 `JOB_RUN_STATE_CONFLICT` while processing)."""
        return self._client._send(calls.run_retry_failed(run_id))

    def results(self, run_id: str, *, status: str | None = None) -> Iterator[ResultRow]:
        """Every child's result in submission order, streamed (JSON Lines) as it is read."""
        with self._client._stream(calls.run_results(run_id, "jsonl", status)) as response:
            for line in response.iter_lines():
                row = result_row_json(line)
                if row is not None:
                    yield ResultRow.from_json(row)

    def export(
        self, run_id: str, format: str | None, path: str | Path, *, status: str | None = None
    ) -> Path:
        """Download the results as `json`, `jsonl`, `csv` or `xlsx` (None: from the path's
        extension) to `path`, written whole or not at all."""
        target = Path(path)
        call = calls.run_results(run_id, export_format(format, target), status)
        partial = target.with_name(target.name + ".part")
        try:
            with self._client._stream(call) as response, partial.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    def wait(
        self,
        run_id: str,
        *,
        timeout: float | None = None,
        on_progress: Callable[[JobRun], Any] | None = None,
        poll_interval: float = POLL_SECONDS,
    ) -> JobRun:
        """Block until the run settles (COMPLETED, FAILED or CANCELLED) and answer it.

        Follows the run's event stream; where the stream is not available it polls the run
        every `poll_interval` seconds. `on_progress(run)` is called whenever the status or a
        counter changes. Raises `QuarryTimeout` after `timeout` seconds."""
        progress = Progress(run_id, timeout, on_progress)
        run = progress.update(self.get(run_id))
        if run.finished:
            return run
        while True:
            try:
                self._follow(progress)
                break
            except QuarryError as exc:
                if not progress.reconnect_after(exc):
                    break
        return self._poll(progress, poll_interval)

    def _follow(self, progress: Progress) -> None:
        call = calls.run_stream(progress.run_id, progress.decoder.resume_headers())
        with self._client._stream(call, timeout=progress.stream_timeout()) as response:
            try:
                for line in response.iter_lines():
                    if self._on_line(progress, line):
                        return
            except httpx.ReadTimeout:
                progress.check_deadline()
                raise

    def _on_line(self, progress: Progress, line: str) -> bool:
        progress.check_deadline()
        event = progress.decoder.feed(line)
        if event is None:
            return False
        _, refresh = progress.on_event(event)
        if refresh:
            progress.update(self.get(progress.run_id))
        return event.type in FINAL_RUN_EVENTS

    def _poll(self, progress: Progress, interval: float) -> JobRun:
        while True:
            run = progress.update(self.get(progress.run_id))
            if run.finished:
                return run
            progress.check_deadline()
            time.sleep(progress.sleep_for(interval))
