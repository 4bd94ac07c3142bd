"""`fieldDetails` entries (spec section 3): grounded values, inferred values and explained nulls."""

from __future__ import annotations

from typing import Any

from quarry.engines.base import NullReason
from quarry.engines.offline.layout_index import words_box
from quarry.parsing.model import Word

Detail = dict[str, Any]


# A value is only as sure as its reading: words OCR read with less than this confidence keep
# the value under 0.8 ("check this"), however well its label and place fit.
OCR_SURE = 0.9
OCR_UNSURE_CAP = 0.75


def grounded(words: tuple[Word, ...], page: int, confidence: float) -> Detail:
    box = _bbox(words) if words else None
    if words and min(w.confidence for w in words) < OCR_SURE:
        confidence = min(confidence, OCR_UNSURE_CAP)
    return {
        "confidence": round(confidence, 3),
        "page": page,
        "bbox": box if box and any(box) else None,
        "text": " ".join(w.text for w in words),
        "grounded": True,
    }


def inferred(evidence: tuple[Word, ...], page: int | None, confidence: float) -> Detail:
    """A value not printed as such (a currency read off the country in the address): the
    detail points at the evidence, and says the value itself was not found."""
    return {
        "confidence": round(confidence, 3),
        "page": page if evidence else None,
        "bbox": _bbox(evidence) if evidence else None,
        "text": " ".join(w.text for w in evidence) if evidence else None,
        "grounded": False,
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
