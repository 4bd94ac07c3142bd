"""Schema field definitions as plain data, shared by schemas, engines and result validation.

The wire form (spec section 2) is
`{name, type, required=false, description?, isArray=false, properties?, possibleValues?,
fuzzyMatch=false, fuzzyThreshold=85}`; `FieldSpec.from_wire` reads an already validated one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    OBJECT = "object"


@dataclass(frozen=True)
class PossibleValue:
    id: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    required: bool = False
    description: str | None = None
    is_array: bool = False
    properties: tuple[FieldSpec, ...] = field(default_factory=tuple)
    possible_values: tuple[PossibleValue, ...] = field(default_factory=tuple)
    fuzzy_match: bool = False
    fuzzy_threshold: int = 85

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> FieldSpec:
        return cls(
            name=str(data["name"]),
            type=FieldType(data["type"]),
            required=bool(data.get("required", False)),
            description=data.get("description"),
            is_array=bool(data.get("isArray", False)),
            properties=tuple(cls.from_wire(p) for p in data.get("properties") or ()),
            possible_values=tuple(
                PossibleValue(id=str(v["id"]), label=str(v["label"]))
                for v in data.get("possibleValues") or ()
            ),
            fuzzy_match=bool(data.get("fuzzyMatch", False)),
            fuzzy_threshold=int(data.get("fuzzyThreshold", 85)),
        )


def specs_from_wire(fields: Iterable[Mapping[str, Any]]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec.from_wire(f) for f in fields)
