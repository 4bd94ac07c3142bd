"""`quarry eval DOCS_DIR --schema SCHEMA.json --out PRED_DIR`: the real pipeline over a folder.

Each document goes through what a worker does with a job (`quarry/cli/local.py`). The
Extraction is written to `PRED_DIR/<doc_id>.json`, `doc_id` being the file name without its
extension:

    {"docId", "document", "fields", "fieldDetails", "engine", "pages", "warnings", "seconds"}

A document that fails gets `{"docId", "document", "fields": null, "errorCode",
"errorMessage"}`. DOCS_DIR holds the documents, or a `docs/` folder with them (the layout of an
evaluation set with `expected/` beside `docs/`, scored by `shared/eval/score.py`). Nothing is
stored in a database; no server is needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quarry.cli.local import error_message, extract_file, isolation_limits, schema_fields
from quarry.core.config import Settings
from quarry.core.errors import JobFailure, QuarryError
from quarry.engines.runner import IsolationLimits, warm_up


@dataclass(frozen=True)
class Outcome:
    doc_id: str
    pages: int
    seconds: float
    error: str | None


def run(args: argparse.Namespace) -> int:
    """Entry point of `quarry eval`; 0 when every document was extracted, 1 when some failed,
    2 for bad arguments."""
    try:
        settings = Settings()
        fields = schema_fields(args.schema)
        documents = find_documents(args.docs_dir)
    except (ValueError, OSError, QuarryError) as exc:
        print(f"quarry eval: {error_message(exc)}", file=sys.stderr)
        return 2
    engine = args.engine or settings.extraction_engine
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    outcomes = asyncio.run(
        evaluate(documents, fields, args.out, settings=settings, engine=engine, jobs=args.jobs)
    )
    _summary(outcomes, time.monotonic() - started)
    return 1 if any(o.error for o in outcomes) else 0


def find_documents(folder: Path) -> list[Path]:
    """The documents of an evaluation folder (its `docs/` sub-folder when there is one)."""
    docs = folder / "docs"
    source = docs if docs.is_dir() else folder
    if not source.is_dir():
        raise ValueError(f"{folder} is not a folder")
    found = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
    if not found:
        raise ValueError(f"no documents in {source}")
    return found


async def evaluate(
    documents: list[Path],
    fields: list[dict[str, Any]],
    out: Path,
    *,
    settings: Settings,
    engine: str,
    jobs: int,
) -> list[Outcome]:
    """Extract every document, `jobs` at a time, writing one result file each."""
    await asyncio.to_thread(warm_up)
    limits = isolation_limits(settings)
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(path: Path) -> Outcome:
        async with gate:
            return await _one(path, fields, out, limits=limits, engine=engine, settings=settings)

    return list(await asyncio.gather(*(one(p) for p in documents)))


async def _one(
    path: Path,
    fields: list[dict[str, Any]],
    out: Path,
    *,
    limits: IsolationLimits,
    engine: str,
    settings: Settings,
) -> Outcome:
    started = time.monotonic()
    record: dict[str, Any] = {"docId": path.stem, "document": path.name}
    try:
        result = await extract_file(path, fields, limits=limits, engine=engine, settings=settings)
    except JobFailure as failure:
        record.update(fields=None, errorCode=failure.code.value, errorMessage=failure.message)
        _write(out / f"{path.stem}.json", record)
        _progress(path.stem, f"FAILED {failure.code.value}: {failure.message}")
        return Outcome(path.stem, 0, time.monotonic() - started, failure.code.value)
    seconds = time.monotonic() - started
    record.update(
        fields=result.fields,
        fieldDetails=result.field_details,
        engine=result.engine,
        pages=result.pages,
        warnings=list(result.warnings),
        seconds=round(seconds, 3),
    )
    _write(out / f"{path.stem}.json", record)
    _progress(path.stem, f"ok  {result.pages or 0} page(s)  {seconds:.2f} s")
    return Outcome(path.stem, result.pages or 0, seconds, None)


def _write(path: Path, record: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _progress(doc_id: str, message: str) -> None:
    print(f"{doc_id}: {message}", file=sys.stderr, flush=True)


def _summary(outcomes: list[Outcome], seconds: float) -> None:
    pages = sum(o.pages for o in outcomes)
    failed = [o for o in outcomes if o.error]
    rate = pages / seconds if seconds else 0.0
    print(
        f"{len(outcomes)} documents, {pages} pages, {len(failed)} failed, "
        f"{seconds:.1f} s ({rate:.1f} pages/s)",
        file=sys.stderr,
    )
