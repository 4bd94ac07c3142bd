"""A model's answer made into result values: light coercion, then the schema's own checks.

Models are told the types, but an answer may still carry `"1,234.50"` for a number, `"yes"`
for a boolean or `"2024-03-01T00:00:00"` for a date; those are read before `validate_values`
(partial=False) checks everything. A value that still fails becomes null, with nullReason
NOT_ALLOWED_VALUE (a text outside `possibleValues`) or NOT_EXTRACTED (anything else); an
array item that fails is left out. A field the answer leaves out (its key missing, though the
schema requires it) is null with NOT_EXTRACTED: the model did not say it is absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quarry.core.field_values import validate_values
from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.base import NullReason

_PATH_PART = re.compile(r"([^.\[\]]+)(?:\[\d+\])?")
_NUMBER_TEXT = re.compile(r"[^\d\-+]*([-+]?\d[\d.,' ]*)[^\d]*")
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


@dataclass(frozen=True)
class Answer:
    """One chunk's checked values, the pages it covered, and why some values are null."""

    values: dict[str, Any]
    pages: tuple[int, ...]
    problems: dict[str, NullReason] = field(default_factory=dict)


def checked_answer(
    specs: Sequence[FieldSpec], data: Mapping[str, Any], pages: tuple[int, ...]
) -> Answer:
    values, errors = validate_values(specs, coerce(specs, data), partial=False)
    problems: dict[str, NullReason] = {}
    for error in errors:
        spec = spec_at(specs, error.field)
        if spec is None:  # an unknown key: dropped already
            continue
        problems[error.field] = (
            NullReason.NOT_ALLOWED_VALUE if spec.possible_values else NullReason.NOT_EXTRACTED
        )
    for spec in specs:
        if spec.name not in data:
            problems.setdefault(spec.name, NullReason.NOT_EXTRACTED)
    return Answer(_without_null_items(specs, values), pages, problems)


def spec_at(specs: Sequence[FieldSpec], path: str) -> FieldSpec | None:
    """The field a value path (`line_items[2].amount`) belongs to."""
    found: FieldSpec | None = None
    level = specs
    for name in _PATH_PART.findall(path):
        found = next((s for s in level if s.name == name), None)
        if found is None:
            return None
        level = found.properties
    return found


def coerce(specs: Sequence[FieldSpec], data: Mapping[str, Any]) -> dict[str, Any]:
    by_name = {spec.name: spec for spec in specs}
    return {
        key: _field(by_name[key], value) if key in by_name else value for key, value in data.items()
    }


def _field(spec: FieldSpec, value: Any) -> Any:
    if spec.is_array:
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        return [_item(spec, item) for item in items]
    return _item(spec, value)


def _item(spec: FieldSpec, value: Any) -> Any:
    if spec.type is FieldType.OBJECT:
        return coerce(spec.properties, value) if isinstance(value, Mapping) else value
    if not isinstance(value, str):
        return value
    text = value.strip()
    if spec.type is FieldType.NUMBER:
        return read_number(text) if text else None
    if spec.type is FieldType.BOOLEAN:
        lowered = text.casefold()
        return True if lowered in _TRUE else False if lowered in _FALSE else value
    if spec.type is FieldType.DATE:
        return text[:10].replace("/", "-") if re.match(r"\d{4}[-/]\d{2}[-/]\d{2}", text) else text
    return value if text else None


def read_number(text: str) -> float | int | str:
    """`1,234.56`, `1.234,56`, `$ 12`, `12 %` as numbers; anything else unchanged."""
    match = _NUMBER_TEXT.fullmatch(text)
    if match is None:
        return text
    digits = match.group(1).replace(" ", "").replace("'", "").rstrip(".,")
    comma, dot = digits.rfind(","), digits.rfind(".")
    if comma > dot and (dot >= 0 or len(digits) - comma - 1 != 3):
        digits = digits.replace(".", "").replace(",", ".")  # a decimal comma
    else:
        digits = digits.replace(",", "")
    try:
        number = float(digits)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in digits else number


def _without_null_items(specs: Sequence[FieldSpec], values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for spec in specs:
        value = cleaned.get(spec.name)
        if spec.is_array and isinstance(value, list):
            items = [item for item in value if item is not None]
            if spec.type is FieldType.OBJECT:
                items = [_without_null_items(spec.properties, item) for item in items]
            cleaned[spec.name] = items
        elif spec.type is FieldType.OBJECT and isinstance(value, dict):
            cleaned[spec.name] = _without_null_items(spec.properties, value)
    return cleaned
