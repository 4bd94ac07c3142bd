"""`POST /api/schema/ai` through a model: the model suggests field definitions.

The answer is structured output of a field-definition schema two levels deep (top-level
fields; an object's properties are scalars), which every provider's structured output and
the local servers' grammars handle. The caller cleans the names and validates the result
with the schema validator; nothing here trusts the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quarry.engines.llm.chunks import estimate_tokens, page_chunks
from quarry.engines.llm.options import LlmOptions
from quarry.engines.llm.providers import Prompt, open_provider
from quarry.parsing.model import ParsedDocument

_TYPES = ["text", "number", "date", "boolean", "object"]
_SCALARS = ["text", "number", "date", "boolean"]
MAX_SUGGESTED_FIELDS = 40

SUGGEST_SYSTEM = f"""\
You design extraction schemas: the fields to pull out of documents like a sample.
- Field names are snake_case (lower-case letters, digits, underscores), short and plain.
- Types: text, number (amounts, quantities), date, boolean, object. An object lists its
  properties (each text, number, date or boolean); set isArray for repeated things such as
  line items.
- Describe each field in one sentence saying what it is and how documents label it.
- With a request, give the fields it asks for, in its order. Without one, give the fields of
  the sample worth extracting from every similar document (at most {MAX_SUGGESTED_FIELDS}),
  not values that only this sample has."""


def _field_schema(types: list[str], nested: dict[str, Any] | None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "name": {"type": "string"},
        "type": {"type": "string", "enum": types},
        "description": {"type": ["string", "null"]},
        "isArray": {"type": "boolean"},
    }
    if nested is not None:
        properties["properties"] = {"type": ["array", "null"], "items": nested}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


DEFINITIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "fields": {"type": "array", "items": _field_schema(_TYPES, _field_schema(_SCALARS, None))}
    },
    "required": ["fields"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Suggestion:
    fields: Any  # the model's list, unchecked
    usage: dict[str, Any]  # {inputTokens, outputTokens, calls, model}


def suggest_fields(
    options: LlmOptions,
    *,
    prompt: str | None,
    document: ParsedDocument | None,
    file_name: str | None = None,
) -> Suggestion:
    """One call: the request and/or the sample's first pages (within the token budget)."""
    user = _request(options, prompt, document, file_name)
    provider = open_provider(options)
    try:
        completion = provider.complete(
            Prompt(
                SUGGEST_SYSTEM,
                user,
                DEFINITIONS_SCHEMA,
                schema_name="record_schema",
                purpose="Record the fields to extract.",
            )
        )
    finally:
        provider.close()
    return Suggestion(completion.data.get("fields"), completion.usage.wire(completion.model))


def _request(
    options: LlmOptions, prompt: str | None, document: ParsedDocument | None, file_name: str | None
) -> str:
    parts = [f"Request: {prompt.strip()}"] if prompt and prompt.strip() else []
    if document is not None:
        budget = options.max_input_tokens - estimate_tokens(SUGGEST_SYSTEM + (prompt or "")) - 600
        chunks = page_chunks(document.pages, max(budget, 200))
        sample = chunks[0].text if chunks else "(the sample has no readable text)"
        parts.append(f"Sample document ({file_name or 'sample'}):\n{sample}")
    return "\n\n".join(parts)
