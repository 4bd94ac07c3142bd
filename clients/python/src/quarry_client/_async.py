"""`AsyncClient`: the same surface as `Client`, every call awaited. Requests are built and
answers parsed by the shared `_calls` and `_core`; only the I/O differs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
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
from quarry_client._sync import api_root
from quarry_client.errors import QuarryError, error_from_response, error_from_transport
from quarry_client.models import Extraction, Job, JobRun, Page, ResultRow, RunCreated, Schema

T = TypeVar("T")


class AsyncClient:
    """The asynchronous twin of `Client` (`async with AsyncClient(...) as quarry:`)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=api_root(base_url),
            headers=auth_headers(api_key, token),
            timeout=timeout,
            transport=transport,
        )
        self._retry = RetryPolicy(max_retries=max_retries)
        self.schemas = AsyncSchemas(self)
        self.runs = AsyncRuns(self)
        self.jobs = AsyncJobs(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _send(self, call: Call[T]) -> T:
        async with self._open(call, stream=False) as response:
            return answer(call, response)

    @asynccontextmanager
    async def _stream(
        self, call: Call[Any], http_timeout: httpx.Timeout | None = None
    ) -> AsyncIterator[httpx.Response]:
        async with self._open(call, stream=True, http_timeout=http_timeout) as response:
            if response.status_code >= 400:
                await response.aread()
                raise error_from_response(response)
            yield response

    @asynccontextmanager
    async def _open(
        self, call: Call[Any], *, stream: bool, http_timeout: httpx.Timeout | None = None
    ) -> AsyncIterator[httpx.Response]:
        attempt = 0
        try:
            while True:
                response = await self._attempt(call, stream, http_timeout)
                delay = self._retry.delay(response, attempt)
                if delay is None:
                    break
                await response.aclose()
                await asyncio.sleep(delay)
                attempt += 1
            try:
                yield response
            except httpx.TransportError as exc:
                raise error_from_transport(exc) from exc
            finally:
                await response.aclose()
        finally:
            call.done()

    async def _attempt(
        self, call: Call[Any], stream: bool, http_timeout: httpx.Timeout | None
    ) -> httpx.Response:
        extra: dict[str, Any] = {} if http_timeout is None else {"timeout": http_timeout}
        request = self._http.build_request(**call.request_kwargs(), **extra)
        try:
            return await self._http.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise error_from_transport(exc) from exc


class AsyncSchemas:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        name: str,
        fields: Sequence[Mapping[str, Any]],
        description: str | None = None,
        webhook_endpoint_ids: Sequence[str] | None = None,
        engine: str | None = None,
    ) -> Schema:
        call = calls.schema_create(name, fields, description, webhook_endpoint_ids, engine)
        return await self._client._send(call)

    async def update(self, schema_id: str, **changes: Any) -> Schema:
        return await self._client._send(calls.schema_update(schema_id, changes))

    async def get(self, schema_id: str) -> Schema:
        return await self._client._send(calls.schema_get(schema_id))

    async def list(
        self, *, search: str | None = None, page: int = 1, limit: int = 20
    ) -> Page[Schema]:
        return await self._client._send(calls.schema_list(search, page, limit))

    async def delete(self, schema_id: str) -> None:
        await self._client._send(calls.schema_delete(schema_id))


class AsyncJobs:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def get(self, job_id: str) -> Job:
        return await self._client._send(calls.job_get(job_id))

    async def extraction(self, job_id: str) -> Extraction:
        return await self._client._send(calls.job_extraction(job_id))

    async def correct(self, job_id: str, fields: Mapping[str, Any]) -> Extraction:
        return await self._client._send(calls.job_correct(job_id, fields))

    async def restart(self, job_id: str) -> Job:
        return await self._client._send(calls.job_restart(job_id))

    async def cancel(self, job_id: str) -> Job:
        return await self._client._send(calls.job_cancel(job_id))


class AsyncRuns:
    POLL_SECONDS = 1.0

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def create(
        self,
        files: Sequence[FileInput],
        *,
        schema_id: str,
        external_refs: Sequence[str | None] | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> JobRun:
        call = calls.run_create(files, schema_id, external_refs, callback_url, idempotency_key)
        return await self._client._send(call)

    async def from_urls(
        self,
        urls: Sequence[str | tuple[str, str | None] | Mapping[str, Any]],
        *,
        schema_id: str,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> RunCreated:
        call = calls.run_from_urls(urls, schema_id, callback_url, idempotency_key)
        return await self._client._send(call)

    async def get(self, run_id: str) -> JobRun:
        return await self._client._send(calls.run_get(run_id))

    async def list(
        self,
        *,
        status: str | None = None,
        schema_id: str | None = None,
        page: int = 1,
        limit: int = 20,
    ) -> Page[JobRun]:
        return await self._client._send(calls.run_list(status, schema_id, page, limit))

    async def jobs(
        self, run_id: str, *, status: str | None = None, page: int = 1, limit: int = 100
    ) -> Page[Job]:
        return await self._client._send(calls.run_jobs(run_id, status, page, limit))

    async def cancel(self, run_id: str) -> JobRun:
        return await self._client._send(calls.run_cancel(run_id))

    async def retry_failed(self, run_id: str) -> JobRun:
        return await self._client._send(calls.run_retry_failed(run_id))

    async def results(self, run_id: str, *, status: str | None = None) -> AsyncIterator[ResultRow]:
        async with self._client._stream(calls.run_results(run_id, "jsonl", status)) as response:
            async for line in response.aiter_lines():
                row = result_row_json(line)
                if row is not None:
                    yield ResultRow.from_json(row)

    async def export(
        self, run_id: str, format: str | None, path: str | Path, *, status: str | None = None
    ) -> Path:
        target = Path(path)
        call = calls.run_results(run_id, export_format(format, target), status)
        partial = target.with_name(target.name + ".part")
        try:
            async with self._client._stream(call) as response:
                with partial.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    async def wait(
        self,
        run_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the same surface as Client.runs.wait
        on_progress: Callable[[JobRun], Any] | None = None,
        poll_interval: float = POLL_SECONDS,
    ) -> JobRun:
        progress = Progress(run_id, timeout, on_progress)
        run = progress.update(await self.get(run_id))
        if run.finished:
            return run
        while True:
            try:
                await self._follow(progress)
                break
            except QuarryError as exc:
                if not progress.reconnect_after(exc):
                    break
        return await self._poll(progress, poll_interval)

    async def _follow(self, progress: Progress) -> None:
        call = calls.run_stream(progress.run_id, progress.decoder.resume_headers())
        async with self._client._stream(call, http_timeout=progress.stream_timeout()) as response:
            try:
                async for line in response.aiter_lines():
                    if await self._on_line(progress, line):
                        return
            except httpx.ReadTimeout:
                progress.check_deadline()
                raise

    async def _on_line(self, progress: Progress, line: str) -> bool:
        progress.check_deadline()
        event = progress.decoder.feed(line)
        if event is None:
            return False
        _, refresh = progress.on_event(event)
        if refresh:
            progress.update(await self.get(progress.run_id))
        return event.type in FINAL_RUN_EVENTS

    async def _poll(self, progress: Progress, interval: float) -> JobRun:
        while True:
            run = progress.update(await self.get(progress.run_id))
            if run.finished:
                return run
            progress.check_deadline()
            await asyncio.sleep(progress.sleep_for(interval))
