"""Wire models of schemas, and the checking of field definitions (spec section 2).

A field definition is
`{name, type, required=false, description?, isArray=false, properties?, possibleValues?,
fuzzyMatch=false, fuzzyThreshold=85}`. Rules and limits:

- `type` is text, number, date, boolean or object; names match `^[A-Za-z_][A-Za-z0-9_]*$`
  (at most 100 characters) and are unique among siblings (case-sensitive).
- `object` fields need at least one property; only object fields may have `properties`.
  Objects nest at most `MAX_DEPTH` (5) levels: a top-level field is level 1.
- `possibleValues: [{id, label}]` only on text fields; ids unique, labels not blank.
- At most `MAX_FIELDS_PER_LEVEL` (200) fields per level, descriptions up to 2000 characters,
  `fuzzyThreshold` 0–100. An empty `properties` or `possibleValues` list means "absent".

Bad definitions raise `BadRequest` (VALIDATION_ERROR) whose details point at the exact place,
e.g. `fields[2].properties[0].name`. Definitions are stored in their full form: every key
present, defaults filled in, absent optional keys as null (`FieldSpec.from_wire` reads it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticCustomError

from quarry.core.api_model import ApiModel, StrictInput, Timestamp
from quarry.core.errors import BadRequest, ErrorDetail
from quarry.core.fields import FieldType
from quarry.core.input_checks import error_path

MAX_DEPTH = 5
MAX_FIELDS_PER_LEVEL = 200
MAX_POSSIBLE_VALUES = 1000
MAX_WEBHOOK_ENDPOINTS = 50
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

FieldName = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=2000)]
SchemaName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
WebhookEndpointId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
WebhookEndpointIds = Annotated[list[WebhookEndpointId], Field(max_length=MAX_WEBHOOK_ENDPOINTS)]
EngineName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    Field(
        description="Quarry extension: the extraction engine for this schema's jobs "
        "(`offline`, `openai`, `anthropic`, …); null means the server's EXTRACTION_ENGINE"
    ),
]


class PossibleValueDefinition(StrictInput):
    """One allowed value of a text field."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    label: Annotated[str, StringConstraints(max_length=500)]


class FieldDefinition(StrictInput):
    """One field of a schema, as sent and as returned (returned with every key present)."""

    name: FieldName
    type: FieldType
    required: bool = False
    description: Description | None = None
    is_array: bool = False
    properties: Annotated[list[FieldDefinition], Field(max_length=MAX_FIELDS_PER_LEVEL)] | None = (
        None
    )
    possible_values: (
        Annotated[list[PossibleValueDefinition], Field(max_length=MAX_POSSIBLE_VALUES)] | None
    ) = None
    fuzzy_match: bool = False
    fuzzy_threshold: Annotated[int, Field(ge=0, le=100)] = 85

    @field_validator("properties", "possible_values")
    @classmethod
    def _empty_means_absent(cls, value: list[Any] | None) -> list[Any] | None:
        return value or None


TopLevelFields = Annotated[
    list[FieldDefinition], Field(min_length=1, max_length=MAX_FIELDS_PER_LEVEL)
]
_TOP_LEVEL = TypeAdapter(TopLevelFields)


def parse_fields(raw: Any) -> list[FieldDefinition]:
    """Field definitions from their wire form, or `BadRequest` listing every problem found."""
    try:
        fields = _TOP_LEVEL.validate_python(raw)
    except ValidationError as exc:
        details = [
            ErrorDetail(error_path(["fields", *e["loc"]], e["type"], e.get("ctx")), e["msg"])
            for e in exc.errors()
        ]
        raise BadRequest("The field definitions are not valid", details=details) from None
    errors = _level_errors(fields, "fields", depth=1)
    if errors:
        raise BadRequest("The field definitions are not valid", details=errors)
    return fields


def stored_fields(fields: Sequence[FieldDefinition]) -> list[dict[str, Any]]:
    """The full, normalised form kept in the database and returned by the API."""
    return [f.model_dump(mode="json", by_alias=True) for f in fields]


def _level_errors(fields: Sequence[FieldDefinition], path: str, depth: int) -> list[ErrorDetail]:
    errors = _duplicates([f.name for f in fields], path, "name", "field name")
    for index, definition in enumerate(fields):
        errors += _field_errors(definition, f"{path}[{index}]", depth)
    return errors


def _duplicates(values: Sequence[str], path: str, key: str, what: str) -> list[ErrorDetail]:
    first_seen: dict[str, int] = {}
    errors = []
    for index, value in enumerate(values):
        if value in first_seen:
            message = f"duplicate {what} '{value}' (first used at index {first_seen[value]})"
            errors.append(ErrorDetail(f"{path}[{index}].{key}", message))
        first_seen.setdefault(value, index)
    return errors


def _field_errors(definition: FieldDefinition, path: str, depth: int) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    where = f"{path}.properties"
    if definition.type is not FieldType.OBJECT:
        if definition.properties:
            errors.append(ErrorDetail(where, "only object fields may have properties"))
    elif not definition.properties:
        errors.append(ErrorDetail(where, "an object field needs at least one property"))
    elif depth >= MAX_DEPTH:
        errors.append(ErrorDetail(where, f"objects may be nested at most {MAX_DEPTH} levels"))
    else:
        errors += _level_errors(definition.properties, where, depth + 1)
    return errors + _possible_value_errors(definition, f"{path}.possibleValues")


def _possible_value_errors(definition: FieldDefinition, path: str) -> list[ErrorDetail]:
    values = definition.possible_values or []
    if values and definition.type is not FieldType.TEXT:
        return [ErrorDetail(path, "only text fields may have possibleValues")]
    errors = _duplicates([v.id for v in values], path, "id", "id")
    blank = [i for i, v in enumerate(values) if not v.label.strip()]
    return errors + [ErrorDetail(f"{path}[{i}].label", "label must not be blank") for i in blank]


def _checked_fields(value: Any, _handler: Any) -> list[FieldDefinition]:
    """Run `parse_fields` in place of pydantic's own pass, for its exact error paths."""
    return parse_fields(value)


CheckedFields = Annotated[TopLevelFields, WrapValidator(_checked_fields)]


class SchemaCreate(StrictInput):
    """`POST /api/schema`. `webhookEndpointIds` must name the caller's own webhook endpoints
    (checked by the service, quarry/webhooks/bindings.py)."""

    name: SchemaName
    description: Description | None = None
    fields: CheckedFields
    webhook_endpoint_ids: WebhookEndpointIds = Field(default_factory=list)
    engine: EngineName | None = None

    def columns(self) -> dict[str, Any]:
        """The columns of a new schema, in their stored form."""
        return {
            "name": self.name,
            "description": self.description,
            "fields": stored_fields(self.fields),
            "webhook_endpoint_ids": _unique(self.webhook_endpoint_ids),
            "engine": self.engine,
        }


class SchemaUpdate(StrictInput):
    """`PATCH /api/schema/:id`: any of the create keys; `description` and `engine` may be set
    to null (for `engine`: back to the server's default)."""

    name: SchemaName | None = None
    description: Description | None = None
    fields: CheckedFields | None = None
    webhook_endpoint_ids: WebhookEndpointIds | None = None
    engine: EngineName | None = None

    @field_validator("name", "fields", "webhook_endpoint_ids", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_nullable", "may not be null")
        return value

    def columns(self) -> dict[str, Any]:
        """The columns this update sets, in their stored form."""
        values = {name: getattr(self, name) for name in self.model_fields_set}
        if self.fields is not None:
            values["fields"] = stored_fields(self.fields)
        if self.webhook_endpoint_ids is not None:
            values["webhook_endpoint_ids"] = _unique(self.webhook_endpoint_ids)
        return values


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


class SchemaRead(ApiModel):
    """A schema; `version` grows by one whenever its fields change."""

    id: str
    name: str
    description: str | None
    fields: list[FieldDefinition]
    version: int
    webhook_endpoint_ids: list[str]
    engine: str | None = Field(
        None, description="Quarry extension: this schema's engine; null = the server default"
    )
    created_at: Timestamp
    updated_at: Timestamp


class SchemaVersionRead(ApiModel):
    """The fields of one version of a schema; versions never change once written."""

    schema_id: str
    version: int
    fields: list[FieldDefinition]
    created_at: Timestamp
