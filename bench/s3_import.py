"""Throughput of a `from-sources` import from S3 (moto's S3 server on this machine).

    .venv/bin/python bench/s3_import.py [--files 200] [--concurrency 2] [--source DIR]

Starts moto's S3 server in this process and puts FILES documents in a bucket, starts
`quarry serve` with no configuration (embedded PostgreSQL, in-process workers), connects the
bucket as an S3 integration and imports the whole folder as one run. Prints the time the
request took (listing the folder, creating the run), files/second end to end (fetch + parse +
extract) and the p50/p95 job latency. Then it fetches the same objects with the connector
alone (no queue, no database) to show what fetching costs. Prints numbers only; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.throughput import SHARED_DOCS, documents, percentile, when  # noqa: E402
from quarry.sources.netguard import AddressPolicy  # noqa: E402
from quarry.sources.s3 import S3Connector, S3Keys, S3Location  # noqa: E402
from tests.e2e.server import quarry_server  # noqa: E402
from tests.fakes.s3_server import MotoS3, moto_s3  # noqa: E402

SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "invoice-schema.json").read_text())
BUCKET = "bench-import"


def fill_bucket(s3: MotoS3, docs: list[Path]) -> list[str]:
    keys = [f"inbox/{i:04d}-{path.name}" for i, path in enumerate(docs)]
    s3.bucket(BUCKET, {key: path.read_bytes() for key, path in zip(keys, docs, strict=True)})
    return keys


def through_api(s3: MotoS3, count: int, concurrency: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="quarry-bench-"))
    root.chmod(0o755)
    env = {
        "WORKER_CONCURRENCY": str(concurrency),
        "JWT_ACCESS_SECRET": "",
        "WEBHOOK_ENCRYPTION_KEY": "",
        "ALLOW_PRIVATE_URLS": "true",
    }
    with quarry_server(root / "data", None, **env) as (base_url, _):
        http = httpx.Client(base_url=base_url, timeout=300)
        token = http.post(
            "/api/auth/register",
            json={"name": "Bench", "email": "bench@example.com", "password": "benchmark-password"},
        ).json()["accessToken"]
        http.headers["Authorization"] = f"Bearer {token}"
        schema_id = http.post("/api/schema", json=SCHEMA).json()["id"]
        integration = http.post(
            "/api/integrations",
            json={
                "provider": "S3",
                "name": "bench",
                "config": {"bucket": BUCKET, "endpointUrl": s3.endpoint_url},
                "credentials": {"accessKeyId": "testing", "secretAccessKey": "testing"},
            },
        ).json()
        started = time.monotonic()
        created = http.post(
            "/api/job-runs/from-sources",
            json={
                "integrationId": integration["id"],
                "folderId": "inbox/",
                "schemaId": schema_id,
                "jobType": "EXTRACTION",
            },
        ).json()
        accepted = time.monotonic() - started
        run = http.get(f"/api/job-runs/{created['jobRunId']}").json()
        while run["status"] == "PROCESSING":
            time.sleep(0.1)
            run = http.get(f"/api/job-runs/{run['id']}").json()
        elapsed = time.monotonic() - started
        jobs = []
        for page in range(1, count // 100 + 2):
            jobs += http.get(
                f"/api/job-runs/{run['id']}/jobs", params={"page": page, "limit": 100}
            ).json()["data"]
    latencies = [when(j["completedAt"]) - when(j["queuedAt"]) for j in jobs]
    print(f"from-sources over S3 (moto), zero-setup mode, {concurrency} in-process workers:")
    print(
        f"  {created['totalFiles']} files in {elapsed:.1f} s (request answered in "
        f"{accepted:.2f} s): {created['totalFiles'] / elapsed:.1f} files/s end to end; "
        f"{run['completedJobs']} completed, {run['failedJobs']} failed"
    )
    print(
        f"  job latency queued → finished: p50 {percentile(latencies, 0.5):.2f} s, "
        f"p95 {percentile(latencies, 0.95):.2f} s"
    )


async def fetch_only(s3: MotoS3, keys: list[str], parallel: int) -> None:
    connector = S3Connector(
        S3Location(BUCKET, endpoint_url=s3.endpoint_url),
        S3Keys("testing", "testing"),
        policy=AddressPolicy(allow_private=True),
    )
    gate = asyncio.Semaphore(parallel)
    with tempfile.TemporaryDirectory() as folder:

        async def one(key: str) -> int:
            async with gate:
                fetched = await connector.fetch(key, Path(folder), max_size=50 * 2**20)
                fetched.path.unlink()
                return fetched.size

        started = time.monotonic()
        sizes = await asyncio.gather(*(one(key) for key in keys))
        elapsed = time.monotonic() - started
    print(
        f"Connector alone, {parallel} at a time: {len(keys)} files "
        f"({sum(sizes) / 2**20:.1f} MiB) in {elapsed:.2f} s: {len(keys) / elapsed:.0f} files/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--source",
        type=Path,
        default=SHARED_DOCS if SHARED_DOCS.is_dir() else ROOT / "tests" / "fixtures" / "docs",
    )
    args = parser.parse_args()
    docs = documents(args.source, args.files)
    with moto_s3() as s3:
        keys = fill_bucket(s3, docs)
        through_api(s3, len(keys), args.concurrency)
        for parallel in (1, 8):
            asyncio.run(fetch_only(s3, keys, parallel))


if __name__ == "__main__":
    main()
