"""`quarry_client.verify_webhook` against the headers Quarry's own signer sends."""

from __future__ import annotations

import json
import time

import pytest
from quarry_client import WebhookVerificationError, verify_webhook
from standardwebhooks import Webhook

from quarry.webhooks.signing import new_secret, signed_headers

BODY = json.dumps({"id": "evt_1", "type": "job.completed", "data": {"job": {"id": "job_1"}}})


def delivery(secret: str, *, previous: str | None = None, at: int | None = None) -> dict[str, str]:
    headers = signed_headers(
        secret,
        delivery_id="dlv_1",
        event_type="job.completed",
        timestamp=at or int(time.time()),
        body=BODY.encode(),
        previous_secret=previous,
    )
    return dict(headers)


def only(headers: dict[str, str], prefix: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower().startswith(prefix)}


def test_both_schemes_verify_a_genuine_delivery() -> None:
    secret = new_secret()
    headers = delivery(secret)
    verify_webhook(BODY.encode(), headers, secret)  # Standard Webhooks headers first
    verify_webhook(BODY, only(headers, "x-webhook"), secret)  # the HMAC header alone
    verify_webhook(BODY, {k.upper(): v for k, v in only(headers, "webhook-").items()}, secret)
    Webhook(secret).verify(BODY, only(headers, "webhook-"))  # the reference library agrees


@pytest.mark.parametrize("scheme", ["webhook-", "x-webhook"])
def test_a_changed_body_or_another_secret_is_refused(scheme: str) -> None:
    secret = new_secret()
    headers = only(delivery(secret), scheme)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY.replace("job_1", "job_2"), headers, secret)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, headers, new_secret())


@pytest.mark.parametrize("scheme", ["webhook-", "x-webhook"])
def test_stale_and_future_timestamps_are_refused(scheme: str) -> None:
    secret = new_secret()
    for skew in (-301, 301):
        headers = only(delivery(secret, at=int(time.time()) + skew), scheme)
        with pytest.raises(WebhookVerificationError, match="timestamp"):
            verify_webhook(BODY, headers, secret)
    old = only(delivery(secret, at=1_000_000), scheme)
    verify_webhook(BODY, old, secret, now=1_000_100)


@pytest.mark.parametrize("scheme", ["webhook-", "x-webhook"])
def test_during_a_rotation_the_old_secret_still_verifies(scheme: str) -> None:
    old, new = new_secret(), new_secret()
    headers = only(delivery(new, previous=old), scheme)
    verify_webhook(BODY, headers, old)
    verify_webhook(BODY, headers, new)
    verify_webhook(BODY, headers, [new_secret(), new])  # a receiver trying several
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, only(delivery(new), scheme), old)  # after the grace period


def test_unsigned_or_malformed_headers_are_refused() -> None:
    secret = new_secret()
    with pytest.raises(WebhookVerificationError, match="no webhook-signature"):
        verify_webhook(BODY, {"content-type": "application/json"}, secret)
    headers = only(delivery(secret), "webhook-")
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        verify_webhook(BODY, {**headers, "webhook-timestamp": "soon"}, secret)
    with pytest.raises(WebhookVerificationError, match="webhook-id"):
        verify_webhook(BODY, {k: v for k, v in headers.items() if k != "webhook-id"}, secret)
    with pytest.raises(WebhookVerificationError, match="whsec_"):
        verify_webhook(BODY, headers, "whsec_not*base64")
