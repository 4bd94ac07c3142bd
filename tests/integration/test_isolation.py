"""The isolated runner: limits, crashes, cancellation and concurrency, with real child processes.

The misbehaving engines below are registered only by these tests; the child process imports
this module to build them (the runner sends the engine factory, not the name).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import registry
from quarry.engines.runner import (
    ExtractionCancelled,
    IsolationLimits,
    extract_in_process,
    extract_isolated,
)
from quarry.parsing import ParsedDocument

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
INVOICE = DOCS / "invoice2data-AzureInterior.pdf"
FIELDS = [{"name": "total", "type": "number"}, {"name": "invoice_number", "type": "text"}]
LIMITS = IsolationLimits(timeout_seconds=20, memory_mb=512, max_pages=10)


class _TestEngine:
    name = "test"
    version = "0"

    def extract(self, document: ParsedDocument, context: EngineContext) -> ExtractionResult:
        Path(context.file_name).write_text(str(os.getpid()))  # tells the test who ran it
        self.misbehave()
        return ExtractionResult(fields={}, field_details={}, engine={}, pages=None)

    def misbehave(self) -> None:
        raise NotImplementedError


class SleepingEngine(_TestEngine):
    def misbehave(self) -> None:
        time.sleep(60)


class HungryEngine(_TestEngine):
    def misbehave(self) -> None:
        hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GiB, far past the cap
        print(len(hoard))


class AbortingEngine(_TestEngine):
    def misbehave(self) -> None:
        os.abort()


class BuggyEngine(_TestEngine):
    def misbehave(self) -> None:
        raise KeyError("/srv/secret/path in a traceback")


class RefusingEngine(_TestEngine):
    def misbehave(self) -> None:
        raise JobFailure(JobErrorCode.PROVIDER_RATE_LIMITED, "slow down", transient=True)


ENGINES = {
    "test-sleep": SleepingEngine,
    "test-hungry": HungryEngine,
    "test-abort": AbortingEngine,
    "test-buggy": BuggyEngine,
    "test-refuse": RefusingEngine,
}


@pytest.fixture(autouse=True, scope="module")
def test_engines() -> Iterator[None]:
    for name, factory in ENGINES.items():
        registry.register(name, factory)
    yield
    for name in ENGINES:
        registry.unregister(name)


async def run(
    engine: str, pid_file: Path, limits: IsolationLimits = LIMITS, **kwargs: object
) -> ExtractionResult:
    return await extract_isolated(
        INVOICE,
        mime_type="application/pdf",
        file_name=str(pid_file),
        fields=FIELDS,
        engine=engine,
        limits=limits,
        **kwargs,  # type: ignore[arg-type]
    )


def child_pid(pid_file: Path) -> int:
    return int(pid_file.read_text())


def assert_gone(pid: int) -> None:
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    forkservers = [
        p
        for p in psutil.Process().children()
        if "multiprocessing.forkserver" in " ".join(p.cmdline())
    ]
    assert forkservers, "the fork server should still run, ready for the next document"
    assert all(not p.children() for p in forkservers), "a child process outlived its extraction"


async def test_result_matches_the_in_process_run(tmp_path: Path) -> None:
    isolated = await run("offline", tmp_path / "pid")

    direct = extract_in_process(
        INVOICE,
        mime_type="application/pdf",
        file_name="x",
        fields=FIELDS,
        engine="offline",
        max_pages=10,
    )
    assert isolated == direct
    assert isolated.fields == {"total": 279.84, "invoice_number": "INV/2023/03/0008"}


async def test_a_hang_is_killed_at_the_timeout(tmp_path: Path) -> None:
    limits = IsolationLimits(timeout_seconds=1.5, memory_mb=512, max_pages=10)
    started = time.monotonic()

    with pytest.raises(JobFailure) as caught:
        await run("test-sleep", tmp_path / "pid", limits)

    assert caught.value.code is JobErrorCode.EXTRACTION_TIMEOUT
    assert 1.4 < time.monotonic() - started < 4
    assert_gone(child_pid(tmp_path / "pid"))


async def test_allocating_past_the_cap_is_a_resource_limit(tmp_path: Path) -> None:
    with pytest.raises(JobFailure) as caught:
        await run("test-hungry", tmp_path / "pid")

    assert caught.value.code is JobErrorCode.RESOURCE_LIMIT
    assert_gone(child_pid(tmp_path / "pid"))


async def test_a_crash_in_native_code_is_a_resource_limit(tmp_path: Path) -> None:
    with pytest.raises(JobFailure) as caught:
        await run("test-abort", tmp_path / "pid")

    assert caught.value.code is JobErrorCode.RESOURCE_LIMIT
    assert "SIGABRT" in caught.value.message


async def test_an_engine_bug_is_an_engine_error_without_its_details(tmp_path: Path) -> None:
    with pytest.raises(JobFailure) as caught:
        await run("test-buggy", tmp_path / "pid")

    assert caught.value.code is JobErrorCode.ENGINE_ERROR
    assert "secret" not in caught.value.message and "KeyError" in caught.value.message


async def test_job_failures_cross_the_process_boundary_unchanged(tmp_path: Path) -> None:
    with pytest.raises(JobFailure) as caught:
        await run("test-refuse", tmp_path / "pid")

    assert caught.value.code is JobErrorCode.PROVIDER_RATE_LIMITED
    assert caught.value.message == "slow down" and caught.value.transient is True


async def test_should_stop_kills_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    async def stop_once_started() -> bool:
        return pid_file.exists()

    started = time.monotonic()
    with pytest.raises(ExtractionCancelled):
        await run("test-sleep", pid_file, should_stop=stop_once_started, poll_seconds=0.1)

    assert time.monotonic() - started < 3
    assert_gone(child_pid(pid_file))


async def test_cancelling_the_task_kills_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    task = asyncio.create_task(run("test-sleep", pid_file))
    while not pid_file.exists():
        await asyncio.sleep(0.05)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert_gone(child_pid(pid_file))


async def test_concurrent_extractions_do_not_disturb_each_other(tmp_path: Path) -> None:
    short = IsolationLimits(timeout_seconds=1.5, memory_mb=512, max_pages=10)
    jobs = [run("offline", tmp_path / f"pid{n}") for n in range(4)]
    jobs.append(run("test-sleep", tmp_path / "sleeper", short))

    outcomes = await asyncio.gather(*jobs, return_exceptions=True)

    assert [o.fields["total"] for o in outcomes[:4]] == [279.84] * 4  # type: ignore[union-attr]
    assert isinstance(outcomes[4], JobFailure)
    assert outcomes[4].code is JobErrorCode.EXTRACTION_TIMEOUT


async def test_unknown_engine_fails_before_any_process_starts(tmp_path: Path) -> None:
    with pytest.raises(JobFailure) as caught:
        await run("no-such-engine", tmp_path / "pid")

    assert caught.value.code is JobErrorCode.ENGINE_ERROR
