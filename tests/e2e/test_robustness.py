"""Hostile inputs in one run, and a worker asked to stop while it works."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg
from tests.e2e.conftest import Api, new_user
from tests.e2e.drills import wait_status
from tests.e2e.server import quarry_server, start_worker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_NASTY = Path(__file__).resolve().parents[3] / "shared" / "data" / "nasty"

# What each input of the nasty set must end as: an errorCode, or COMPLETED (best effort).
EXPECTED = {
    "gen_zero_bytes.pdf": "UNSUPPORTED_FILE_TYPE",
    "gen_html_renamed.pdf": "UNSUPPORTED_FILE_TYPE",  # an HTML error page saved as .pdf
    "gen_png_renamed.pdf": "COMPLETED",  # sniffed and read as the image it is
    "gen_truncated.pdf": "COMPLETED",
    "gen_page_tree_cycle.pdf": "COMPLETED",
    "gen_huge_mediabox.pdf": "COMPLETED",
    "gen_flate_bomb_1GiB.pdf": "RESOURCE_LIMIT",
    "gen_500_pages.pdf": "TOO_MANY_PAGES",
    "gen_huge_dimensions_30000x30000.png": "RESOURCE_LIMIT",
    "qpdf_bad1.pdf": "UNSUPPORTED_FILE_TYPE",
    "qpdf_issue-147.pdf": "UNSUPPORTED_FILE_TYPE",
    "qpdf_append-xref-loop.pdf": "COMPLETED",
    "qpdf_damaged-stream.pdf": "COMPLETED",
    "qpdf_deep-pages.pdf": "CORRUPT_DOCUMENT",
    "qpdf_bad-jpeg.pdf": "COMPLETED",
    "opf_corruptionOneByteMissing.pdf": "COMPLETED",
    "opf_encryption_openpassword.pdf": "ENCRYPTED_DOCUMENT",
    "opf_javascript.pdf": "COMPLETED",
    "pypdf_libreoffice-writer-password.pdf": "ENCRYPTED_DOCUMENT",
}


def nasty_files() -> list[Path]:
    """The whole set from the shared data when present, else the copies kept in fixtures."""
    folder = SHARED_NASTY if SHARED_NASTY.is_dir() else FIXTURES / "nasty"
    return sorted(p for p in folder.iterdir() if p.name in EXPECTED)


@pytest.fixture
def database(pg_server: str) -> Iterator[str]:
    with pg.clone(pg_server) as url:
        yield url


def test_every_nasty_input_ends_as_expected_and_the_service_stays_up(api: Api) -> None:
    files = nasty_files()
    if len(files) < len(EXPECTED):
        print(f"\n{len(EXPECTED) - len(files)} nasty files need ../shared; testing {len(files)}")
    handles = [path.open("rb") for path in files]
    try:
        answer = api.http.post(
            "/api/job-runs",
            data={"schemaId": api.schema(), "jobType": "EXTRACTION"},
            files=[
                ("files", (path.name, handle)) for path, handle in zip(files, handles, strict=True)
            ],
        )
    finally:
        for handle in handles:
            handle.close()
    assert answer.status_code == 201, answer.text
    started = time.monotonic()
    run = api.wait_run(answer.json()["id"], timeout=180)
    elapsed = time.monotonic() - started
    outcomes = {
        j["document"]["fileName"]: j["errorCode"] or j["status"] for j in api.children(run["id"])
    }
    assert outcomes == {p.name: EXPECTED[p.name] for p in files}
    assert run["status"] == "COMPLETED"
    assert run["completedJobs"] + run["failedJobs"] == len(files)
    wait_status(api.base_url + "/api/ready", 200, timeout=20)  # workers still heartbeating
    print(f"\n{len(files)} nasty inputs settled in {elapsed:.1f} s")


def test_sigterm_lets_a_worker_finish_what_it_started(database: str, data_dir: Path) -> None:
    with (
        quarry_server(data_dir, database, "--no-workers") as (base_url, _),
        new_user(base_url) as api,
    ):
        worker = start_worker(data_dir, database, "draining", WORKER_CONCURRENCY="2")
        run_id = _upload(api, 40)
        _wait_until_processing(api, run_id)
        code = worker.stop(signal.SIGTERM, timeout=60)
        assert code == 0, worker.tail()
        statuses = {j["status"] for j in api.children(run_id)}
        assert "PROCESSING" not in statuses, "a job was abandoned mid-way"
        replacement = start_worker(data_dir, database, "after")
        try:
            run = api.wait_run(run_id, timeout=120)
        finally:
            replacement.stop()
        jobs = api.children(run_id)
    assert run["completedJobs"] == 40
    assert {j["attempts"] for j in jobs} == {1}, "a drained job should never need a re-run"


def _upload(api: Api, count: int) -> str:
    document = FIXTURES / "docs" / "invoice2data-AzureInterior.pdf"
    content = document.read_bytes()
    answer = api.http.post(
        "/api/job-runs",
        data={"schemaId": api.schema(), "jobType": "EXTRACTION"},
        files=[("files", (f"{i}.pdf", content)) for i in range(count)],
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _wait_until_processing(api: Api, run_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(j["status"] == "PROCESSING" for j in api.children(run_id)):
            return
        time.sleep(0.02)
    raise AssertionError("no job started")
