"""Where a label's value may be: after it on the same line, or under it on the lines below.

A region stops where another label starts, so "Invoice No: 42  Date: 1/2/24" gives the
invoice number "42" and never the date.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from quarry.engines.offline.labels import LabelHit
from quarry.engines.offline.layout_index import IndexedLine, LayoutIndex, words_box
from quarry.parsing.model import Word

SAME_SEGMENT = 1.0
LATER_SEGMENT = 1.0  # a column gap between label and value is as normal as a colon
BELOW = (0.85, 0.75, 0.65)

LabelStarts = frozenset[tuple[int, int, int]]  # (line number, segment, word) where labels begin


@dataclass(frozen=True)
class Region:
    segments: tuple[tuple[Word, ...], ...]
    line: IndexedLine
    factor: float

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(word for segment in self.segments for word in segment)


def label_starts(hits: Sequence[LabelHit]) -> LabelStarts:
    return frozenset((h.line.number, h.segment, h.first_word) for h in hits)


def regions(hit: LabelHit, index: LayoutIndex, starts: LabelStarts) -> Iterator[Region]:
    same_line = _same_line(hit, starts)
    if same_line:
        factor = SAME_SEGMENT if same_line[0] else LATER_SEGMENT
        yield Region(tuple(s for s in same_line if s), hit.line, factor)
    span = words_box(hit.words)
    for depth, (line, words) in enumerate(index.below(hit.line, span)):
        segment = next(i for i, s in enumerate(line.segments) if words[0] in s.words)
        offset = line.segments[segment].words.index(words[0])
        if (line.number, segment, offset) in starts:
            return  # the line below starts with another label
        kept = _until_label(words, line.number, segment, offset, starts)
        if kept:
            yield Region((kept,), line, BELOW[depth])


def _same_line(hit: LabelHit, starts: LabelStarts) -> list[tuple[Word, ...]]:
    line = hit.line
    parts: list[tuple[Word, ...]] = []
    for number in range(hit.segment, len(line.segments)):
        words = line.segments[number].words
        offset = hit.last_word + 1 if number == hit.segment else 0
        kept = _until_label(words[offset:], line.number, number, offset, starts)
        parts.append(kept)
        if len(kept) < len(words) - offset:
            break
    return parts if any(parts) else []


def _until_label(
    words: Sequence[Word], line: int, segment: int, offset: int, starts: LabelStarts
) -> tuple[Word, ...]:
    kept: list[Word] = []
    for position, word in enumerate(words):
        if (line, segment, offset + position) in starts:
            break
        kept.append(word)
    return tuple(kept)
