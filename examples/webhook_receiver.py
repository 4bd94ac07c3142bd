"""A webhook receiver for Quarry: verifies signatures, rejects stale timestamps, drops repeats.

    pip install standardwebhooks
    WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py --port 8000

Then create an endpoint pointing at it (`http://HOST:8000/quarry`) and run a batch. Each event
is verified twice, to show both ways: with the `standardwebhooks` library (`webhook-*` headers)
and with a plain HMAC check (`X-Webhook-Signature`). Answer 2xx quickly: Quarry retries
anything else (and anything slower than its timeout) with backoff. Deliveries are
at-least-once, so the same `webhook-id` may arrive twice: this receiver remembers ids and
acknowledges repeats without acting on them again.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.server
import json
import os
import time

from standardwebhooks import Webhook, WebhookVerificationError

TOLERANCE_SECONDS = 5 * 60


def plain_signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """`X-Webhook-Signature: sha256=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`."""
    stamp = headers.get("x-webhook-timestamp", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        return False
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("x-webhook-signature", ""), "sha256=" + digest)


def make_handler(secret: str) -> type[http.server.BaseHTTPRequestHandler]:
    verifier = Webhook(secret)
    seen: set[str] = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verifier.verify(body, headers, json_parse=False)  # also checks the timestamp
            except WebhookVerificationError as exc:
                self._answer(401, f"bad signature: {exc}")
                return
            if not plain_signature_ok(secret, headers, body):
                self._answer(401, "bad X-Webhook-Signature")
                return
            delivery_id = headers["webhook-id"]
            if delivery_id in seen:
                self._answer(200, "already handled")
                return
            seen.add(delivery_id)
            self._handle(headers, body)
            self._answer(200, "ok")

        def _handle(self, headers: dict[str, str], body: bytes) -> None:
            if not headers.get("content-type", "").startswith("application/json"):
                print(headers.get("x-webhook-event"), body[:200])
                return
            event = json.loads(body)
            data = event["data"]
            subject = data.get("jobRun") or data.get("job") or data
            print(
                event["type"],
                event.get("seq", ""),
                subject.get("id", ""),
                subject.get("status", ""),
            )
            if event["type"] == "job.completed":
                print("   fields:", json.dumps(data["extraction"]["fields"])[:300])

        def _answer(self, status: int, text: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    secret = os.environ.get("WEBHOOK_SECRET", "")
    if not secret.startswith("whsec_"):
        raise SystemExit("set WEBHOOK_SECRET to the endpoint's signingSecret (whsec_...)")
    server = http.server.ThreadingHTTPServer((args.host, args.port), make_handler(secret))
    print(f"listening on http://{args.host}:{args.port}/")
    server.serve_forever()


if __name__ == "__main__":
    main()
