"""Result values checked against a schema's fields (spec section 2, "Values in results").

`validate_values` returns the normalised values and every problem, each with the path of the
value it concerns (`total`, `vendor.name`, `line_items[2].amount`). The rules:

- text: a JSON string. number: a JSON number (int or float, finite); `true` and numeric
  strings such as `"12.5"` are refused, so a typo is never silently turned into a number.
  date: a `YYYY-MM-DD` string naming a real day. boolean: `true` or `false`.
  object: a JSON object holding only the field's properties; missing ones become null.
- `isArray` fields take a list of such values; an item may not be null.
- null is accepted for every field, required or not: `required` tells engines what to look
  for, and a reviewer must be able to say "this is not in the document".
- `possibleValues`: the value must be one of the labels exactly; with `fuzzyMatch`, a value
  whose rapidfuzz `ratio` (case and punctuation ignored) to the closest label reaches
  `fuzzyThreshold` is replaced by that label.
- Unknown field names are refused at every level.
- `partial=True` (a correction naming some fields) returns only the top-level fields given;
  `partial=False` (a whole result) returns every top-level field, missing ones as null.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process, utils

from quarry.core.errors import ErrorDetail
from quarry.core.fields import FieldSpec, FieldType

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LABELS_SHOWN = 10


class _Invalid(ValueError):
    """One value does not fit its field; the message is shown to the user."""


def empty_result(specs: Sequence[FieldSpec]) -> dict[str, Any]:
    """A result with every top-level field present and null (arrays too)."""
    return {spec.name: None for spec in specs}


def validate_values(
    specs: Sequence[FieldSpec], values: Mapping[str, Any], *, partial: bool
) -> tuple[dict[str, Any], list[ErrorDetail]]:
    """The values normalised against `specs`, and every problem found (empty when valid)."""
    errors: list[ErrorDetail] = []
    result = _object(specs, values, "", errors, fill_missing=not partial)
    return result, errors


def match_possible_value(spec: FieldSpec, value: str) -> str | None:
    """The label `value` stands for: itself if it is a label, else the closest label when
    `fuzzyMatch` is on and the score reaches `fuzzyThreshold`; None if nothing fits."""
    labels = [choice.label for choice in spec.possible_values]
    if value in labels:
        return value
    if not spec.fuzzy_match:
        return None
    best = process.extractOne(
        value,
        labels,
        scorer=fuzz.ratio,
        processor=utils.default_process,
        score_cutoff=spec.fuzzy_threshold,
    )
    return None if best is None else best[0]


def _object(
    specs: Sequence[FieldSpec],
    values: Mapping[str, Any],
    prefix: str,
    errors: list[ErrorDetail],
    *,
    fill_missing: bool,
) -> dict[str, Any]:
    known = {spec.name for spec in specs}
    errors += [ErrorDetail(_join(prefix, k), "unknown field") for k in values if k not in known]
    result: dict[str, Any] = {}
    for spec in specs:
        if spec.name in values:
            result[spec.name] = _field(spec, values[spec.name], _join(prefix, spec.name), errors)
        elif fill_missing:
            result[spec.name] = None
    return result


def _field(spec: FieldSpec, value: Any, path: str, errors: list[ErrorDetail]) -> Any:
    if value is None:
        return None
    if not spec.is_array:
        return _item(spec, value, path, errors)
    if not isinstance(value, list):
        errors.append(ErrorDetail(path, "expected an array"))
        return None
    return [_item(spec, item, f"{path}[{i}]", errors) for i, item in enumerate(value)]


def _item(spec: FieldSpec, value: Any, path: str, errors: list[ErrorDetail]) -> Any:
    if value is None:
        errors.append(ErrorDetail(path, "array items may not be null"))
        return None
    if spec.type is FieldType.OBJECT:
        if not isinstance(value, Mapping):
            errors.append(ErrorDetail(path, "expected an object"))
            return None
        return _object(spec.properties, value, path, errors, fill_missing=True)
    try:
        return _SCALARS[spec.type](spec, value)
    except _Invalid as exc:
        errors.append(ErrorDetail(path, str(exc)))
        return None


def _text(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("expected a string")
    if not spec.possible_values:
        return value
    label = match_possible_value(spec, value)
    if label is None:
        raise _Invalid(f"'{value}' is not an allowed value; expected one of {_labels(spec)}")
    return label


def _number(spec: FieldSpec, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid("expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid("expected a finite number")
    return value


def _date(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _Invalid("expected a date as YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"'{value}' is not a real date") from None
    return value


def _boolean(spec: FieldSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("expected true or false")
    return value


_SCALARS: dict[FieldType, Callable[[FieldSpec, Any], Any]] = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.BOOLEAN: _boolean,
}


def _labels(spec: FieldSpec) -> str:
    labels = [f"'{choice.label}'" for choice in spec.possible_values]
    shown = ", ".join(labels[:_LABELS_SHOWN])
    return shown + (
        f" and {len(labels) - _LABELS_SHOWN} more" if len(labels) > _LABELS_SHOWN else ""
    )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name
