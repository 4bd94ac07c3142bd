"""The offline engine: honest extraction from the document's own words, no model, no network.

Pipeline per document: index lines into segments → find every label of every field at once
(so labels compete, and roles no field took act as distractors) → per field, read typed values
in the regions after or under its labels, or from the layout for the seller's name and address
→ choose total, subtotal and tax together so the document's arithmetic holds → arrays of
objects from tables → `possibleValues` → details. A value is read off the page (with its page,
box and source text) or it is null with a `nullReason`; the few values inferred rather than
read (a currency from the country) are marked `grounded: false`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.base import EngineContext, ExtractionResult, NullReason
from quarry.engines.offline.candidates import Target
from quarry.engines.offline.context import DocumentContext
from quarry.engines.offline.details import Detail, grounded, null
from quarry.engines.offline.layout_index import LayoutIndex
from quarry.engines.offline.line_items import extract_rows
from quarry.engines.offline.resolvers import resolve
from quarry.parsing.model import ParsedDocument

ENGINE_NAME = "offline"
ENGINE_VERSION = "2.1.0"


class OfflineEngine:
    name = ENGINE_NAME
    version = ENGINE_VERSION

    def extract(self, document: ParsedDocument, context: EngineContext) -> ExtractionResult:
        index = LayoutIndex(document)
        values: dict[str, Any] = {}
        details: dict[str, Detail] = {}
        if index.word_count == 0:
            for spec in context.fields:  # nothing was read: say so rather than "not there"
                values[spec.name] = None
                details[spec.name] = null(NullReason.NOT_EXTRACTED)
        else:
            _Run(document, index, context.fields).fill(values, details)
        return ExtractionResult(
            fields=values,
            field_details=details,
            engine={"name": self.name, "version": self.version},
            pages=len(document.pages),
            warnings=document.warnings,
        )


class _Run:
    """One document, one schema: labels found once, then every field filled."""

    def __init__(
        self, document: ParsedDocument, index: LayoutIndex, fields: Sequence[FieldSpec]
    ) -> None:
        self.document = document
        self.fields = fields
        targets = [t for spec in fields for t in _targets(spec, spec.name)]
        self.ctx = DocumentContext(index, targets)

    def fill(self, values: dict[str, Any], details: dict[str, Detail]) -> None:
        for spec in self.fields:
            values[spec.name] = self._value(spec, spec.name, details)

    def _value(self, spec: FieldSpec, path: str, details: dict[str, Detail]) -> Any:
        if spec.is_array:
            return self._array(spec, path, details)
        if spec.type is FieldType.OBJECT:
            found = {p.name: self._value(p, f"{path}.{p.name}", details) for p in spec.properties}
            return found if any(v is not None for v in found.values()) else None
        value, detail = resolve(self.ctx, Target(path, spec))
        details[path] = detail
        return value

    def _array(self, spec: FieldSpec, path: str, details: dict[str, Detail]) -> Any:
        if spec.type is FieldType.OBJECT:
            rows = extract_rows(self.document, self.ctx, spec.properties)
            if not rows:
                details[path] = null(NullReason.NOT_IN_DOCUMENT)
                return None
            items = []
            for number, row in enumerate(rows):
                item: dict[str, Any] = {}
                for prop in spec.properties:
                    cell = row.get(prop.name)
                    key = f"{path}[{number}].{prop.name}"
                    item[prop.name] = cell.value if cell is not None else None
                    details[key] = (
                        grounded(cell.words, cell.page, cell.confidence)
                        if cell is not None
                        else null(NullReason.NOT_IN_DOCUMENT)
                    )
                items.append(item)
            details[path] = {
                "confidence": round(min(r.confidence for r in rows), 3),
                "page": next(iter(rows[0].cells.values())).page,
                "bbox": None,
                "text": None,
                "grounded": True,
            }
            return items
        return self._scalar_array(spec, path, details)

    def _scalar_array(self, spec: FieldSpec, path: str, details: dict[str, Detail]) -> Any:
        found = self.ctx.candidates_for(Target(path, spec))
        values: list[Any] = []
        for candidate in found:
            if candidate.reading.value in values:
                continue
            key = f"{path}[{len(values)}]"
            details[key] = grounded(candidate.reading.words, candidate.page, candidate.confidence)
            values.append(candidate.reading.value)
        if not values:
            details[path] = null(NullReason.NOT_IN_DOCUMENT)
            return None
        first = details[f"{path}[0]"]
        details[path] = {**first, "bbox": None, "text": None}
        return values


def _targets(spec: FieldSpec, path: str) -> Iterator[Target]:
    if spec.type is FieldType.OBJECT:
        if spec.is_array:
            return  # arrays of objects come from tables
        for prop in spec.properties:
            yield from _targets(prop, f"{path}.{prop.name}")
    else:
        yield Target(path, spec)
