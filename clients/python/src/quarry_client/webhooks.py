"""Check that a webhook or callback delivery comes from your Quarry.

Quarry signs every delivery twice, so either check works:

- Standard Webhooks: `webhook-id`, `webhook-timestamp`, and `webhook-signature: v1,<base64
  HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` where `key` is the base64-decoded part of the
  secret after `whsec_`. During a secret rotation's grace period the header carries a second,
  space-separated `v1,…` signature made with the previous secret.
- `X-Webhook-Timestamp` and `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret,
  "<timestamp>.<body>")>`, keyed with the whole secret string; during a rotation the previous
  secret's signature comes in `X-Webhook-Signature-Previous`.

Either way a receiver still holding the old secret keeps verifying until it switches.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping

from quarry_client.errors import WebhookVerificationError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format prefix, not a secret
DEFAULT_TOLERANCE_SECONDS = 5 * 60


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise `WebhookVerificationError` unless `body` (the raw bytes, before any JSON
    parsing) is signed by `secret` (or one of several, while you switch secrets) with a
    timestamp within `tolerance` seconds of `now`. Uses the Standard Webhooks headers when
    present, else `X-Webhook-Signature`."""
    raw = body.encode() if isinstance(body, str) else body
    lowered = {key.lower(): value for key, value in headers.items()}
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise WebhookVerificationError("no secret to verify with")
    if "webhook-signature" in lowered:
        stamp = _fresh_timestamp(lowered.get("webhook-timestamp"), tolerance, now)
        _check_standard(raw, lowered, stamp, secrets)
    elif "x-webhook-signature" in lowered:
        stamp = _fresh_timestamp(lowered.get("x-webhook-timestamp"), tolerance, now)
        _check_plain(raw, lowered, stamp, secrets)
    else:
        raise WebhookVerificationError("no webhook-signature or X-Webhook-Signature header")


def _fresh_timestamp(value: str | None, tolerance: float, now: float | None) -> str:
    if value is None or not value.strip().isdigit():
        raise WebhookVerificationError("missing or malformed timestamp header")
    stamp = value.strip()
    age = (time.time() if now is None else now) - int(stamp)
    if abs(age) > tolerance:
        raise WebhookVerificationError(f"timestamp {stamp} is {int(age)} s away from now")
    return stamp


def _check_standard(raw: bytes, headers: dict[str, str], stamp: str, secrets: list[str]) -> None:
    message_id = headers.get("webhook-id")
    if not message_id:
        raise WebhookVerificationError("missing webhook-id header")
    signed = f"{message_id}.{stamp}.".encode() + raw
    offered = [
        part.partition(",")[2]
        for part in headers["webhook-signature"].split()
        if part.startswith("v1,")
    ]
    for secret in secrets:
        digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
        expected = base64.b64encode(digest).decode()
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            return
    raise WebhookVerificationError("no webhook-signature matches the secret")


def _standard_key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError("the secret is not a whsec_<base64> secret") from exc


def _check_plain(raw: bytes, headers: dict[str, str], stamp: str, secrets: list[str]) -> None:
    offered = [
        headers[name]
        for name in ("x-webhook-signature", "x-webhook-signature-previous")
        if name in headers
    ]
    for secret in secrets:
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256)
        expected = "sha256=" + digest.hexdigest()
        if any(hmac.compare_digest(expected, sig.strip()) for sig in offered):
            return
    raise WebhookVerificationError("no X-Webhook-Signature matches the secret")
