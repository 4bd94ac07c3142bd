"""Candidates for one field: label hits → regions → typed readings, ranked.

Rank = label similarity × where the value sits (same segment, later on the line, below) ×
how cleanly it read × a bonus for longer label phrases. Summary amounts (`Role.prefer_last`)
take the last of equally ranked candidates, everything else the first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from quarry.core.fields import FieldSpec
from quarry.engines.offline.field_roles import role_of
from quarry.engines.offline.labels import LabelHit
from quarry.engines.offline.layout_index import LayoutIndex
from quarry.engines.offline.readers import Hints, Reading, read, read_positive_money
from quarry.engines.offline.regions import LabelStarts, Region, regions
from quarry.engines.offline.roles import Role, Shape
from quarry.engines.offline.vocabulary import shape_of

_PHRASE_BONUS = 0.1
_RUNNING_NAME_FACTOR = 0.5
_MAX_CONFIDENCE = 0.99


@dataclass(frozen=True)
class Target:
    """One scalar value to fill: a top-level field or a property of an object field."""

    path: str
    spec: FieldSpec

    @property
    def shape(self) -> Shape:
        return shape_of(self.spec)

    @property
    def role(self) -> Role | None:
        return role_of(self.spec)


@dataclass(frozen=True)
class Candidate:
    reading: Reading
    page: int
    confidence: float
    rank: float
    order: int  # reading order of the label (or of the value, for fallbacks)
    label: LabelHit | None = None


def candidates(
    target: Target, hits: Sequence[LabelHit], index: LayoutIndex, starts: LabelStarts, hints: Hints
) -> list[Candidate]:
    """Readable candidates for `target`, best first."""
    found = list(_from_hits(target, hits, index, starts, hints))
    prefer_last = target.role is not None and target.role.prefer_last
    found.sort(key=lambda c: (round(c.rank, 3), c.order if prefer_last else -c.order), reverse=True)
    return found


def _runs_on(hit: LabelHit, region: Region) -> bool:
    """A name label with its name right after it, no colon between: "Fournisseur F SARL au
    capital de…", "Le vendeur reste propriétaire…" are sentences, not a label and a value."""
    words = hit.line.segments[hit.segment].words
    if region.line is not hit.line or not region.segments or hit.last_word + 1 >= len(words):
        return False
    following = words[hit.last_word + 1]
    return following in region.segments[0] and not (
        words[hit.last_word].text.endswith(":") or following.text.startswith(":")
    )


def _from_hits(
    target: Target, hits: Sequence[LabelHit], index: LayoutIndex, starts: LabelStarts, hints: Hints
) -> Iterator[Candidate]:
    for hit in hits:
        for region in regions(hit, index, starts):
            reading = (
                read_positive_money(region.segments, hints)
                if target.shape is Shape.MONEY
                and target.role is not None
                and target.role.key == "total"
                else read(target.shape, region.segments, hints)
            )
            if reading is None:
                continue
            quality = hit.score * region.factor * reading.quality
            if target.shape is Shape.NAME and _runs_on(hit, region):
                quality *= _RUNNING_NAME_FACTOR
            yield Candidate(
                reading=reading,
                page=region.line.page,
                confidence=min(quality, _MAX_CONFIDENCE),
                rank=quality * (1 + _PHRASE_BONUS * (hit.tokens - 1)),
                order=hit.line.number,
                label=hit,
            )
            break
