"""Fault drills under load, with real processes on a real PostgreSQL.

- The data folder on a small tmpfs (root only): uploads until it is full answer 507
  STORAGE_FULL, nothing half-written stays, earlier work is intact, and uploads work again
  once space is freed.
- 20 clients at once, each with a 20-file run, many cancelling runs or jobs mid-way: every
  run's counters equal its children's statuses and every job has exactly one terminal event.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests import pg
from tests.e2e.conftest import Api, new_user
from tests.e2e.drills import (
    assert_counters_match_children,
    assert_one_terminal_event_per_job,
    startup_block,
    wait_status,
)
from tests.e2e.server import quarry_server
from tests.e2e.test_scale_out import upload_run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PDF = (FIXTURES / "docs" / "invoice2data-AzureInterior.pdf").read_bytes()
MIB = 1024 * 1024

pytestmark = pytest.mark.slow


@pytest.fixture
def database(pg_server: str) -> Iterator[str]:
    with pg.clone(pg_server) as url:
        yield url


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 16 MiB tmpfs to be the data folder (its parent, for the server log, is not on it)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    root = Path(tempfile.mkdtemp(prefix="quarry-small-disk-"))
    disk = root / "data"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
        shutil.rmtree(root, ignore_errors=True)


def upload(api: Api, schema_id: str, content: bytes, name: str) -> httpx.Response:
    return api.http.post(
        "/api/jobs",
        files={"file": (name, content, "application/pdf")},
        data={"type": "EXTRACTION", "schemaId": schema_id},
    )


def padded_pdf(size: int) -> bytes:
    """A PDF that takes `size` bytes of disk: random (so never deduplicated) after the file."""
    return PDF + b"\n%" + secrets.token_bytes(size)


def blobs_are_intact(data_dir: Path) -> int:
    """Every stored blob's bytes hash to its name; returns how many there are."""
    blobs = [p for p in (data_dir / "blobs" / "sha256").glob("*/*") if p.is_file()]
    for blob in blobs:
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name, blob
    return len(blobs)


def half_written(data_dir: Path) -> list[Path]:
    """Temporary upload and blob files left behind."""
    return [*(data_dir / "tmp").glob("upload-*"), *(data_dir / "blobs" / "tmp").iterdir()]


def fill_until_full(api: Api, schema_id: str) -> tuple[list[int], httpx.Response]:
    statuses: list[int] = []
    for i in range(20):
        answer = upload(api, schema_id, padded_pdf(2 * MIB), f"filler-{i}.pdf")
        statuses.append(answer.status_code)
        if answer.status_code != 201:
            return statuses, answer
    raise AssertionError(f"the disk never filled up: {statuses}")


def test_a_full_disk_answers_507_keeps_earlier_work_and_recovers(
    small_disk: Path, database: str
) -> None:
    ballast = small_disk / "ballast"
    ballast.write_bytes(bytes(5 * MIB))  # what an operator deletes to make room
    with (
        quarry_server(small_disk, database, MIN_FREE_DISK_MB="3") as (base_url, _),
        new_user(base_url) as api,
    ):
        schema_id = api.schema()
        earlier = upload(api, schema_id, PDF, "earlier.pdf").json()
        assert api.wait_job(earlier["id"])["status"] == "COMPLETED"
        extraction = api.http.get(f"/api/jobs/{earlier['id']}/extraction").json()

        statuses, full = fill_until_full(api, schema_id)
        assert full.status_code == 507 and full.json()["code"] == "STORAGE_FULL", full.text
        assert "Traceback" not in full.text and "Errno" not in full.text
        assert set(statuses[:-1]) == {201}, statuses
        ticket = api.http.post("/api/jobs/upload-url", json={"filename": "direct.pdf"}).json()
        direct = httpx.put(ticket["uploadUrl"], content=padded_pdf(2 * MIB), timeout=30)
        assert direct.status_code == 507 and direct.json()["code"] == "STORAGE_FULL"
        assert half_written(small_disk) == []
        ready = httpx.get(base_url + "/api/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["disk"].startswith("low")
        assert httpx.get(base_url + "/api/health").status_code == 200

        job = api.http.get(f"/api/jobs/{earlier['id']}").json()
        assert job["status"] == "COMPLETED"
        assert api.http.get(f"/api/jobs/{earlier['id']}/extraction").json() == extraction
        assert blobs_are_intact(small_disk) >= len(statuses)

        ballast.unlink()
        wait_status(base_url + "/api/ready", 200, timeout=30)
        again = upload(api, schema_id, padded_pdf(1024), "again.pdf")
        assert again.status_code == 201, again.text
        assert api.wait_job(again.json()["id"])["status"] in ("COMPLETED", "FAILED")
    print(f"\nthe 16 MiB disk took {len(statuses) - 1} uploads of 2 MiB before answering 507")


CLIENTS = 20
FILES = 20


def with_password(url: str) -> str:
    """The same URL with a password in it (trust auth ignores it): the log must not show it."""
    parts = urlsplit(url)
    netloc = parts.netloc.replace("@", ":s3cret-Pa55@", 1) if "@" in parts.netloc else parts.netloc
    return urlunsplit(parts._replace(netloc=netloc))


def one_client(base_url: str, n: int) -> tuple[str, str]:
    """A user with one 20-file run who cancels it mid-way, or cancels most of its jobs one by
    one while the others are processed (few documents are processed: the drill stays short)."""
    rng = random.Random(n)
    with new_user(base_url) as api:
        run_id = upload_run(api, FILES)
        if n % 2 == 0:
            time.sleep(rng.uniform(0, 1))
            assert api.http.post(f"/api/job-runs/{run_id}/cancel").status_code == 200
        else:
            for job in rng.sample(api.children(run_id), FILES - 4):
                answer = api.http.post(f"/api/jobs/{job['id']}/cancel")
                assert answer.status_code in (200, 409), answer.text  # 409: already finished
        api.wait_run(run_id, timeout=300)
        return api.token, run_id


def test_twenty_clients_with_cancels_keep_every_counter_exact(
    database: str, data_dir: Path
) -> None:
    url = with_password(database) if "@" in urlsplit(database).netloc else database
    with quarry_server(data_dir, url, WORKER_CONCURRENCY="4") as (base_url, server):
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            runs = list(pool.map(lambda n: one_client(base_url, n), range(CLIENTS)))
        took = time.monotonic() - started
        for token, run_id in runs:
            with Api(base_url, token) as api:
                assert_counters_match_children(api, run_id, FILES)
            assert_one_terminal_event_per_job(database, run_id, FILES)
        report = startup_block(server.log.read_text())
    assert "s3cret-Pa55" not in server.log.read_text()
    if url != database:
        assert ":***@" in report["database"], report
    print(f"\n{CLIENTS} clients x {FILES} files with cancels finished in {took:.1f} s")
