"""The LLM engines: `openai` (any OpenAI-compatible server) and `anthropic`.

Per document: no text at all → every field null (NOT_EXTRACTED), no call made. Otherwise the
pages are cut into chunks under LLM_MAX_INPUT_TOKENS (the prompt and schema counted), each
chunk is one call, each answer is checked against the fields (`answers`), the answers are
merged (`merge`) and every value is looked for in the document (`engines.grounding`): one
that is not printed there is kept, marked `grounded: false`, with its confidence lowered.
Usage sums the calls: `{inputTokens, outputTokens, calls, model}`. The HTTP calls happen
here, inside the document's child process, so EXTRACTION_TIMEOUT_SECONDS bounds them too.

An empty answer (`{}`: not one of the fields the schema makes required) says nothing about the
document, so it is a failed call (ENGINE_ERROR, transient: the job is retried), never "not in
the document" on every field. A key missing from an otherwise answered object is null with
NOT_EXTRACTED. A call retried (timeout, 5xx, 429) adds a warning to the result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.core.fields import FieldSpec
from quarry.engines.base import EngineContext, ExtractionResult, NullReason
from quarry.engines.grounding import ground_fields, null_detail
from quarry.engines.llm.answer_schema import answer_schema
from quarry.engines.llm.answers import Answer, checked_answer
from quarry.engines.llm.chunks import Chunk, estimate_tokens, page_chunks
from quarry.engines.llm.merge import merge_answers
from quarry.engines.llm.options import LlmOptions
from quarry.engines.llm.prompts import EXTRACTION_SYSTEM, extraction_user
from quarry.engines.llm.providers import Prompt, Provider, Usage, open_provider
from quarry.parsing.model import ParsedDocument

ENGINE_VERSION = "1.0.0"
MIN_CHUNK_TOKENS = 200
CONFIDENCE = 0.9  # a model's value found in the document; grounding lowers it when not found
_FRAMING_TOKENS = 100  # the file name and part line around each chunk


class LlmEngine:
    name = "llm"
    version = ENGINE_VERSION

    def extract(self, document: ParsedDocument, context: EngineContext) -> ExtractionResult:
        options = LlmOptions.from_mapping({**context.options, "provider": self.name})
        specs = context.fields
        if not any(page.text.strip() for page in document.pages):
            return self._nothing_to_read(document, specs, options.model)
        schema = answer_schema(specs)
        chunks = page_chunks(document.pages, _chunk_budget(options, schema))
        provider = open_provider(options)
        try:
            answers, usage, model = self._ask_all(provider, chunks, schema, specs, context)
            retried = provider.retried()
        finally:
            provider.close()
        values, problems = merge_answers(specs, answers, document)
        details = ground_fields(
            document,
            specs,
            values,
            null_reasons={path: reason.value for path, reason in problems.items()},
            default_confidence=CONFIDENCE,
        )
        result = self._result(document, values, details, usage, model)
        return replace(result, warnings=(*result.warnings, *_retry_warnings(retried)))

    def _ask_all(
        self,
        provider: Provider,
        chunks: Sequence[Chunk],
        schema: dict[str, Any],
        specs: Sequence[FieldSpec],
        context: EngineContext,
    ) -> tuple[list[Answer], Usage, str]:
        answers, usage, model = [], Usage(), provider.model
        for number, chunk in enumerate(chunks, start=1):
            user = extraction_user(context.file_name, chunk, number, len(chunks))
            completion = provider.complete(Prompt(EXTRACTION_SYSTEM, user, schema))
            if specs and not completion.data:
                raise JobFailure(
                    JobErrorCode.ENGINE_ERROR,
                    "the model answered an empty object (no field at all)",
                    transient=True,
                )
            answers.append(checked_answer(specs, completion.data, chunk.pages))
            usage, model = usage + completion.usage, completion.model
        return answers, usage, model

    def _nothing_to_read(
        self, document: ParsedDocument, specs: Sequence[FieldSpec], model: str
    ) -> ExtractionResult:
        """No text at all (a scan without OCR text): say so rather than "not there"."""
        values = {spec.name: None for spec in specs}
        details = {spec.name: null_detail(NullReason.NOT_EXTRACTED.value) for spec in specs}
        return self._result(document, values, details, None, model)

    def _result(
        self,
        document: ParsedDocument,
        values: dict[str, Any],
        details: dict[str, dict[str, Any]],
        usage: Usage | None,
        model: str,
    ) -> ExtractionResult:
        return ExtractionResult(
            fields=values,
            field_details=details,
            engine={"name": self.name, "version": self.version, "model": model},
            pages=len(document.pages),
            usage=usage.wire(model) if usage is not None else None,
            warnings=document.warnings,
        )


def _retry_warnings(reasons: Sequence[str]) -> tuple[str, ...]:
    if not reasons:
        return ()
    return (f"{len(reasons)} LLM call(s) retried; last after: {reasons[-1]}",)


def _chunk_budget(options: LlmOptions, schema: dict[str, Any]) -> int:
    overhead = estimate_tokens(EXTRACTION_SYSTEM + json.dumps(schema)) + _FRAMING_TOKENS
    return max(options.max_input_tokens - overhead, MIN_CHUNK_TOKENS)


class OpenAIEngine(LlmEngine):
    """OpenAI's API or any server speaking it (vLLM, Ollama, llama.cpp server)."""

    name = "openai"


class AnthropicEngine(LlmEngine):
    """Anthropic's Messages API, with a forced tool call for structured output."""

    name = "anthropic"
