"""Throughput of a batch run through the HTTP API in the zero-setup mode, and the engine's ceiling.

    .venv/bin/python bench/throughput.py [--docs 200] [--concurrency 2] [--source DIR]

Starts `quarry serve` with no configuration in a temporary data folder (embedded PostgreSQL,
in-process workers), submits DOCS documents as one multipart run, waits for the run to finish,
and prints documents/second and the p50/p95 job latency (queued → finished). Then it runs the
same documents through parse + extract in this process in a loop (no queue, no database, no
child processes): the ceiling the service can approach. Prints numbers only; not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quarry.engines.runner import extract_in_process  # noqa: E402
from quarry.sources.mime import sniff  # noqa: E402
from tests.e2e.server import quarry_server  # noqa: E402

SHARED_DOCS = ROOT.parent / "shared" / "data" / "public" / "docs"
SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "invoice-schema.json").read_text())


def documents(source: Path, count: int) -> list[Path]:
    pool = sorted(p for p in source.iterdir() if p.suffix == ".pdf")
    if not pool:
        raise SystemExit(f"no PDF documents in {source}")
    return [pool[i % len(pool)] for i in range(count)]


def when(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def through_api(docs: list[Path], concurrency: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="quarry-bench-"))
    root.chmod(0o755)
    env = {
        "WORKER_CONCURRENCY": str(concurrency),
        "MAX_FILES_PER_RUN": str(len(docs)),
        "JWT_ACCESS_SECRET": "",
        "WEBHOOK_ENCRYPTION_KEY": "",
    }
    with quarry_server(root / "data", None, **env) as (base_url, _):
        http = httpx.Client(base_url=base_url, timeout=300)
        token = http.post(
            "/api/auth/register",
            json={"name": "Bench", "email": "bench@example.com", "password": "benchmark-password"},
        ).json()["accessToken"]
        http.headers["Authorization"] = f"Bearer {token}"
        schema_id = http.post("/api/schema", json=SCHEMA).json()["id"]
        files = [("files", (p.name, p.read_bytes())) for p in docs]
        started = time.monotonic()
        run = http.post(
            "/api/job-runs", files=files, data={"schemaId": schema_id, "jobType": "EXTRACTION"}
        ).json()
        accepted = time.monotonic() - started
        while run["status"] == "PROCESSING":
            time.sleep(0.1)
            run = http.get(f"/api/job-runs/{run['id']}").json()
        elapsed = time.monotonic() - started
        jobs = []
        for page in range(1, len(docs) // 100 + 2):
            jobs += http.get(
                f"/api/job-runs/{run['id']}/jobs", params={"page": page, "limit": 100}
            ).json()["data"]
    latencies = [when(j["completedAt"]) - when(j["queuedAt"]) for j in jobs]
    print(f"API, zero-setup mode, {concurrency} in-process workers on this machine:")
    print(
        f"  {len(docs)} documents in {elapsed:.1f} s (upload accepted in {accepted:.1f} s): "
        f"{len(docs) / elapsed:.1f} documents/s; {run['completedJobs']} completed, "
        f"{run['failedJobs']} failed"
    )
    print(
        f"  job latency queued → finished: p50 {percentile(latencies, 0.5):.2f} s, "
        f"p95 {percentile(latencies, 0.95):.2f} s"
    )


def ceiling(docs: list[Path]) -> None:
    unique = sorted(set(docs))
    mimes = {p: sniff(p, p.name) for p in unique}
    for path in unique:  # warm-up: imports, locale data
        extract_in_process(
            path,
            mime_type=mimes[path],
            file_name=path.name,
            fields=SCHEMA["fields"],
            engine="offline",
            max_pages=200,
        )
    pages = 0
    started = time.monotonic()
    timings = []
    for path in docs:
        t0 = time.monotonic()
        result = extract_in_process(
            path,
            mime_type=mimes[path],
            file_name=path.name,
            fields=SCHEMA["fields"],
            engine="offline",
            max_pages=200,
        )
        timings.append(time.monotonic() - t0)
        pages += result.pages or 0
    elapsed = time.monotonic() - started
    print("Engine directly, one core, parse + extract in a loop (the ceiling):")
    print(
        f"  {len(docs)} documents, {pages} pages in {elapsed:.1f} s: "
        f"{len(docs) / elapsed:.1f} documents/s, {pages / elapsed:.1f} pages/s; "
        f"per document median {statistics.median(timings) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--source",
        type=Path,
        default=SHARED_DOCS if SHARED_DOCS.is_dir() else ROOT / "tests" / "fixtures" / "docs",
    )
    args = parser.parse_args()
    docs = documents(args.source, args.docs)
    through_api(docs, args.concurrency)
    ceiling(docs)


if __name__ == "__main__":
    main()
