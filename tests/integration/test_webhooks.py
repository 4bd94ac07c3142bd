"""Webhook endpoints over the API: secrets, signatures, routing, formats, callbacks."""

from __future__ import annotations

import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import psycopg
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from quarry.core.config import Settings
from tests.conftest import make_settings
from tests.fakes.webhook_receiver import Received, WebhookReceiver, webhook_receiver
from tests.integration.helpers import create_schema, pdf, wait_job, wait_run
from tests.integration.webhook_helpers import (
    new_endpoint,
    upload_run,
    wait_received,
    wait_settled,
)

User = dict[str, Any]


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        webhook_retry_delays=[0.2],
        webhook_max_attempts=3,
        webhook_progress_interval_seconds=0.2,
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


def has_path(suffix: str) -> Callable[[list[Received]], bool]:
    return lambda got: any(r.path.endswith(suffix) for r in got)


def plain_hmac_ok(secret: str, request: Received) -> bool:
    stamp = request.headers["x-webhook-timestamp"]
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256)
    return hmac.compare_digest(
        request.headers["x-webhook-signature"], "sha256=" + expected.hexdigest()
    )


async def test_after_a_rotation_both_secrets_verify_until_the_grace_ends(
    client: httpx.AsyncClient, user: User, receiver: WebhookReceiver, database_url: str
) -> None:
    created = await new_endpoint(client, user["headers"], receiver.url, deliveryMode="MANUAL")
    old = created["signingSecret"]
    rotated = await client.post(
        f"/api/webhooks/{created['id']}/rotate-secret", headers=user["headers"]
    )
    new = rotated.json()["signingSecret"]
    await client.post(f"/api/webhooks/{created['id']}/ping", headers=user["headers"])
    [during] = await wait_received(receiver, lambda got: len(got) == 1)
    for secret in (old, new):  # a receiver on either secret accepts it
        assert Webhook(secret).verify(during.body, during.headers)["type"] == "webhook.ping"
    assert plain_hmac_ok(new, during)
    stamp = during.headers["x-webhook-timestamp"]
    expected_old = hmac.new(old.encode(), f"{stamp}.".encode() + during.body, hashlib.sha256)
    assert during.headers["x-webhook-signature-previous"] == "sha256=" + expected_old.hexdigest()

    with psycopg.connect(database_url) as conn:  # the grace period ends
        conn.execute(
            "UPDATE webhook_endpoint SET previous_secret_expires_at = now() WHERE id = %s",
            (created["id"],),
        )
    await client.post(f"/api/webhooks/{created['id']}/ping", headers=user["headers"])
    [_, after] = await wait_received(receiver, lambda got: len(got) == 2)
    assert Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)
    assert "x-webhook-signature-previous" not in after.headers


async def test_an_endpoint_shows_its_secret_once_and_keeps_it_encrypted(
    client: httpx.AsyncClient, user: User, other_user: User, database_url: str
) -> None:
    headers = user["headers"]
    created = await new_endpoint(
        client, headers, "https://hooks.example.com/a", events=["job.completed"]
    )
    secret = created["signingSecret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert created["deliveryMode"] == "AUTOMATIC" and created["bodyFormat"] == "JSON"
    read = (await client.get(f"/api/webhooks/{created['id']}", headers=headers)).json()
    listed = (await client.get("/api/webhooks", headers=headers)).json()
    assert "signingSecret" not in read and listed["total"] == 1
    assert "signingSecret" not in json.dumps(listed)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT secret_sealed FROM webhook_endpoint WHERE id = %s", (created["id"],)
        ).fetchone()
    assert row is not None and secret not in row[0] and secret[6:] not in row[0]

    rotated = await client.post(f"/api/webhooks/{created['id']}/rotate-secret", headers=headers)
    assert rotated.status_code == 200 and rotated.json()["signingSecret"] not in ("", secret)

    patched = await client.patch(
        f"/api/webhooks/{created['id']}",
        json={"events": ["job_run.completed"], "bodyFormat": "XML", "description": "ops"},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert (
        patched.json()["events"] == ["job_run.completed"] and patched.json()["bodyFormat"] == "XML"
    )

    foreign = await client.get(f"/api/webhooks/{created['id']}", headers=other_user["headers"])
    assert foreign.status_code == 404 and foreign.json()["code"] == "WEBHOOK_NOT_FOUND"
    assert (
        await client.delete(f"/api/webhooks/{created['id']}", headers=headers)
    ).status_code == 204
    gone = await client.get(f"/api/webhooks/{created['id']}", headers=headers)
    assert gone.status_code == 404


async def test_bad_endpoints_are_refused_with_the_field_named(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = user["headers"]
    catalog = (await client.get("/api/webhooks/event-catalog", headers=headers)).json()["data"]
    assert len(catalog) == 12 and {"job_run.progress", "webhook.send"} <= {
        e["type"] for e in catalog
    }
    unknown = await client.post(
        "/api/webhooks", json={"url": "https://x.example", "events": ["job.done"]}, headers=headers
    )
    assert unknown.status_code == 400 and unknown.json()["details"][0]["field"] == "events"
    bad_url = await client.post("/api/webhooks", json={"url": "ftp://x.example"}, headers=headers)
    assert bad_url.status_code == 400 and bad_url.json()["code"] == "INVALID_URL"


async def test_a_ping_is_signed_for_both_verifiers(
    client: httpx.AsyncClient, user: User, receiver: WebhookReceiver
) -> None:
    created = await new_endpoint(client, user["headers"], receiver.url, deliveryMode="MANUAL")
    answer = await client.post(f"/api/webhooks/{created['id']}/ping", headers=user["headers"])
    assert answer.status_code == 200 and answer.json()["eventType"] == "webhook.ping"
    [request] = await wait_received(receiver, lambda got: len(got) == 1)
    payload = Webhook(created["signingSecret"]).verify(request.body, request.headers)
    assert plain_hmac_ok(created["signingSecret"], request)
    assert (
        payload["type"] == "webhook.ping" and payload["data"]["webhookEndpointId"] == created["id"]
    )
    assert request.headers["x-webhook-id"] == request.headers["webhook-id"] == answer.json()["id"]
    assert request.headers["x-webhook-event"] == "webhook.ping"
    assert payload["id"] == answer.json()["eventId"]
    [logged] = await wait_settled(client, user["headers"], created["id"], 1)
    assert logged["status"] == "SUCCEEDED" and logged["attempts"] == 1
    assert logged["lastStatusCode"] == 200 and logged["deliveredAt"]
    tampered = Received(request.path, request.headers, request.body + b" ", 200, request.at)
    assert not plain_hmac_ok(created["signingSecret"], tampered)


async def test_events_go_only_where_subscribed_with_useful_payloads(
    client: httpx.AsyncClient, user: User, receiver: WebhookReceiver
) -> None:
    headers = user["headers"]
    subscribed = ["job.completed", "job_run.progress", "job_run.completed"]
    hook = await new_endpoint(client, headers, receiver.url + "?all", events=subscribed)
    await new_endpoint(client, headers, receiver.url + "?created", events=["job_run.created"])
    await new_endpoint(
        client, headers, receiver.url + "?manual", deliveryMode="MANUAL", events=["job.completed"]
    )
    run = await upload_run(client, headers, 3)
    assert (await wait_run(client, headers, run["id"]))["status"] == "COMPLETED"
    settled = await wait_settled(client, headers, hook["id"], 4)
    assert all(d["status"] == "SUCCEEDED" for d in settled)
    mine = [r for r in receiver.received if r.path.endswith("?all")]
    payloads = [Webhook(hook["signingSecret"]).verify(r.body, r.headers) for r in mine]
    types = [p["type"] for p in payloads]
    assert types.count("job.completed") == 3 and types.count("job_run.completed") == 1
    assert set(types) <= set(subscribed)
    final_at = types.index("job_run.completed")
    assert "job_run.progress" not in types[final_at:], types
    done = next(p for p in payloads if p["type"] == "job.completed")
    assert done["data"]["job"]["parentRunId"] == run["id"] and "externalRef" in done["data"]["job"]
    assert "invoice_number" in done["data"]["extraction"]["fields"]
    summary = next(p for p in payloads if p["type"] == "job_run.completed")
    counters = summary["data"]["jobRun"]
    assert (counters["completedJobs"], counters["failedJobs"], counters["cancelledJobs"]) == (
        3,
        0,
        0,
    )
    assert summary["seq"] == max(p["seq"] for p in payloads)
    created = [r for r in receiver.received if r.path.endswith("?created")]
    assert [r.json()["type"] for r in created] == ["job_run.created"]
    assert not [r for r in receiver.received if r.path.endswith("?manual")]


async def test_manual_send_and_schema_binding(
    client: httpx.AsyncClient, user: User, other_user: User, receiver: WebhookReceiver
) -> None:
    headers = user["headers"]
    manual = await new_endpoint(client, headers, receiver.url + "?manual", deliveryMode="MANUAL")
    sent = await client.post(
        f"/api/webhooks/{manual['id']}/send",
        json={"type": "invoice.approved", "data": {"invoice": "A-1", "total": 12.5}},
        headers=headers,
    )
    assert sent.status_code == 200, sent.text
    bound = await new_endpoint(
        client, headers, receiver.url + "?bound", events=["job_run.completed"]
    )
    loose = await new_endpoint(
        client, headers, receiver.url + "?loose", events=["job_run.completed"]
    )
    foreign = await new_endpoint(
        client, other_user["headers"], receiver.url, deliveryMode="MANUAL", events=[]
    )
    refused = await client.post(
        "/api/schema",
        json={
            "name": "X",
            "fields": [{"name": "a", "type": "text"}],
            "webhookEndpointIds": [foreign["id"]],
        },
        headers=headers,
    )
    assert refused.status_code == 400 and refused.json()["code"] == "UNKNOWN_WEBHOOK_ENDPOINT"
    schema_id = await create_schema(client, headers)
    patched = await client.patch(
        f"/api/schema/{schema_id}", json={"webhookEndpointIds": [bound["id"]]}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    bound_run = await upload_run(client, headers, 1, schema_id)
    free_run = await upload_run(client, headers, 1)
    for run in (bound_run, free_run):
        await wait_run(client, headers, run["id"])
    await wait_settled(client, headers, bound["id"], 2)
    await wait_settled(client, headers, loose["id"], 1)
    runs_seen = {
        tag: sorted(
            r.json()["data"]["jobRun"]["id"] for r in receiver.received if r.path.endswith(tag)
        )
        for tag in ("?bound", "?loose")
    }
    assert runs_seen == {
        "?bound": sorted([bound_run["id"], free_run["id"]]),
        "?loose": [free_run["id"]],
    }
    [manual_request] = [r for r in receiver.received if r.path.endswith("?manual")]
    assert manual_request.json()["type"] == "invoice.approved"
    assert manual_request.json()["data"] == {"invoice": "A-1", "total": 12.5}


async def test_xml_and_form_bodies_carry_the_same_content(
    client: httpx.AsyncClient, user: User, receiver: WebhookReceiver
) -> None:
    headers = user["headers"]
    data = {"name": "Åsa & co <x>", "n": 3, "ok": True, "none": None, "list": [1, "two"]}
    for body_format in ("XML", "FORM"):
        hook = await new_endpoint(
            client,
            headers,
            f"{receiver.url}?{body_format}",
            bodyFormat=body_format,
            deliveryMode="MANUAL",
        )
        await client.post(f"/api/webhooks/{hook['id']}/send", json={"data": data}, headers=headers)
        received = await wait_received(receiver, has_path(body_format))
        request = next(r for r in received if r.path.endswith(body_format))
        Webhook(hook["signingSecret"]).verify(request.body, request.headers, json_parse=False)
        if body_format == "FORM":
            form = parse_qs(request.body.decode())
            assert form["type"] == ["webhook.send"] and json.loads(form["data"][0]) == data
            assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        else:
            root = ET.fromstring(request.body)
            assert root.tag == "event" and root.findtext("type") == "webhook.send"
            assert root.findtext("data/name") == data["name"]
            assert root.findtext("data/n") == "3"
            marks = {e.tag: (e.get("null"), e.get("type")) for e in root.iterfind("data/*")}
            assert marks == {
                "name": (None, None),
                "n": (None, "number"),
                "ok": (None, "boolean"),
                "none": ("true", None),
                "list": (None, "array"),
            }
            assert [i.text for i in root.iterfind("data/list/item")] == ["1", "two"]


async def test_callback_urls_get_the_completion_event_signed_with_the_callback_secret(
    client: httpx.AsyncClient, user: User, receiver: WebhookReceiver
) -> None:
    headers = user["headers"]
    secret_answer = await client.get("/api/webhooks/callback-secret", headers=headers)
    secret = secret_answer.json()["callbackSecret"]
    again = (await client.get("/api/webhooks/callback-secret", headers=headers)).json()
    assert secret.startswith("whsec_") and again["callbackSecret"] == secret
    run = await upload_run(client, headers, 2, callbackUrl=receiver.url + "?run")
    schema_id = await create_schema(client, headers)
    job = await client.post(
        "/api/jobs",
        headers=headers,
        files={"file": ("one.pdf", pdf())},
        data={
            "type": "EXTRACTION",
            "schemaId": schema_id,
            "callbackUrl": receiver.url + "?job",
            "externalRef": "row-7",
        },
    )
    assert job.status_code == 201, job.text
    await wait_run(client, headers, run["id"])
    await wait_job(client, headers, job.json()["id"])
    got = await wait_received(receiver, lambda got: len(got) >= 2)
    by_path = {r.path.rsplit("?", 1)[1]: Webhook(secret).verify(r.body, r.headers) for r in got}
    assert by_path["run"]["type"] == "job_run.completed"
    assert by_path["run"]["data"]["jobRun"]["completedJobs"] == 2
    assert by_path["job"]["type"] == "job.completed"
    assert by_path["job"]["data"]["job"]["externalRef"] == "row-7"
    assert by_path["job"]["data"]["extraction"]["fields"]
    assert len(got) == 2
    rotated = await client.post("/api/webhooks/callback-secret/rotate", headers=headers)
    assert rotated.json()["callbackSecret"] not in (secret, "")
