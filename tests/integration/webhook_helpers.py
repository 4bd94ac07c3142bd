"""Helpers shared by the webhook and run-event integration tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.fakes.webhook_receiver import Received, WebhookReceiver
from tests.integration.helpers import create_schema, pdf

Headers = dict[str, str]


async def new_endpoint(
    client: httpx.AsyncClient, headers: Headers, url: str, **body: Any
) -> dict[str, Any]:
    answer = await client.post("/api/webhooks", json={"url": url, **body}, headers=headers)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def deliveries(
    client: httpx.AsyncClient, headers: Headers, endpoint_id: str, **params: Any
) -> list[dict[str, Any]]:
    answer = await client.get(
        f"/api/webhooks/{endpoint_id}/deliveries",
        params={"limit": 100, **params},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


async def wait_until(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    """Poll `check` (sync or async) without blocking the event loop the workers run in."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


async def wait_received(
    receiver: WebhookReceiver,
    predicate: Callable[[list[Received]], bool],
    timeout: float = 30,
) -> list[Received]:
    def check() -> list[Received] | None:
        received = receiver.received
        return received if predicate(received) else None

    result: list[Received] = await wait_until(check, timeout, "the receiver")
    return result


async def wait_settled(
    client: httpx.AsyncClient, headers: Headers, endpoint_id: str, count: int, timeout: float = 30
) -> list[dict[str, Any]]:
    """Wait until the endpoint has `count` deliveries and none is PENDING or RETRYING."""

    async def check() -> list[dict[str, Any]] | None:
        rows = await deliveries(client, headers, endpoint_id)
        open_rows = [r for r in rows if r["status"] in ("PENDING", "RETRYING")]
        return rows if len(rows) >= count and not open_rows else None

    result: list[dict[str, Any]] = await wait_until(check, timeout, "deliveries to settle")
    return result


async def upload_run(
    client: httpx.AsyncClient,
    headers: Headers,
    count: int,
    schema_id: str | None = None,
    **form: str,
) -> dict[str, Any]:
    schema_id = schema_id or await create_schema(client, headers)
    files = [("files", (f"doc-{i}.pdf", pdf())) for i in range(count)]
    answer = await client.post(
        "/api/job-runs",
        headers=headers,
        files=files,
        data={"schemaId": schema_id, "jobType": "EXTRACTION", **form},
    )
    assert answer.status_code == 201, answer.text
    run: dict[str, Any] = answer.json()
    return run
