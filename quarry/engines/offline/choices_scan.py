"""`possibleValues` on top of the ranked candidates of a text field.

The first candidate that maps to an allowed label wins. When candidates exist but none maps,
the value is null with NOT_ALLOWED_VALUE (the detail points at what was read). Without any
candidate, an allowed label printed anywhere in the document is taken, with low confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quarry.core.fields import FieldSpec
from quarry.engines.base import NullReason
from quarry.engines.offline.candidates import Candidate
from quarry.engines.offline.details import Detail, grounded, null
from quarry.engines.offline.layout_index import LayoutIndex
from quarry.engines.offline.values.choices import match_choice
from quarry.engines.offline.vocabulary import normalise

_SCAN_CONFIDENCE = 0.5


def resolve_choices(
    spec: FieldSpec, found: Sequence[Candidate], index: LayoutIndex
) -> tuple[Any, Detail]:
    for candidate in found:
        choice = match_choice(
            str(candidate.reading.value),
            spec.possible_values,
            fuzzy=spec.fuzzy_match,
            threshold=spec.fuzzy_threshold,
        )
        if choice is not None:
            confidence = candidate.confidence * choice.score
            return choice.label, grounded(candidate.reading.words, candidate.page, confidence)
    if found:
        best = found[0]
        return None, null(NullReason.NOT_ALLOWED_VALUE, words=best.reading.words, page=best.page)
    return _scan(spec, index)


def _scan(spec: FieldSpec, index: LayoutIndex) -> tuple[Any, Detail]:
    for line in index.lines:
        for segment in line.segments:
            for option in spec.possible_values:
                words = _find_words(segment.words, option.label)
                if words:
                    return option.label, grounded(words, line.page, _SCAN_CONFIDENCE)
    return None, null(NullReason.NOT_IN_DOCUMENT)


def _find_words(words: Sequence[Any], label: str) -> tuple[Any, ...]:
    wanted = normalise(label).split()
    texts = [normalise(w.text).strip(":;,.") for w in words]
    for start in range(len(texts) - len(wanted) + 1):
        if wanted and texts[start : start + len(wanted)] == wanted:
            return tuple(words[start : start + len(wanted)])
    return ()
