"""The document as the engine reads it: lines split into segments, with normalised tokens.

A segment is a run of words on one line without a wide gap; "Invoice No: 42   Date: 1/2/24"
printed in two columns is two segments. Gaps are measured in the line's own average character
width, so the rule is the same for PDF points and for the character grid of text formats.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from quarry.engines.offline.vocabulary import tokens
from quarry.parsing.model import BBox, Line, ParsedDocument, Word, union_bbox

_SEGMENT_GAP_CHARS = 2.0
_BELOW_LINES = 3
_NUMBER_MARK = re.compile(r"^((?:[Nn][°º]|[Nn][Oo]\.|[Nn][Rr]\.|[Nn][Rr]):?)(\w*\d[\w/-]*)$")


@dataclass(frozen=True)
class Segment:
    words: tuple[Word, ...]
    tokens: tuple[tuple[str, int], ...]  # (normalised token, index of its word)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class IndexedLine:
    number: int  # position in the whole document, reading order
    page: int
    line: Line
    segments: tuple[Segment, ...]


class LayoutIndex:
    def __init__(self, document: ParsedDocument) -> None:
        self.lines: tuple[IndexedLine, ...] = tuple(_index(document))
        self.word_count = sum(len(line.line.words) for line in self.lines)

    def texts(self) -> Iterator[str]:
        for line in self.lines:
            yield line.line.text

    def below(
        self, line: IndexedLine, span: BBox
    ) -> Iterator[tuple[IndexedLine, tuple[Word, ...]]]:
        """For the next few lines on the same page: the words under `span` horizontally."""
        for other in self.lines[line.number + 1 : line.number + 1 + _BELOW_LINES]:
            if other.page != line.page:
                return
            for segment in other.segments:
                under = tuple(w for w in segment.words if _overlaps(w.bbox, span))
                if under:
                    start = segment.words.index(under[0])
                    yield other, segment.words[start:]
                    break


def _overlaps(box: BBox, span: BBox) -> bool:
    return box[0] < span[2] and box[2] > span[0]


def _index(document: ParsedDocument) -> Iterator[IndexedLine]:
    number = 0
    for page in document.pages:
        for line in page.lines:
            yield IndexedLine(number, page.number, line, tuple(_segments(line.words)))
            number += 1


def _segments(words: Sequence[Word]) -> Iterator[Segment]:
    if not words:
        return
    char_width = _char_width(words)
    run: list[Word] = [words[0]]
    for word in words[1:]:
        if word.bbox[0] - run[-1].bbox[2] > _SEGMENT_GAP_CHARS * char_width:
            yield _segment(run)
            run = []
        run.append(word)
    yield _segment(run)


def _segment(words: Sequence[Word]) -> Segment:
    split = [part for word in words for part in split_number_mark(word)]
    indexed = tuple((token, i) for i, w in enumerate(split) for token in tokens(w.text))
    return Segment(tuple(split), indexed)


def split_number_mark(word: Word) -> tuple[Word, ...]:
    """ "n°562044387" → "n°", "562044387" (boxes split by character share)."""
    match = _NUMBER_MARK.match(word.text)
    if match is None:
        return (word,)
    cut = match.end(1)
    x0, y0, x1, y1 = word.bbox
    middle = x0 + (x1 - x0) * cut / len(word.text)
    return (
        Word(word.text[:cut], (x0, y0, middle, y1)),
        Word(word.text[cut:], (middle, y0, x1, y1)),
    )


def _char_width(words: Sequence[Word]) -> float:
    width = sum(w.bbox[2] - w.bbox[0] for w in words)
    chars = sum(len(w.text) for w in words)
    return width / chars if chars else 0.0


def words_box(words: Sequence[Word]) -> BBox:
    return union_bbox(w.bbox for w in words)
