"""Delivery guarantees: retries with backoff, DEAD, auto-disable, redeliver, timeouts, redirects."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from quarry.core.config import Settings
from quarry.core.crypto import SecretBox
from quarry.runtime import Runtime
from tests.conftest import make_settings
from tests.fakes.webhook_receiver import WebhookReceiver, always, fail_first, webhook_receiver
from tests.integration.helpers import wait_run
from tests.integration.webhook_helpers import (
    deliveries,
    new_endpoint,
    upload_run,
    wait_received,
    wait_settled,
    wait_until,
)

User = dict[str, Any]
MAX_ATTEMPTS = 3


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        webhook_retry_delays=[0.1, 0.3],
        webhook_max_attempts=MAX_ATTEMPTS,
        webhook_auto_disable_threshold=2,
        webhook_timeout_seconds=0.5,
    )


@pytest.fixture
def flaky() -> Iterator[WebhookReceiver]:
    with webhook_receiver(fail_first(2)) as running:
        yield running


async def test_a_receiver_failing_at_first_gets_every_event_exactly_as_logged(
    client: httpx.AsyncClient, user: User, flaky: WebhookReceiver
) -> None:
    headers = user["headers"]
    events = ["job.queued", "job.started", "job.completed", "job_run.completed"]
    hook = await new_endpoint(client, headers, flaky.url, events=events)
    run = await upload_run(client, headers, 2)
    await wait_run(client, headers, run["id"])
    logged = await wait_settled(client, headers, hook["id"], 7)
    assert len(logged) == 7 and {d["status"] for d in logged} == {"SUCCEEDED"}
    seen = Counter(r.delivery_id for r in flaky.received)
    delivered = Counter(r.delivery_id for r in flaky.delivered())
    assert {d["id"]: d["attempts"] for d in logged} == dict(seen)
    assert all(d["attempts"] == 3 and d["lastStatusCode"] == 200 for d in logged)
    assert set(delivered.values()) == {1} and len(delivered) == 7
    assert Counter(r.json()["type"] for r in flaky.delivered()) == Counter(
        {"job.queued": 2, "job.started": 2, "job.completed": 2, "job_run.completed": 1}
    )


async def test_a_receiver_that_is_down_then_up_loses_nothing(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = user["headers"]
    receiver = WebhookReceiver()  # not listening yet: connections are refused
    hook = await new_endpoint(client, headers, receiver.url, deliveryMode="MANUAL")
    for n in range(3):
        await client.post(
            f"/api/webhooks/{hook['id']}/send", json={"data": {"n": n}}, headers=headers
        )

    async def refused_once() -> bool:
        rows = await deliveries(client, headers, hook["id"])
        return len(rows) == 3 and all(r["attempts"] >= 1 for r in rows)

    await wait_until(refused_once, what="first attempts")
    rows = await deliveries(client, headers, hook["id"])
    assert all(r["lastStatusCode"] is None and "connection" in r["lastError"] for r in rows), rows
    receiver.start()
    try:
        settled = await wait_settled(client, headers, hook["id"], 3)
    finally:
        receiver.stop()
    assert {d["status"] for d in settled} == {"SUCCEEDED"}
    assert sorted(r.json()["data"]["n"] for r in receiver.delivered()) == [0, 1, 2]
    assert len(receiver.received) == 3


async def test_an_endpoint_that_always_fails_goes_dead_then_disabled(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = user["headers"]
    with webhook_receiver(always(500)) as broken:
        hook = await new_endpoint(client, headers, broken.url, deliveryMode="MANUAL")
        for n in range(2):
            sent = await client.post(
                f"/api/webhooks/{hook['id']}/send", json={"data": {"n": n}}, headers=headers
            )
            assert sent.status_code == 200
            await wait_settled(client, headers, hook["id"], n + 1)
        dead = await deliveries(client, headers, hook["id"], status="DEAD")
        assert len(dead) == 2 and all(d["attempts"] == MAX_ATTEMPTS for d in dead)
        assert all(d["lastStatusCode"] == 500 and d["nextAttemptAt"] is None for d in dead)
        assert len(broken.received) == 2 * MAX_ATTEMPTS
        endpoint = (await client.get(f"/api/webhooks/{hook['id']}", headers=headers)).json()
        assert endpoint["enabled"] is False and endpoint["disabledReason"]
        refused = await client.post(f"/api/webhooks/{hook['id']}/ping", headers=headers)
        assert refused.status_code == 409 and refused.json()["code"] == "WEBHOOK_DISABLED"

        broken.respond = always(204)
        enabled = await client.patch(
            f"/api/webhooks/{hook['id']}", json={"enabled": True}, headers=headers
        )
        assert enabled.json()["enabled"] is True and enabled.json()["consecutiveFailures"] == 0
        again = await client.post(
            f"/api/webhooks/{hook['id']}/deliveries/{dead[0]['id']}/redeliver", headers=headers
        )
        assert again.status_code == 200 and again.json()["status"] == "PENDING"
        await wait_received(broken, lambda got: any(r.ok for r in got))
        await wait_settled(client, headers, hook["id"], 2, timeout=10)
        rows = await deliveries(client, headers, hook["id"])
        [done] = [d for d in rows if d["id"] == dead[0]["id"]]
        assert done["status"] == "SUCCEEDED" and done["attempts"] == MAX_ATTEMPTS + 1
        assert [r.delivery_id for r in broken.delivered()] == [dead[0]["id"]]


async def test_slow_receivers_time_out_and_redirects_are_not_followed(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = user["headers"]
    with (
        webhook_receiver(delay=2.0) as slow,
        webhook_receiver(always(302)) as moving,
    ):
        for target in (slow, moving):
            hook = await new_endpoint(client, headers, target.url, deliveryMode="MANUAL")
            await client.post(f"/api/webhooks/{hook['id']}/ping", headers=headers)
            failed = functools.partial(_first_failed, client, headers, hook["id"])
            [row] = await wait_until(failed, what="a failed attempt")
            expected = "timed out" if target is slow else "redirects are not followed"
            assert expected in row["lastError"], row
        assert len(moving.received) >= 1 and all(r.status == 302 for r in moving.received)


async def _first_failed(
    client: httpx.AsyncClient, headers: dict[str, str], endpoint_id: str
) -> list[dict[str, Any]] | None:
    rows = await deliveries(client, headers, endpoint_id)
    return rows if rows and rows[0]["attempts"] >= 1 and rows[0]["lastError"] else None


async def test_a_secret_that_cannot_be_opened_ends_the_delivery_instead_of_looping(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    with webhook_receiver(always(200)) as receiver:
        endpoint = await new_endpoint(
            client, user["headers"], receiver.url, events=["webhook.ping"]
        )
        async with runtime.db.transaction() as session:  # as if WEBHOOK_ENCRYPTION_KEY changed
            sealed = SecretBox("another-key-" + "z" * 32).seal("whsec_x", purpose="webhook-secret")
            await session.execute(
                text("UPDATE webhook_endpoint SET secret_sealed = :s WHERE id = :id"),
                {"s": sealed, "id": endpoint["id"]},
            )
        ping = await client.post(f"/api/webhooks/{endpoint['id']}/ping", headers=user["headers"])
        assert ping.status_code == 200, ping.text
        dead = await wait_until(
            lambda: _dead(client, user, endpoint["id"]), what="the delivery to end DEAD"
        )
    assert "WEBHOOK_ENCRYPTION_KEY" in dead[0]["lastError"]
    assert receiver.received == []


async def _dead(client: httpx.AsyncClient, user: User, endpoint_id: str) -> list[dict[str, Any]]:
    return await deliveries(client, user["headers"], endpoint_id, status="DEAD")
