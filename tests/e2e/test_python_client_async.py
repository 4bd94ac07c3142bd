"""`AsyncClient` against a real `quarry serve`, and `verify_webhook` on real deliveries."""

from __future__ import annotations

import asyncio
import io

from quarry_client import AsyncClient, Client, JobRun, WebhookVerificationError, verify_webhook

from tests.e2e.conftest import Api
from tests.e2e.sdk import INVOICE_SCHEMA, PDF_A, PDF_B, api_key
from tests.fakes.webhook_receiver import Received, webhook_receiver


async def test_the_async_client_runs_a_batch(server: str, api: Api) -> None:
    seen: list[JobRun] = []
    async with AsyncClient(server + "/api", token=api.token) as quarry:
        schema = await quarry.schemas.create(name="Async", fields=INVOICE_SCHEMA["fields"])
        run = await quarry.runs.create(
            [PDF_A, ("second.pdf", io.BytesIO(PDF_B.read_bytes()))],
            schema_id=schema.id,
            external_refs=["a", "b"],
        )
        final = await quarry.runs.wait(run.id, timeout=180, on_progress=seen.append)
        children = (await quarry.runs.jobs(run.id)).data
        extractions = await asyncio.gather(*(quarry.jobs.extraction(j.id) for j in children))
        again = await quarry.schemas.get(schema.id)
    assert (final.status, final.completed_jobs) == ("COMPLETED", 2)
    assert seen[-1] == final and [r.done_jobs for r in seen] == sorted(r.done_jobs for r in seen)
    assert [j.external_ref for j in children] == ["a", "b"]
    assert [e.job_id for e in extractions] == [j.id for j in children]
    assert all(e.fields["total"] is not None for e in extractions)
    assert again == schema


def ping(api: Api, endpoint_id: str) -> None:
    answer = api.http.post(f"/api/webhooks/{endpoint_id}/ping")
    assert answer.status_code == 200, answer.text


def test_verify_webhook_accepts_real_deliveries_through_a_rotation(server: str, api: Api) -> None:
    with webhook_receiver() as receiver, Client(server, api_key=api_key(api)):
        created = api.http.post(
            "/api/webhooks",
            json={
                "url": receiver.url,
                "deliveryMode": "MANUAL",
                "events": [],
                "bodyFormat": "JSON",
            },
        )
        assert created.status_code == 201, created.text
        endpoint, old = created.json()["id"], created.json()["signingSecret"]
        ping(api, endpoint)
        first = receiver.wait_for(lambda got: len(got) >= 1)[0]
        rotated = api.http.post(f"/api/webhooks/{endpoint}/rotate-secret").json()["signingSecret"]
        ping(api, endpoint)
        second = receiver.wait_for(lambda got: len(got) >= 2)[1]
    check(first, old)
    for secret in (old, rotated):  # during the grace period both secrets verify
        check(second, secret)
    try:
        verify_webhook(first.body, first.headers, rotated)
    except WebhookVerificationError:
        pass
    else:
        raise AssertionError("a delivery signed before the rotation verified with the new secret")


def check(delivery: Received, secret: str) -> None:
    verify_webhook(delivery.body, delivery.headers, secret)
    plain = {k: v for k, v in delivery.headers.items() if k.startswith("x-webhook")}
    verify_webhook(delivery.body, plain, secret)
