"""Schema order for `fields` and `fieldDetails`.

PostgreSQL's `jsonb` stores an object's keys sorted by length, then bytes, so a result read back
from the database no longer lists its fields as the schema does. These functions put them back
in the schema's order: top-level fields as the schema lists them, an object's keys as its
`properties` list them, `fieldDetails` paths (`vendor`, `line_items[2].amount`) by the position
of each step. Keys the schema does not name (none, for validated results) keep their order after
the known ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from quarry.core.fields import FieldSpec, FieldType

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_UNKNOWN = 1 << 30


class SchemaOrder:
    """Puts results of one schema in its order; remembers the rank of each path it has seen
    (a run's records share their paths), so ordering many records stays cheap."""

    def __init__(self, specs: Sequence[FieldSpec]) -> None:
        self.specs = tuple(specs)
        self._ranks: dict[str, tuple[int, ...]] = {}

    def fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return order_fields(self.specs, values)

    def details(self, details: Mapping[str, Any]) -> dict[str, Any]:
        return dict(sorted(details.items(), key=lambda item: self.rank(item[0])))

    def rank(self, path: str) -> tuple[int, ...]:
        rank = self._ranks.get(path)
        if rank is None:
            rank = self._ranks[path] = path_rank(self.specs, path)
        return rank


def order_fields(specs: Sequence[FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` (an object of `specs`) with its keys, and its objects' keys, in schema order."""
    ordered = {spec.name: _value(spec, values[spec.name]) for spec in specs if spec.name in values}
    ordered.update((key, value) for key, value in values.items() if key not in ordered)
    return ordered


def order_details(specs: Sequence[FieldSpec], details: Mapping[str, Any]) -> dict[str, Any]:
    """`fieldDetails` with its paths in schema order (an array's items in index order)."""
    return SchemaOrder(specs).details(details)


def path_rank(specs: Sequence[FieldSpec], path: str) -> tuple[int, ...]:
    """A sort key of a field path: the position of every step in its schema level."""
    rank: list[int] = []
    level: Sequence[FieldSpec] = specs
    for name, index in _STEP.findall(path):
        if index:
            rank.append(int(index))
            continue
        position = next((i for i, spec in enumerate(level) if spec.name == name), _UNKNOWN)
        rank.append(position)
        level = level[position].properties if position != _UNKNOWN else ()
    return tuple(rank)


def _value(spec: FieldSpec, value: Any) -> Any:
    if spec.type is not FieldType.OBJECT or value is None:
        return value
    if spec.is_array and isinstance(value, list):
        return [_object(spec, item) for item in value]
    return _object(spec, value)


def _object(spec: FieldSpec, value: Any) -> Any:
    return order_fields(spec.properties, value) if isinstance(value, Mapping) else value
