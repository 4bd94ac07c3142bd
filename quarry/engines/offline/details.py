"""`fieldDetails` entries (spec section 3): grounded values and explained nulls."""

from __future__ import annotations

from typing import Any

from quarry.engines.base import NullReason
from quarry.engines.offline.layout_index import words_box
from quarry.parsing.model import Word

Detail = dict[str, Any]


def grounded(words: tuple[Word, ...], page: int, confidence: float) -> Detail:
    return {
        "confidence": round(confidence, 3),
        "page": page,
        "bbox": _bbox(words),
        "text": " ".join(w.text for w in words),
        "grounded": True,
    }


def null(reason: NullReason, *, words: tuple[Word, ...] = (), page: int | None = None) -> Detail:
    """A null value; `words`/`page` point at what was seen (a label, a rejected value)."""
    return {
        "confidence": 0.0,
        "page": page if words else None,
        "bbox": _bbox(words) if words else None,
        "text": " ".join(w.text for w in words) if words else None,
        "grounded": False,
        "nullReason": reason.value,
    }


def _bbox(words: tuple[Word, ...]) -> list[float]:
    return [round(v, 5) for v in words_box(words)]
