"""A worker's pipeline on local files, with no database: what `quarry eval` and `quarry extract`
share. A document's type is sniffed from its bytes and checked against its name, then it is
parsed (with OCR) and extracted in an isolated child process with the configured limits
(`EXTRACTION_TIMEOUT_SECONDS`, `EXTRACTION_MEMORY_MB`, `MAX_PAGES`, `OCR_*`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from quarry.core.config import Settings
from quarry.core.errors import QuarryError
from quarry.engines.base import ExtractionResult
from quarry.engines.llm import engine_options
from quarry.engines.registry import registry
from quarry.engines.runner import IsolationLimits, extract_isolated
from quarry.extraction_schemas.schemas import parse_fields, stored_fields
from quarry.parsing.options import OcrOptions
from quarry.sources import mime


def schema_fields(path: Path) -> list[dict[str, Any]]:
    """The validated fields of a schema file: `{"fields": [...]}` (a schema as the API shows
    it) or the bare list. Raises ValueError, OSError or BadRequest."""
    raw = json.loads(path.read_text())
    fields = raw.get("fields") if isinstance(raw, dict) else raw
    return stored_fields(parse_fields(fields))


def check_engine(settings: Settings, engine: str) -> None:
    """Refuse an unknown engine, or an LLM engine without its settings (JobFailure)."""
    registry.factory(engine)
    engine_options(settings, engine)


def isolation_limits(settings: Settings) -> IsolationLimits:
    return IsolationLimits(
        timeout_seconds=settings.extraction_timeout_seconds,
        memory_mb=settings.extraction_memory_mb,
        max_pages=settings.max_pages,
        ocr=OcrOptions.from_settings(settings),
    )


async def extract_file(
    path: Path,
    fields: list[dict[str, Any]],
    *,
    limits: IsolationLimits,
    engine: str,
    settings: Settings,
) -> ExtractionResult:
    """What a worker does with a stored document: sniff, check, extract in isolation."""
    mime_type = await asyncio.to_thread(mime.sniff, path, path.name)
    mime.check_declared_type(path.name, mime_type)
    return await extract_isolated(
        path,
        mime_type=mime_type,
        file_name=path.name,
        fields=fields,
        engine=engine,
        limits=limits,
        options=engine_options(settings, engine),
    )


def error_message(exc: BaseException) -> str:
    """A one-line message for an argument error."""
    if isinstance(exc, QuarryError):
        details = "; ".join(f"{d.field}: {d.message}" for d in exc.details)
        return f"{exc.message} ({details})" if details else exc.message
    return str(exc)
