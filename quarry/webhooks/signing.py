"""Signing secrets and the two header sets of every delivery.

- `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, keyed with
  the secret string exactly as shown to the user (`whsec_…`);
- Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`
  where `key` is the base64-decoded part of the secret after `whsec_` (what the
  `standardwebhooks` libraries do).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

KEY_PREFIX = "whsec_"


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes (the Standard Webhooks format)."""
    return KEY_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def plain_signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(KEY_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(
    secret: str,
    *,
    delivery_id: str,
    event_type: str,
    timestamp: int,
    body: bytes,
    previous_secret: str | None = None,
) -> list[tuple[str, str]]:
    """Both header sets, so either kind of verifier works.

    During a rotation's grace period the old secret signs too: as a second, space-separated
    signature in `webhook-signature` (Standard Webhooks verifiers accept any one), and in its
    own `X-Webhook-Signature-Previous` header, so `X-Webhook-Signature` stays one value.
    """
    stamp = str(timestamp)
    standard = standard_signature(secret, delivery_id, timestamp, body)
    headers = [
        ("X-Webhook-Id", delivery_id),
        ("X-Webhook-Event", event_type),
        ("X-Webhook-Timestamp", stamp),
        ("X-Webhook-Signature", plain_signature(secret, timestamp, body)),
    ]
    if previous_secret is not None:
        old = plain_signature(previous_secret, timestamp, body)
        headers.append(("X-Webhook-Signature-Previous", old))
        standard += " " + standard_signature(previous_secret, delivery_id, timestamp, body)
    return [
        *headers,
        ("webhook-id", delivery_id),
        ("webhook-timestamp", stamp),
        ("webhook-signature", standard),
    ]
