"""The zero-setup mode: no configuration, an embedded PostgreSQL in the data folder."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.e2e.conftest import new_user
from tests.e2e.server import quarry_server, start_worker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NO_SECRETS = {"JWT_ACCESS_SECRET": "", "WEBHOOK_ENCRYPTION_KEY": ""}  # as a new user runs it


@pytest.fixture
def fresh_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="quarry-zero-"))
    root.chmod(0o755)
    yield root / "data"


def postgres_of(data_dir: Path) -> list[psutil.Process]:
    pgdata = str((data_dir / "postgres" / "data").resolve())
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and pgdata in cmdline:
            found.append(proc)
    return found


def submit_and_wait(base_url: str) -> str:
    with new_user(base_url) as api:
        with (FIXTURES / "docs/invoice2data-AzureInterior.pdf").open("rb") as handle:
            answer = api.http.post(
                "/api/jobs",
                files={"file": ("inv.pdf", handle)},
                data={"type": "EXTRACTION", "schemaId": api.schema()},
            )
        assert answer.status_code == 201, answer.text
        return str(api.wait_job(answer.json()["id"])["status"])


def test_serve_with_no_configuration_runs_everything_and_stops_its_database(
    fresh_dir: Path,
) -> None:
    with quarry_server(fresh_dir, None, **NO_SECRETS) as (base_url, _):
        assert postgres_of(fresh_dir), "no embedded PostgreSQL is running"
        assert (fresh_dir / "secrets.json").stat().st_mode & 0o777 == 0o600
        assert submit_and_wait(base_url) == "COMPLETED"
    time.sleep(0.5)
    assert postgres_of(fresh_dir) == [], "the embedded PostgreSQL outlived the service"


def test_a_worker_joins_the_zero_setup_service_on_its_data_folder(fresh_dir: Path) -> None:
    with quarry_server(fresh_dir, None, "--no-workers", **NO_SECRETS) as (base_url, _):
        worker = start_worker(fresh_dir, None, "joiner", **NO_SECRETS)
        try:
            assert submit_and_wait(base_url) == "COMPLETED"
        finally:
            worker.stop()


def test_the_service_recovers_after_being_killed(fresh_dir: Path) -> None:
    with quarry_server(fresh_dir, None, **NO_SECRETS) as (base_url, proc):
        submit_and_wait(base_url)
        proc.stop(signal.SIGKILL)
        for server in postgres_of(fresh_dir):  # a crash of the whole machine kills it too
            server.kill()
    pid_file = fresh_dir / "postgres" / "data" / "postmaster.pid"
    assert pid_file.exists(), "the crash should have left a stale pid file behind"
    with quarry_server(fresh_dir, None, **NO_SECRETS) as (base_url, _):
        assert submit_and_wait(base_url) == "COMPLETED"


def test_a_worker_without_a_running_service_says_so(fresh_dir: Path) -> None:
    fresh_dir.mkdir(parents=True)
    worker = start_worker(fresh_dir, None, "alone", **NO_SECRETS)
    code = worker.popen.wait(60)
    worker.stop()
    assert code != 0
    assert "start `quarry serve` first" in worker.log.read_text()


def test_as_root_the_database_runs_as_an_unprivileged_user(fresh_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only meaningful when the tests run as root")
    with quarry_server(fresh_dir, None, **NO_SECRETS):
        owners = {p.username() for p in postgres_of(fresh_dir)}
        assert owners == {"quarry-pg"}
        assert (fresh_dir.parent.stat().st_mode & 0o777) == 0o755
        assert fresh_dir.stat().st_uid == 0
