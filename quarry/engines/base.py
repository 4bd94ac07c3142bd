"""The engine plug-in shape: a Protocol, a frozen context in, a frozen result out.

An engine gets a parsed document and everything else it needs in `EngineContext`; it never
reads settings, the database or the environment, and it knows nothing of users or jobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from quarry.core.fields import FieldSpec
from quarry.parsing.model import ParsedDocument


class NullReason(StrEnum):
    """Why a field's value is null (spec section 3, `fieldDetails[*].nullReason`)."""

    NOT_IN_DOCUMENT = "NOT_IN_DOCUMENT"  # looked for, not there
    NOT_EXTRACTED = "NOT_EXTRACTED"  # the engine cannot read it (type, no text layer, ...)
    NOT_ALLOWED_VALUE = "NOT_ALLOWED_VALUE"  # found, but not one of `possibleValues`
    ILLEGIBLE = "ILLEGIBLE"  # there, but unreadable


@dataclass(frozen=True)
class EngineContext:
    """What an engine gets besides the document. `options` are the engine's own settings
    (an LLM engine's base URL, key, model, timeouts), built by the worker from Settings; they
    may hold secrets, so they are kept out of `repr`."""

    fields: tuple[FieldSpec, ...]
    file_name: str
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ExtractionResult:
    """What an engine returns; `fields` has every top-level schema field (null when missing).

    `field_details` maps a path (`total`, `line_items[2].amount`) to
    `{confidence, page, bbox, text, grounded, nullReason?}`; `warnings` says what limited the
    result (no text layer, recovered damaged file, ...). `rotations` has each page's quarter
    turn (degrees clockwise) that the OCR applied to read it upright; the runner fills it in.
    """

    fields: dict[str, Any]
    field_details: dict[str, dict[str, Any]]
    engine: dict[str, Any]
    pages: int | None
    usage: dict[str, Any] | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    rotations: tuple[int, ...] = field(default_factory=tuple)


class Engine(Protocol):
    name: str
    version: str

    def extract(self, document: ParsedDocument, context: EngineContext) -> ExtractionResult: ...
