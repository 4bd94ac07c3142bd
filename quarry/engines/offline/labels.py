"""Finding labels: where each field's label phrases occur, fuzzily, and which one wins.

Phrases are compared token window by token window with rapidfuzz (`fuzz.ratio`); short phrases
(four characters or fewer, such as "tax" or "btw") must match exactly. When hits overlap in a
segment, the phrase with more tokens wins ("Due date" beats "date", "Total HT" beats "Total");
overlapping hits of equal length are all kept and the values decide.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from quarry.engines.offline.layout_index import IndexedLine, LayoutIndex, Segment
from quarry.engines.offline.vocabulary import Phrase
from quarry.parsing.model import Word

MIN_LABEL_SCORE = 88.0
_EXACT_ONLY_CHARS = 4
_MID_SEGMENT_FACTOR = 0.9


@dataclass(frozen=True)
class LabelHit:
    key: str
    phrase: str
    score: float  # 0-1: similarity, lowered for labels inside running text
    line: IndexedLine
    segment: int
    first_word: int
    last_word: int  # inclusive
    tokens: int

    @property
    def words(self) -> tuple[Word, ...]:
        return self.line.segments[self.segment].words[self.first_word : self.last_word + 1]


def find_hits(index: LayoutIndex, phrases: Mapping[str, Sequence[Phrase]]) -> list[LabelHit]:
    """Every winning label hit in the document, in reading order."""
    grouped: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for key, key_phrases in phrases.items():
        for phrase, weight in key_phrases:
            grouped[len(phrase.split())].append((phrase, key, weight))
    by_length = {
        length: _Phrases([p for p, _, _ in table], table) for length, table in grouped.items()
    }
    hits: list[LabelHit] = []
    for line in index.lines:
        for number, segment in enumerate(line.segments):
            found = list(_segment_hits(line, number, segment, by_length))
            hits.extend(_compete(found))
    return hits


@dataclass(frozen=True)
class _Phrases:
    """The phrases of one length (in tokens), and (phrase, key, weight) for each."""

    choices: list[str]
    table: list[tuple[str, str, float]]


def _segment_hits(
    line: IndexedLine,
    number: int,
    segment: Segment,
    by_length: Mapping[int, _Phrases],
) -> Iterator[LabelHit]:
    tokens = [token for token, _ in segment.tokens]
    for length, phrases in by_length.items():
        for start in range(len(tokens) - length + 1):
            window = " ".join(tokens[start : start + length])
            for _, score, position in process.extract(
                window, phrases.choices, scorer=fuzz.ratio, score_cutoff=MIN_LABEL_SCORE, limit=None
            ):
                phrase, key, weight = phrases.table[position]
                if len(phrase) <= _EXACT_ONLY_CHARS and window != phrase:
                    continue
                hit = _hit(
                    line=line,
                    number=number,
                    segment=segment,
                    key=key,
                    phrase=phrase,
                    score=score * weight,
                    start=start,
                    length=length,
                )
                if (
                    hit.tokens > 1
                    or hit.first_word == 0
                    or _ends_with_colon(segment, hit.last_word)
                ):
                    yield hit  # a lone word inside running text is not a label


def _hit(
    *,
    line: IndexedLine,
    number: int,
    segment: Segment,
    key: str,
    phrase: str,
    score: float,
    start: int,
    length: int,
) -> LabelHit:
    first_word = segment.tokens[start][1]
    last_word = segment.tokens[start + length - 1][1]
    factor = 1.0 if first_word == 0 or _ends_with_colon(segment, last_word) else _MID_SEGMENT_FACTOR
    return LabelHit(key, phrase, score / 100 * factor, line, number, first_word, last_word, length)


def _ends_with_colon(segment: Segment, last_word: int) -> bool:
    text = segment.words[last_word].text
    after = segment.words[last_word + 1].text if last_word + 1 < len(segment.words) else ""
    return text.endswith(":") or after.startswith(":")


def _compete(hits: list[LabelHit]) -> list[LabelHit]:
    kept: list[LabelHit] = []
    for hit in sorted(hits, key=lambda h: (-h.tokens, -h.score)):
        if not any(_overlap(hit, other) and other.tokens > hit.tokens for other in kept):
            kept.append(hit)
    best: dict[tuple[str, int], LabelHit] = {}
    for hit in kept:  # one hit per key and start word: the best phrase
        slot = (hit.key, hit.first_word)
        if slot not in best or hit.score > best[slot].score:
            best[slot] = hit
    ordered = sorted(best.values(), key=lambda h: h.first_word)
    return [hit for hit in ordered if not _inside_label(hit, ordered)]


def _inside_label(hit: LabelHit, hits: Sequence[LabelHit]) -> bool:
    """A one-word label printed after another label with no value between them is part of
    that label's text: "Total Sales (Inclusive of GST):" names the total, not the tax."""
    if hit.tokens > 1:
        return False
    words = hit.line.segments[hit.segment].words
    for other in hits:
        if other.last_word < hit.first_word:
            between = words[other.last_word + 1 : hit.first_word]
            if not any(ch.isdigit() for w in between for ch in w.text):
                return True
    return False


def _overlap(a: LabelHit, b: LabelHit) -> bool:
    return a.first_word <= b.last_word and b.first_word <= a.last_word
