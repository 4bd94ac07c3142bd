"""The answers of a document's chunks merged into one result.

- scalars: the first non-null value found printed on its own chunk's pages (the shared
  `grounding.Grounder`); if none is, the first non-null value;
- objects: merged property by property, the same way;
- arrays: the chunks' items in order; an item equal (after normalising case, spaces and
  number formats) to one an *earlier* chunk gave is a duplicate and left out, so a line item
  repeated on the next page counts once, while two equal lines in one chunk both stay;
- a null keeps the reason a chunk gave for it (a failed check), if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.base import NullReason
from quarry.engines.grounding import Grounder
from quarry.engines.llm.answers import Answer
from quarry.parsing.model import ParsedDocument

Candidate = tuple[Any, Grounder]  # a chunk's value, and its pages indexed


def merge_answers(
    specs: Sequence[FieldSpec], answers: Sequence[Answer], document: ParsedDocument
) -> tuple[dict[str, Any], dict[str, NullReason]]:
    """One result, and the reasons for nulls, from the chunks' answers (in page order)."""
    grounders = [_pages(document, answer.pages) for answer in answers]
    values = {
        spec.name: _merge(
            spec, [(a.values.get(spec.name), g) for a, g in zip(answers, grounders, strict=True)]
        )
        for spec in specs
    }
    problems: dict[str, NullReason] = {}
    for answer in answers:
        for path, reason in answer.problems.items():
            problems.setdefault(path, reason)
    return values, problems


def _pages(document: ParsedDocument, numbers: tuple[int, ...]) -> Grounder:
    pages = tuple(page for page in document.pages if page.number in numbers)
    return Grounder(ParsedDocument(pages=pages, mime_type=document.mime_type))


def _merge(spec: FieldSpec, candidates: Sequence[Candidate]) -> Any:
    if spec.is_array:
        return _merge_arrays([value for value, _ in candidates])
    present = [(value, found) for value, found in candidates if value is not None]
    if not present:
        return None
    if spec.type is FieldType.OBJECT:
        merged = {
            prop.name: _merge(prop, [(v.get(prop.name), g) for v, g in present])
            for prop in spec.properties
        }
        return merged if any(v is not None for v in merged.values()) else None
    for value, grounder in present:
        if grounder.locate(value, spec.type).grounded:
            return value
    return present[0][0]


def _merge_arrays(lists: Sequence[Any]) -> list[Any] | None:
    given = [items for items in lists if isinstance(items, list)]
    if not given:
        return None
    merged: list[Any] = []
    for items in given:
        earlier = {normalised(item) for item in merged}
        merged += [item for item in items if normalised(item) not in earlier]
    return merged or None


def normalised(value: Any) -> Any:
    """A hashable form of a value under which trivially different spellings are equal."""
    if isinstance(value, dict):
        return tuple(sorted((k, normalised(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(normalised(v) for v in value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return round(float(value), 4)
    return " ".join(str(value).casefold().split())
