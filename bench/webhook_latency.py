"""Webhook delivery latency: from the state change (the event's `occurredAt`) to the receiver.

    .venv/bin/python bench/webhook_latency.py [--docs 30] [--sends 0] [--database-url URL]

Starts `quarry serve` (embedded PostgreSQL unless --database-url, in-process workers), a
receiver on 127.0.0.1 subscribed to every job and run event, submits DOCS documents as one
run, waits until every event has arrived, and prints p50/p95/max latency per event type and
overall. `--sends N` adds N manual sends (`POST /api/webhooks/:id/send`) after the run, one
every 20 ms: the delivery path without the CPU load of extraction. Prints numbers only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import new_user  # noqa: E402
from tests.e2e.server import quarry_server  # noqa: E402
from tests.e2e.test_scale_out import upload_run  # noqa: E402
from tests.fakes.webhook_receiver import webhook_receiver  # noqa: E402

EVENTS = [
    "job.queued",
    "job.started",
    "job.completed",
    "job_run.created",
    "job_run.progress",
    "job_run.completed",
]


def when(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(latencies: dict[str, list[float]]) -> None:
    every = [v for values in latencies.values() for v in values]
    print(f"{'event':<20}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, values in [*sorted(latencies.items()), ("all", every)]:
        print(
            f"{name:<20}{len(values):>6}{1000 * statistics.median(values):>10.1f}"
            f"{1000 * percentile(values, 0.95):>10.1f}{1000 * max(values):>10.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--sends", type=int, default=0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="quarry-bench-"))
    root.chmod(0o755)
    data_dir = root / "data"
    data_dir.mkdir()
    with (
        webhook_receiver() as receiver,
        quarry_server(data_dir, args.database_url) as (base_url, _),
        new_user(base_url) as api,
    ):
        answer = api.http.post("/api/webhooks", json={"url": receiver.url, "events": EVENTS})
        answer.raise_for_status()
        run_id = upload_run(api, args.docs)
        api.wait_run(run_id, timeout=600)
        for n in range(args.sends):
            api.http.post(f"/api/webhooks/{answer.json()['id']}/send", json={"data": {"n": n}})
            time.sleep(0.02)
        # created, queued/started/completed per document, completed, the sends (progress aside)
        expected = 1 + 3 * args.docs + 1 + args.sends
        deadline = time.monotonic() + 60
        while len(receiver.delivered()) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
    latencies: dict[str, list[float]] = defaultdict(list)
    for request in receiver.delivered():
        event = request.json()
        latencies[event["type"]].append(request.at - when(event["occurredAt"]))
    print(f"{args.docs} documents, {len(receiver.delivered())} events delivered")
    report(latencies)


if __name__ == "__main__":
    main()
