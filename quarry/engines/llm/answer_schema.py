"""The JSON Schema a model's answer must follow, generated from a schema version's fields.

    text      string (with possibleValues: an enum of the labels)
    number    number
    date      string, described as YYYY-MM-DD (checked again after the answer)
    boolean   boolean
    object    object with its properties
    isArray   array of the item type

Every field is required and nullable (null = not in the document), and objects allow no other
keys: the shape OpenAI's strict structured output needs, which Anthropic's tools and the
grammar-constrained local servers (llama.cpp, vLLM, Ollama) accept too. Descriptions pass
through, so the model sees what the schema's author wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quarry.core.fields import FieldSpec, FieldType

DATE_HINT = "A date, written as YYYY-MM-DD."
_SCALAR_TYPES = {
    FieldType.TEXT: "string",
    FieldType.NUMBER: "number",
    FieldType.DATE: "string",
    FieldType.BOOLEAN: "boolean",
}


def answer_schema(specs: Sequence[FieldSpec]) -> dict[str, Any]:
    """The root object: one key per top-level field."""
    return _object(specs)


def _object(specs: Sequence[FieldSpec]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {spec.name: _field(spec) for spec in specs},
        "required": [spec.name for spec in specs],
        "additionalProperties": False,
    }


def _field(spec: FieldSpec) -> dict[str, Any]:
    item = _item(spec)
    if spec.is_array:
        schema: dict[str, Any] = {"type": ["array", "null"], "items": item}
    elif spec.type is FieldType.OBJECT:
        schema = {"anyOf": [item, {"type": "null"}]}
    else:
        schema = _nullable(item)
    description = _description(spec)
    if description:
        schema["description"] = description
    return schema


def _item(spec: FieldSpec) -> dict[str, Any]:
    if spec.type is FieldType.OBJECT:
        return _object(spec.properties)
    item: dict[str, Any] = {"type": _SCALAR_TYPES[spec.type]}
    if spec.possible_values:
        item["enum"] = list(dict.fromkeys(choice.label for choice in spec.possible_values))
    return item


def _nullable(item: dict[str, Any]) -> dict[str, Any]:
    schema = {**item, "type": [item["type"], "null"]}
    if "enum" in item:
        schema["enum"] = [*item["enum"], None]
    return schema


def _description(spec: FieldSpec) -> str:
    parts = [spec.description.strip()] if spec.description and spec.description.strip() else []
    if spec.type is FieldType.DATE:
        parts.append(DATE_HINT)
    return " ".join(parts)
