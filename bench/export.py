"""Run results export: throughput and the server's peak memory for a 10,000-job run.

    .venv/bin/python bench/export.py [--jobs 10000] [--formats json,jsonl,csv,xlsx]

Uses DATABASE_URL's PostgreSQL (a fresh database cloned from a migrated template) or an
embedded one, starts `quarry serve --no-workers`, registers a user and an invoice schema over
the API, then writes a finished run of JOBS child jobs straight into the database (documents,
jobs, extractions with an invoice's fields, four line items and their field details; one job
in fifty FAILED). Each format is downloaded once over HTTP while the server's resident memory
is sampled every 10 ms. Prints records/s, MB/s and the server's RSS before and at its peak.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import pg  # noqa: E402
from tests.e2e.conftest import new_user  # noqa: E402
from tests.e2e.server import quarry_server  # noqa: E402

MB = 1024 * 1024


def fields(n: int) -> dict[str, Any]:
    items = [
        {
            "description": f"Item {k} of order {n}",
            "quantity": k + 1,
            "unit_price": 9.5 + k,
            "amount": (k + 1) * (9.5 + k),
            "code": f"SKU-{n}-{k}",
        }
        for k in range(4)
    ]
    return {
        "vendor": f"Vendor {n % 97} Ltd",
        "vendor_address": f"{n} Market Street, Springfield",
        "vendor_vat_id": f"GB{100000000 + n}",
        "invoice_number": f"INV-{n:06d}",
        "date": "2026-11-30",
        "due_date": "2026-12-30",
        "subtotal": 100.0 + n,
        "tax": 20.0,
        "total": 120.0 + n,
        "currency": "EUR",
        "line_items": items,
    }


def details(values: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                for key, inner in item.items():
                    found[f"line_items[{i}].{key}"] = detail(inner)
        else:
            found[name] = detail(value)
    return found


def detail(value: Any) -> dict[str, Any]:
    return {
        "confidence": 0.93,
        "page": 1,
        "bbox": [0.1, 0.2, 0.3, 0.22],
        "text": str(value),
        "grounded": True,
    }


def seed_run(database_url: str, schema_id: str, jobs: int) -> str:
    """A finished run of `jobs` children, written straight into the database."""
    now, run_id = datetime.now(UTC), f"run_bench{int(time.time())}"
    with psycopg.connect(database_url) as conn:
        user_id, version = conn.execute(
            "SELECT user_id, version FROM extraction_schema WHERE id = %s", (schema_id,)
        ).fetchone()  # type: ignore[misc]
        failed = len(range(0, jobs, 50))
        conn.execute(
            """INSERT INTO job_run (id, user_id, status, job_type, schema_id, schema_version,
               source, total_jobs, completed_jobs, failed_jobs, cancelled_jobs, event_seq,
               progress_pending, created_at, updated_at, started_at, completed_at)
               VALUES (%s,%s,'COMPLETED','EXTRACTION',%s,%s,'UPLOAD',%s,%s,%s,0,0,false,
               %s,%s,%s,%s)""",
            (run_id, user_id, schema_id, version, jobs, jobs - failed, failed, *[now] * 4),
        )
        with conn.cursor() as cur:
            for n in range(jobs):
                insert_job(cur, run_id, user_id, schema_id, version, n, now)
    return run_id


def insert_job(
    cur: Any, run_id: str, user_id: str, schema_id: str, version: int, n: int, now: datetime
) -> None:
    job_id, doc_id = f"job_b{n:07d}", f"doc_b{n:07d}"
    cur.execute(
        """INSERT INTO document (id, user_id, sha256, file_name, mime_type, size, pages,
           storage_key, created_at) VALUES (%s,%s,%s,%s,'application/pdf',40000,1,%s,%s)""",
        (doc_id, user_id, f"{n:064d}", f"invoice-{n:05d}.pdf", f"bench/{doc_id}", now),
    )
    failed = n % 50 == 0
    cur.execute(
        """INSERT INTO job (id, user_id, type, status, schema_id, schema_version, parent_run_id,
           position, external_ref, source, document_id, attempts, error_code, created_at,
           updated_at, queued_at, started_at, completed_at)
           VALUES (%s,%s,'EXTRACTION',%s,%s,%s,%s,%s,%s,%s,%s,1,%s,%s,%s,%s,%s,%s)""",
        (
            job_id, user_id, "FAILED" if failed else "COMPLETED", schema_id, version, run_id,
            n, f"row-{n}", Jsonb({"kind": "UPLOAD"}), doc_id,
            "CORRUPT_DOCUMENT" if failed else None, *[now] * 5,
        ),
    )  # fmt: skip
    if not failed:
        values = fields(n)
        cur.execute(
            """INSERT INTO extraction (job_id, user_id, schema_id, schema_version, fields,
               field_details, engine, reviewed, created_at, updated_at)
               VALUES (%s,%s,%s,%s,%s,%s,%s,false,%s,%s)""",
            (
                job_id, user_id, schema_id, version, Jsonb(values), Jsonb(details(values)),
                Jsonb({"name": "offline", "version": "bench"}), now, now,
            ),
        )  # fmt: skip


@contextmanager
def peak_rss(pid: int) -> Iterator[dict[str, int]]:
    """Sample a process's resident memory every 10 ms; `before` and `peak` in bytes."""
    process = psutil.Process(pid)
    seen = {"before": process.memory_info().rss, "peak": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            seen["peak"] = max(seen["peak"], process.memory_info().rss)
            time.sleep(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def download(http: httpx.Client, run_id: str, fmt: str) -> tuple[int, float]:
    started, size = time.monotonic(), 0
    with http.stream("GET", f"/api/job-runs/{run_id}/results", params={"format": fmt}) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            size += len(chunk)
    return size, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--formats", default="json,jsonl,csv,xlsx")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="quarry-bench-"))
    root.chmod(0o755)
    (root / "data").mkdir()
    with (
        pg.server_url() as server,
        pg.template(server),
        pg.clone(server) as url,
        quarry_server(root / "data", url, "--no-workers") as (base_url, process),
        new_user(base_url) as api,
    ):
        started = time.monotonic()
        run_id = seed_run(url, api.schema(), args.jobs)
        print(f"seeded {args.jobs} jobs in {time.monotonic() - started:.1f} s")
        http = httpx.Client(base_url=base_url, headers=api.http.headers, timeout=600)
        print(f"{'format':<8}{'MB':>8}{'seconds':>9}{'records/s':>11}{'MB/s':>7}"
              f"{'RSS before':>12}{'RSS peak':>10}")  # fmt: skip
        for fmt in args.formats.split(","):
            with peak_rss(process.popen.pid) as rss:
                size, seconds = download(http, run_id, fmt)
            print(
                f"{fmt:<8}{size / MB:>8.1f}{seconds:>9.2f}{args.jobs / seconds:>11.0f}"
                f"{size / MB / seconds:>7.1f}{rss['before'] / MB:>10.0f}MB"
                f"{rss['peak'] / MB:>8.0f}MB"
            )
        http.close()


if __name__ == "__main__":
    main()
