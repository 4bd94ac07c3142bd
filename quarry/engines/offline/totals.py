"""Total, subtotal and tax chosen together, so that the arithmetic of the document holds.

Labels alone mislead on receipts: "Total 5.57 0.33" in a tax summary, "CASH 50.00", an OCR
slip in "Total Sales Incl GST 51.90". Each combination of the best few candidates for the three
amounts is scored by its labels' ranks plus what the document confirms:

    subtotal + tax = total                                   +0.6 (+0.3 within rounding)
    cash tendered − change = total                           +0.5
    cash tendered = total, no change printed                 +0.2
    another total + the rounding adjustment = total          +0.5
    two amounts on another line add up to the total          +0.4 (a tax summary row)
    the same total printed under two different labels        +0.1
    total below the subtotal, or tax not below the total     −0.5

A missing subtotal or tax is then derived from the other two only when the difference is
printed in the document, so it is still grounded.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from quarry.engines.offline.candidates import Candidate

TOP = 5
EXACT = 0.006  # cents must agree: 100.00 − 19.10 is 80.90, not 80.91
ROUNDING = 0.051
_SUM_BONUS = 0.6
_ROUNDED_SUM_BONUS = 0.3
_TENDERED_BONUS = 0.5
_PAIR_BONUS = 0.4
_EXACT_TENDER_BONUS = 0.2
_ROUNDED_BONUS = 0.5
_REPEAT_BONUS = 0.1
_ORDER_PENALTY = 0.5
_PART_WEIGHT = 0.3


@dataclass(frozen=True)
class Amounts:
    total: Candidate | None
    subtotal: Candidate | None
    tax: Candidate | None


def reconcile(
    found: Mapping[str, Sequence[Candidate]], line_amounts: Sequence[Sequence[float]]
) -> Amounts:
    """The best-supported (total, subtotal, tax); `found` is keyed by role key."""
    totals = [c for c in _distinct(found.get("total", ())) if float(c.reading.value) > 0]
    subtotals = [None, *_distinct(found.get("subtotal", ()))]
    taxes = [None, *_distinct(found.get("tax", ()))]
    if not totals:
        return Amounts(None, _first(subtotals), _first(taxes))
    context = _Context(found, line_amounts)
    best = max(
        itertools.product(totals, subtotals, taxes),
        key=lambda combo: context.score(*combo),
    )
    return Amounts(*best)


def _first(options: Sequence[Candidate | None]) -> Candidate | None:
    return next((o for o in options if o is not None), None)


def _distinct(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The best candidate per value, in rank order, at most TOP."""
    seen: dict[float, Candidate] = {}
    for candidate in candidates:
        value = candidate.reading.value
        if isinstance(value, int | float) and value not in seen:
            seen[float(value)] = candidate
        if len(seen) >= TOP:
            break
    return list(seen.values())


class _Context:
    def __init__(
        self, found: Mapping[str, Sequence[Candidate]], line_amounts: Sequence[Sequence[float]]
    ) -> None:
        self.tendered = _values(found.get("tendered", ()))
        self.change = _values(found.get("change", ()))
        self.rounding = _values(found.get("rounding", ()))
        self.totals = _values(found.get("total", ()))
        self.line_amounts = line_amounts
        self.labelled: dict[float, set[str]] = {}
        for candidate in found.get("total", ()):
            phrase = candidate.label.phrase if candidate.label else ""
            self.labelled.setdefault(float(candidate.reading.value), set()).add(phrase)

    def score(self, total: Candidate, subtotal: Candidate | None, tax: Candidate | None) -> float:
        t = float(total.reading.value)
        score = total.rank
        score += _PART_WEIGHT * sum(c.rank for c in (subtotal, tax) if c is not None)
        if subtotal is not None and tax is not None:
            score += _sum_bonus(float(subtotal.reading.value) + float(tax.reading.value), t)
        if subtotal is not None and t < float(subtotal.reading.value) - EXACT:
            score -= _ORDER_PENALTY
        if tax is not None and float(tax.reading.value) >= t > 0:
            score -= _ORDER_PENALTY
        return score + self._support(t)

    def _support(self, total: float) -> float:
        bonus = 0.0
        if any(abs(p - c - total) < EXACT for p in self.tendered for c in self.change):
            bonus += _TENDERED_BONUS
        elif not self.change and any(abs(p - total) < EXACT for p in self.tendered):
            bonus += _EXACT_TENDER_BONUS  # paid exactly, no change printed
        if any(
            abs(other + r - total) < EXACT and r != 0
            for other in self.totals
            for r in self.rounding
        ):
            bonus += _ROUNDED_BONUS  # the total after the rounding adjustment
        if any(_pair_sums(amounts, total) for amounts in self.line_amounts):
            bonus += _PAIR_BONUS
        if len(self.labelled.get(total, ())) > 1:
            bonus += _REPEAT_BONUS
        return bonus


def _sum_bonus(parts: float, total: float) -> float:
    if abs(parts - total) < EXACT:
        return _SUM_BONUS
    if abs(parts - total) < ROUNDING:
        return _ROUNDED_SUM_BONUS
    return 0.0


def _pair_sums(amounts: Sequence[float], total: float) -> bool:
    return any(
        abs(a + b - total) < EXACT and a > 0 and b > 0
        for a, b in itertools.combinations(amounts, 2)
    )


def _values(candidates: Iterable[Candidate]) -> list[float]:
    return [float(c.reading.value) for c in candidates][:TOP]


def difference(total: Candidate | None, part: Candidate | None) -> float | None:
    """total − part, rounded to cents, when both are known and the result is positive."""
    if total is None or part is None:
        return None
    value = round(float(total.reading.value) - float(part.reading.value), 2)
    return value if value > 0 else None
