"""`quarry extract PATH... --schema SCHEMA.json [--out FILE]`: documents to a results file.

No server and no database. Files, and folders searched recursively (hidden files skipped), go
through a worker's pipeline (`quarry/cli/local.py`: sniffed, parsed with OCR, extracted in an
isolated child process with the configured limits; transient failures retried as a worker
does), `--jobs` at a time. The output has the columns of the run export
(`GET /api/job-runs/:id/results`): its format follows the extension of `--out` (`.jsonl`,
`.json`, `.csv`, `.xlsx`); JSONL on stdout without `--out`. `jobId` is the document's path.

Records are written in the order the documents were given (folders sorted by path) as soon as
every earlier one is done. A progress bar with ETA goes to stderr. Ctrl-C stops the documents
in progress, writes every finished one, and closes the file so it stays valid (exit 130).

Exit status: 0 all extracted, 1 some failed, 2 bad arguments, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from quarry.cli.files import find_files
from quarry.cli.local import (
    check_engine,
    error_message,
    extract_file,
    isolation_limits,
    schema_fields,
)
from quarry.core.config import Settings
from quarry.core.errors import JobErrorCode, JobFailure, QuarryError
from quarry.core.fields import specs_from_wire
from quarry.engines.runner import IsolationLimits, warm_up
from quarry.results.order import SchemaOrder
from quarry.results.records import ResultRecord
from quarry.results.writers import JsonLines, RecordFile, TextFile, open_file

INTERRUPTED = 130


@dataclass
class InOrder:
    """Writes records in input order as they finish; `drain` writes the finished rest."""

    out: RecordFile
    pending: dict[int, ResultRecord] = field(default_factory=dict)
    next_index: int = 0
    written: int = 0
    failed: int = 0

    def done(self, index: int, record: ResultRecord) -> None:
        self.pending[index] = record
        self.failed += record.status != "COMPLETED"
        while self.next_index in self.pending:
            self._write(self.pending.pop(self.next_index))
            self.next_index += 1

    def drain(self) -> None:
        for index in sorted(self.pending):
            self._write(self.pending.pop(index))

    def _write(self, record: ResultRecord) -> None:
        self.out.add(record)
        self.written += 1


@dataclass(frozen=True)
class Pipeline:
    """What every document of one `quarry extract` goes through."""

    fields: list[dict[str, Any]]
    settings: Settings
    engine: str
    limits: IsolationLimits


def run(args: argparse.Namespace) -> int:
    """Entry point of `quarry extract`."""
    try:
        settings = Settings()
        fields = schema_fields(args.schema)
        paths = find_files(args.paths)
        engine = args.engine or settings.extraction_engine
        check_engine(settings, engine)
        out = _open_output(args.out, fields)
    except (ValueError, OSError, QuarryError, JobFailure) as exc:
        message = exc.message if isinstance(exc, JobFailure) else error_message(exc)
        print(f"quarry extract: {message}", file=sys.stderr)
        return 2
    pipeline = Pipeline(fields, settings, engine, isolation_limits(settings))
    console = Console(stderr=True, soft_wrap=True)
    written = InOrder(out)
    started, interrupted = time.monotonic(), False
    try:
        asyncio.run(_extract_all(paths, pipeline, written, console, max(1, args.jobs)))
    except KeyboardInterrupt:
        interrupted = True
    except BrokenPipeError:  # stdout's reader went away (`| head`): stop as Unix tools do
        _silence_stdout()
        return 1
    finally:
        with contextlib.suppress(BrokenPipeError):
            written.drain()
            out.close()
    seconds = time.monotonic() - started
    _summary(console, len(paths), written, seconds, out=args.out, interrupted=interrupted)
    return INTERRUPTED if interrupted else (1 if written.failed else 0)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _open_output(out: Path | None, fields: list[dict[str, Any]]) -> RecordFile:
    if out is None:
        return TextFile(sys.stdout, JsonLines(), owned=False)
    return open_file(out, specs_from_wire(fields))


async def _extract_all(
    paths: list[Path], pipeline: Pipeline, written: InOrder, console: Console, jobs: int
) -> None:
    await asyncio.to_thread(warm_up)
    gate = asyncio.Semaphore(jobs)
    with _progress(console) as progress:
        task = progress.add_task("extracting", total=len(paths), failed=0)

        async def one(index: int, path: Path) -> None:
            async with gate:
                record = await extract_record(path, pipeline)
            written.done(index, record)
            if record.status != "COMPLETED":
                progress.console.print(f"[red]FAILED[/] {escape(str(path))}: {record.error_code}")
            progress.update(task, advance=1, failed=written.failed)

        await asyncio.gather(*(one(i, p) for i, p in enumerate(paths)))


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


async def extract_record(path: Path, pipeline: Pipeline) -> ResultRecord:
    """One document through the pipeline, as a result record (FAILED with its errorCode)."""
    order = SchemaOrder(specs_from_wire(pipeline.fields))
    try:
        result = await _with_retries(path, pipeline)
    except JobFailure as failure:
        return _record(path, "FAILED", failure.code.value)
    except Exception:  # as a worker does: an unexpected error fails this document only
        return _record(path, "FAILED", JobErrorCode.INTERNAL_ERROR.value)
    return _record(
        path,
        "COMPLETED",
        None,
        order.fields(result.fields),
        order.details(result.field_details),
    )


async def _with_retries(path: Path, pipeline: Pipeline) -> Any:
    settings = pipeline.settings
    for attempt in range(1, settings.job_max_attempts + 1):
        try:
            return await extract_file(
                path,
                pipeline.fields,
                limits=pipeline.limits,
                engine=pipeline.engine,
                settings=settings,
            )
        except JobFailure as failure:
            if not failure.transient or attempt == settings.job_max_attempts:
                raise
            await asyncio.sleep(settings.job_retry_base_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _record(
    path: Path,
    status: str,
    error_code: str | None,
    fields: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> ResultRecord:
    return ResultRecord(str(path), None, path.name, status, error_code, fields, details)


def _summary(
    console: Console,
    total: int,
    written: InOrder,
    seconds: float,
    *,
    out: Path | None,
    interrupted: bool,
) -> None:
    where = f" to {out}" if out else ""
    state = "interrupted: " if interrupted else ""
    console.print(
        f"{state}{written.written} of {total} documents written{where} "
        f"({written.failed} failed) in {seconds:.1f} s",
        highlight=False,
    )
