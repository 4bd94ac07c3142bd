"""Parse + extract in a child process, where hard limits can stop anything.

A Python timeout cannot interrupt C code (PDFium, Pillow, later Tesseract), and a memory blow-up
must not take the worker down. So each document runs in a child forked from a `forkserver`
that has the parsing and engine modules preloaded (no interpreter start-up per document, and no
fork of a threaded server). The child gets RLIMIT_AS = memory cap, no core dumps, a CPU-time
backstop, a scrubbed environment with OMP_THREAD_LIMIT=1, and dies with the fork server.

    outcome in the child                     raised in the parent
    result                                   (returned)
    JobFailure(code)                         JobFailure(same code, message, transient)
    MemoryError                              JobFailure(RESOURCE_LIMIT)
    killed by a signal (OOM, abort, segv)    JobFailure(RESOURCE_LIMIT)
    any other exception                      JobFailure(ENGINE_ERROR), exception name only
    wall clock over timeout_seconds          child killed, JobFailure(EXTRACTION_TIMEOUT)
    should_stop() returned True              child killed, ExtractionCancelled
    the child cannot be started              JobFailure(INTERNAL_ERROR, transient=True)

The child answers in JSON (never pickle: its input is hostile), read without blocking the event
loop, so any number of extractions may run concurrently from one asyncio process. Every child is
killed and reaped before `extract_isolated` returns or raises, including on task cancellation.

multiprocessing re-runs the program's main script (as `__mp_main__`) in every child, so an entry
point must keep its module-level imports light and its work under `if __name__ == "__main__"`
(the `quarry` console script does: ~20 ms per document in all; a script importing the whole app
at module level costs ~0.8 s per document).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import json
import math
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import EngineFactory, registry
from quarry.parsing import parse
from quarry.parsing.options import OcrOptions

PRELOAD = [
    "quarry.engines.runner",
    "quarry.parsing.parser",
    "quarry.engines.registry",
    "quarry.engines.offline.engine",
    "quarry.engines.llm.engine",
    "quarry.parsing.ocr.tesseract",  # imports libtesseract once, not in every child
]
_MAX_ANSWER_BYTES = 256 * 1024 * 1024
_READ_CHUNK = 1 << 16
_EXIT_OUT_OF_MEMORY = 3
_CPU_GRACE_SECONDS = 10
_REAP_SECONDS = 5.0
_KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "HOME", "TMPDIR", "TZ")
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class IsolationLimits:
    timeout_seconds: float
    memory_mb: int
    max_pages: int
    ocr: OcrOptions = dataclasses.field(default_factory=OcrOptions)  # OCR runs in the child


class ExtractionCancelled(Exception):
    """`should_stop()` asked to stop; the child process has been killed."""


@dataclass(frozen=True)
class _Request:
    path: str
    mime_type: str
    file_name: str
    fields: list[dict[str, Any]]
    factory: EngineFactory
    limits: IsolationLimits
    options: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)


def extract_in_process(
    path: Path,
    *,
    mime_type: str,
    file_name: str,
    fields: Sequence[Mapping[str, Any]],
    engine: str,
    max_pages: int,
    options: Mapping[str, Any] | None = None,
    ocr: OcrOptions | None = None,
) -> ExtractionResult:
    """Parse and extract in this process, without limits (the child's work; benchmarks)."""
    return _extract(
        path,
        mime_type=mime_type,
        file_name=file_name,
        fields=fields,
        factory=registry.factory(engine),
        max_pages=max_pages,
        options=options or {},
        ocr=ocr,
    )


def _extract(
    path: Path,
    *,
    mime_type: str,
    file_name: str,
    fields: Sequence[Mapping[str, Any]],
    factory: EngineFactory,
    max_pages: int,
    options: Mapping[str, Any],
    ocr: OcrOptions | None = None,
) -> ExtractionResult:
    context = EngineContext(fields=specs_from_wire(fields), file_name=file_name, options=options)
    document = parse(path, mime_type, max_pages=max_pages, ocr=ocr)
    result = factory().extract(document, context)
    return dataclasses.replace(result, rotations=tuple(page.rotation for page in document.pages))


def warm_up() -> None:
    """Start the fork server now (blocking, ~1 s) instead of on the first document."""
    _context()
    multiprocessing.forkserver.ensure_running()


def _context() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    assert isinstance(context, ForkServerContext)
    context.set_forkserver_preload(PRELOAD)
    return context


async def extract_isolated(
    path: Path,
    *,
    mime_type: str,
    file_name: str,
    fields: Sequence[Mapping[str, Any]],
    engine: str | EngineFactory,
    limits: IsolationLimits,
    should_stop: Callable[[], Awaitable[bool]] | None = None,
    poll_seconds: float = 1.0,
    options: Mapping[str, Any] | None = None,
) -> ExtractionResult:
    """Run `extract_in_process` in a limited child process; see the module docstring.

    `engine` is a registered name or a factory (a module-level class or function, so that it
    can be sent to the child); `options` become the engine's `EngineContext.options`.
    """
    request = _Request(
        path=str(path),
        mime_type=mime_type,
        file_name=file_name,
        fields=[dict(f) for f in fields],
        factory=registry.factory(engine) if isinstance(engine, str) else engine,
        limits=limits,
        options=dict(options or {}),
    )
    child = _Child(request)
    try:
        child.start()
        await child.wait(limits.timeout_seconds, should_stop, poll_seconds)
        return child.outcome()
    finally:
        child.close()


class _Child:
    """One child process, its answer pipe, and the futures that watch both."""

    def __init__(self, request: _Request) -> None:
        self.request = request
        self.loop = asyncio.get_running_loop()
        self.process: BaseProcess | None = None
        self.read_fd = -1
        self.chunks: list[bytes] = []
        self.size = 0
        self.answered: asyncio.Future[None] = self.loop.create_future()
        self.exited: asyncio.Future[None] = self.loop.create_future()

    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        self.read_fd = read_fd
        writer = Connection(write_fd, readable=False)
        process = _context().Process(target=_child_main, args=(self.request, writer), daemon=True)
        try:
            process.start()
        except OSError as exc:
            raise JobFailure(
                JobErrorCode.INTERNAL_ERROR,
                f"cannot start the extraction process: {exc}",
                transient=True,
            ) from None
        finally:
            writer.close()
        self.process = process
        os.set_blocking(read_fd, False)
        self.loop.add_reader(read_fd, self._on_readable)
        self.loop.add_reader(process.sentinel, self._on_exit)

    async def wait(
        self,
        limit_seconds: float,
        should_stop: Callable[[], Awaitable[bool]] | None,
        poll_seconds: float,
    ) -> None:
        watched = {self.answered, self.exited}
        deadline = self.loop.time() + limit_seconds
        while True:
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                raise JobFailure(
                    JobErrorCode.EXTRACTION_TIMEOUT,
                    f"the extraction took longer than {limit_seconds:g} seconds",
                )
            step = min(remaining, poll_seconds) if should_stop else remaining
            _, pending = await asyncio.wait(watched, timeout=step)
            if not pending:
                return
            if should_stop is not None and await should_stop():
                raise ExtractionCancelled("the extraction was cancelled")

    def _on_readable(self) -> None:
        try:
            data = os.read(self.read_fd, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.chunks.append(data)
            self.size += len(data)
        if not data or self.size > _MAX_ANSWER_BYTES:
            self.loop.remove_reader(self.read_fd)
            if not self.answered.done():
                self.answered.set_result(None)

    def _on_exit(self) -> None:
        assert self.process is not None
        self.loop.remove_reader(self.process.sentinel)
        if not self.exited.done():
            self.exited.set_result(None)

    def outcome(self) -> ExtractionResult:
        assert self.process is not None
        answer = _decode(b"".join(self.chunks)) if self.size <= _MAX_ANSWER_BYTES else None
        if answer is not None:
            return _result(answer)
        raise _death(self.process.exitcode)

    def close(self) -> None:
        """Kill the child if it still runs, wait for it, and release every descriptor."""
        if self.read_fd >= 0:
            self.loop.remove_reader(self.read_fd)
            os.close(self.read_fd)
            self.read_fd = -1
        for future in (self.answered, self.exited):
            if not future.done():
                future.cancel()
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ValueError):
            self.loop.remove_reader(process.sentinel)
        _reap(process)


def _reap(process: BaseProcess) -> None:
    if process.exitcode is None:
        with contextlib.suppress(OSError, ValueError):
            process.kill()
        process.join(_REAP_SECONDS)
    if process.exitcode is not None:
        process.close()


def _decode(payload: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(payload)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _result(answer: dict[str, Any]) -> ExtractionResult:
    if "result" in answer:
        data = answer["result"]
        data["warnings"] = tuple(data.get("warnings") or ())
        data["rotations"] = tuple(data.get("rotations") or ())
        return ExtractionResult(**data)
    if "failure" in answer:
        failure = answer["failure"]
        raise JobFailure(
            JobErrorCode(failure["code"]),
            str(failure["message"]),
            transient=bool(failure["transient"]),
        )
    raise JobFailure(
        JobErrorCode.ENGINE_ERROR, f"the engine failed ({answer.get('error', 'unknown error')})"
    )


def _death(exitcode: int | None) -> JobFailure:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else exitcode
        return JobFailure(
            JobErrorCode.RESOURCE_LIMIT,
            f"the extraction process was killed by {name} (out of memory or a crash)",
        )
    if exitcode == _EXIT_OUT_OF_MEMORY:
        return JobFailure(JobErrorCode.RESOURCE_LIMIT, "the extraction ran out of memory")
    return JobFailure(
        JobErrorCode.ENGINE_ERROR, f"the extraction process exited without an answer ({exitcode})"
    )


# --- in the child -------------------------------------------------------------------------


def _child_main(request: _Request, writer: Connection) -> None:
    """Runs in the forked child: limit itself, extract, answer in JSON, exit at once."""
    _limit_self(request.limits)
    try:
        payload = json.dumps(_answer(request)).encode()
    except MemoryError:
        os._exit(_EXIT_OUT_OF_MEMORY)
    except (TypeError, ValueError):
        payload = json.dumps({"error": "result is not JSON"}).encode()
    fd = writer.fileno()
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os._exit(0)


def _answer(request: _Request) -> dict[str, Any]:
    try:
        result = _extract(
            Path(request.path),
            mime_type=request.mime_type,
            file_name=request.file_name,
            fields=request.fields,
            factory=request.factory,
            max_pages=request.limits.max_pages,
            options=request.options,
            ocr=request.limits.ocr,
        )
    except JobFailure as exc:
        return {
            "failure": {"code": exc.code.value, "message": exc.message, "transient": exc.transient}
        }
    except MemoryError:
        return {
            "failure": {
                "code": JobErrorCode.RESOURCE_LIMIT.value,
                "message": "the extraction ran out of memory",
                "transient": False,
            }
        }
    except Exception as exc:
        return {"error": type(exc).__name__}
    return {"result": dataclasses.asdict(result)}


def _limit_self(limits: IsolationLimits) -> None:
    # a terminal's Ctrl-C reaches the whole process group: the parent decides, and kills us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = math.ceil(limits.timeout_seconds) + _CPU_GRACE_SECONDS
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_hard == resource.RLIM_INFINITY or cpu < cpu_hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu_hard))
    kept = {k: v for k, v in os.environ.items() if k in _KEPT_ENVIRONMENT or k.startswith("LC_")}
    os.environ.clear()
    os.environ.update(kept, OMP_THREAD_LIMIT="1")
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the fork server
