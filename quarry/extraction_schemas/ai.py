"""`POST /api/schema/ai`: a schema inferred from a sample document, a request, or both.

    mode                   offline (the default engine)               with an LLM engine
    document_only          the sample's label–value pairs and tables  the model reads the sample
    prompt_only            the fields the request names, typed by     the model reads the request
                           their names (`ai_prompt`)
    document_with_prompt   the request's fields, typed and described  the model reads both
                           from the sample where they match

The engine is the form's `engine` (a Quarry extension; it is also stored as the new schema's
engine) or else EXTRACTION_ENGINE. The sample is untrusted: it is parsed (and, with an LLM,
sent) inside the same isolated child process as a job's document, under the same time and
memory limits. The result is validated by the schema validator and created through the
normal create path (version 1).

Errors: 400 VALIDATION_ERROR (bad mode, missing schemaName, file or userPrompt),
UNSUPPORTED_FILE_TYPE, CORRUPT_DOCUMENT, ENCRYPTED_DOCUMENT, TOO_MANY_PAGES, RESOURCE_LIMIT,
NO_FIELDS_INFERRED; 429 PROVIDER_RATE_LIMITED; 503 ENGINE_ERROR, EXTRACTION_TIMEOUT (the
model or the sample's processing failed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.errors import (
    BadRequest,
    ErrorDetail,
    JobErrorCode,
    JobFailure,
    QuarryError,
    RateLimited,
    ServiceUnavailable,
)
from quarry.engines.llm import LLM_ENGINES, LlmOptions, engine_options
from quarry.engines.llm.schema_suggest import suggest_fields
from quarry.engines.runner import IsolationLimits, extract_isolated
from quarry.extraction_schemas import service
from quarry.extraction_schemas.ai_document import SchemaInference
from quarry.extraction_schemas.ai_prompt import Definition, clean_definitions, fields_from_prompt
from quarry.extraction_schemas.models import ExtractionSchema
from quarry.extraction_schemas.schemas import SchemaCreate
from quarry.sources import mime
from quarry.sources.fetched import FetchedFile
from quarry.sources.upload import ReceivedForm

MAX_PROMPT_CHARS = 4000
PROVIDER_RETRY_AFTER_SECONDS = 30
_SERVICE_FAILURES = frozenset(
    {JobErrorCode.ENGINE_ERROR, JobErrorCode.EXTRACTION_TIMEOUT, JobErrorCode.INTERNAL_ERROR}
)


class Mode(StrEnum):
    DOCUMENT_ONLY = "document_only"
    PROMPT_ONLY = "prompt_only"
    DOCUMENT_WITH_PROMPT = "document_with_prompt"


@dataclass(frozen=True)
class AiRequest:
    mode: Mode
    schema_name: str
    prompt: str | None
    engine: str | None
    file: FetchedFile | None


def read_form(form: ReceivedForm) -> AiRequest:
    """The request's fields, or BadRequest naming every missing or bad one."""
    errors: list[ErrorDetail] = []
    mode = _mode(form.value("mode"), errors)
    name = (form.value("schemaName") or "").strip()
    if not 1 <= len(name) <= 200:
        errors.append(ErrorDetail("schemaName", "required, 1 to 200 characters"))
    prompt = (form.value("userPrompt") or "").strip() or None
    if prompt is not None and len(prompt) > MAX_PROMPT_CHARS:
        errors.append(ErrorDetail("userPrompt", f"at most {MAX_PROMPT_CHARS} characters"))
    files = form.files_named("file")
    if mode is not None and mode is not Mode.PROMPT_ONLY and not files:
        errors.append(ErrorDetail("file", f"a sample document is required in mode {mode}"))
    if mode is not None and mode is not Mode.DOCUMENT_ONLY and prompt is None:
        errors.append(ErrorDetail("userPrompt", f"a request is required in mode {mode}"))
    if errors or mode is None:
        raise BadRequest("The schema request is not valid", details=errors)
    engine = (form.value("engine") or "").strip() or None
    sample = files[0] if files and mode is not Mode.PROMPT_ONLY else None
    return AiRequest(mode, name, prompt, engine, sample)


def _mode(value: str | None, errors: list[ErrorDetail]) -> Mode | None:
    try:
        return Mode(value or "")
    except ValueError:
        allowed = ", ".join(m.value for m in Mode)
        errors.append(ErrorDetail("mode", f"must be one of {allowed}"))
        return None


async def create_from_form(
    session: AsyncSession, settings: Settings, user_id: str, form: ReceivedForm
) -> ExtractionSchema:
    """Infer the fields, then create the schema through the normal path."""
    request = read_form(form)
    service.check_engine(request.engine, settings)
    engine = request.engine or settings.extraction_engine
    fields = await _infer(settings, request, engine)
    if not fields:
        where = "file" if request.mode is Mode.DOCUMENT_ONLY else "userPrompt"
        raise BadRequest(
            "No fields could be inferred; name them in userPrompt or send another sample",
            code="NO_FIELDS_INFERRED",
            details=[ErrorDetail(where, "no fields found")],
        )
    body = SchemaCreate(
        name=request.schema_name,
        description=_description(request),
        fields=fields,
        engine=request.engine,
    )
    return await service.create_schema(session, user_id, body, settings)


def _description(request: AiRequest) -> str:
    if request.prompt:
        return request.prompt[:2000]
    assert request.file is not None
    return f"Inferred from {request.file.file_name}"[:2000]


async def _infer(settings: Settings, request: AiRequest, engine: str) -> list[Definition]:
    llm = _llm_options(settings, engine)
    try:
        if request.file is not None:
            return await _from_sample(settings, request, request.file, llm)
        assert request.prompt is not None
        if llm is None:
            return fields_from_prompt(request.prompt)
        suggestion = await asyncio.to_thread(
            suggest_fields, LlmOptions.from_mapping(llm), prompt=request.prompt, document=None
        )
        return clean_definitions(suggestion.fields)
    except JobFailure as failure:
        raise http_error(failure) from None


def _llm_options(settings: Settings, engine: str) -> dict[str, Any] | None:
    if engine not in LLM_ENGINES:
        return None
    try:
        return engine_options(settings, engine)
    except JobFailure as failure:
        raise http_error(failure) from None


async def _from_sample(
    settings: Settings, request: AiRequest, sample: FetchedFile, llm: dict[str, Any] | None
) -> list[Definition]:
    if not mime.is_supported(sample.mime_type):
        raise BadRequest(
            f"Quarry cannot read {sample.file_name!r} ({sample.mime_type})",
            code="UNSUPPORTED_FILE_TYPE",
            details=[ErrorDetail("file", "unsupported file type")],
        )
    limits = IsolationLimits(
        timeout_seconds=settings.extraction_timeout_seconds,
        memory_mb=settings.extraction_memory_mb,
        max_pages=settings.max_pages,
    )
    prompt = request.prompt if request.mode is Mode.DOCUMENT_WITH_PROMPT else None
    result = await extract_isolated(
        sample.path,
        mime_type=sample.mime_type,
        file_name=sample.file_name,
        fields=[],
        engine=SchemaInference,
        limits=limits,
        options={"mode": request.mode.value, "prompt": prompt, "llm": llm},
    )
    found: list[Definition] = result.fields.get("fields") or []
    return found


def http_error(failure: JobFailure) -> QuarryError:
    """A document-processing failure as the HTTP error of a request that waited for it."""
    if failure.code is JobErrorCode.PROVIDER_RATE_LIMITED:
        return RateLimited(
            failure.message,
            retry_after=PROVIDER_RETRY_AFTER_SECONDS,
            code=JobErrorCode.PROVIDER_RATE_LIMITED.value,
        )
    if failure.code in _SERVICE_FAILURES:
        return ServiceUnavailable(failure.message, code=failure.code.value)
    return BadRequest(failure.message, code=failure.code.value)
