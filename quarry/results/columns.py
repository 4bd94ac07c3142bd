"""Table columns of a schema: top-level fields in schema order, objects flattened.

An object field (not an array) becomes one column per property, `parent.child` (recursively);
any array is one column holding the array. An array of objects also gets a table of its own
(`item_tables`), one row per item, keyed by the job id: a spreadsheet's line-items sheet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quarry.core.fields import FieldSpec, FieldType


@dataclass(frozen=True)
class Column:
    header: str
    path: tuple[str, ...]
    type: FieldType
    is_array: bool = False

    def value(self, values: Mapping[str, Any] | None) -> Any:
        """This column's value in `values` (None when missing or not an object on the way)."""
        current: Any = values
        for step in self.path:
            if not isinstance(current, Mapping):
                return None
            current = current.get(step)
        return current


@dataclass(frozen=True)
class ItemTable:
    """The items of one array-of-objects field, as rows of their own."""

    field: str
    columns: tuple[Column, ...]

    def rows(self, values: Mapping[str, Any] | None) -> list[list[Any]]:
        items = values.get(self.field) if values else None
        if not isinstance(items, list):
            return []
        return [[column.value(item) for column in self.columns] for item in items]


def field_columns(specs: Sequence[FieldSpec], prefix: tuple[str, ...] = ()) -> list[Column]:
    columns: list[Column] = []
    for spec in specs:
        path = (*prefix, spec.name)
        if spec.type is FieldType.OBJECT and not spec.is_array:
            columns += field_columns(spec.properties, path)
        else:
            columns.append(Column(".".join(path), path, spec.type, spec.is_array))
    return columns


def item_tables(specs: Sequence[FieldSpec]) -> list[ItemTable]:
    return [
        ItemTable(spec.name, tuple(field_columns(spec.properties)))
        for spec in specs
        if spec.type is FieldType.OBJECT and spec.is_array
    ]


def text_cell(value: Any) -> str:
    """A value as CSV text: empty for null, JSON for numbers, booleans, arrays and objects."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
