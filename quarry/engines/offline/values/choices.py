"""`possibleValues`: map extracted text to one of the allowed labels, or to nothing.

Exact (case-insensitive) wins; then a single label printed as whole words inside the text
("Paid by Card" → "Card"); then, only with `fuzzyMatch`, the closest label scoring at least
`fuzzyThreshold` (rapidfuzz WRatio, 0-100).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from quarry.core.fields import PossibleValue

_CONTAINED_SCORE = 0.9


@dataclass(frozen=True)
class Choice:
    label: str
    score: float  # 0-1


def match_choice(
    text: str,
    options: Sequence[PossibleValue],
    *,
    fuzzy: bool = False,
    threshold: int = 85,
) -> Choice | None:
    folded = text.strip().casefold()
    for option in options:
        if option.label.strip().casefold() == folded:
            return Choice(option.label, 1.0)
    contained = [o.label for o in options if _contains(folded, o.label.strip().casefold())]
    if len(contained) == 1:
        return Choice(contained[0], _CONTAINED_SCORE)
    if not fuzzy:
        return None
    best = process.extractOne(
        text,
        [o.label for o in options],
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=threshold,
    )
    return Choice(best[0], best[1] / 100) if best else None


def _contains(text: str, label: str) -> bool:
    return bool(label) and re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text) is not None
