"""Reading order: words with boxes → lines, shared by the PDF text layer and (later) OCR.

Lines are built from vertical overlap relative to word height, never from absolute page
fractions, so a 200,000-point page groups its text exactly like an A4 page does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from quarry.parsing.model import BBox, Line, Word

# Two words share a line when their vertical extents overlap by at least this share of the
# smaller one's height.
_MIN_VERTICAL_OVERLAP = 0.5


def group_lines(words: Iterable[Word]) -> tuple[Line, ...]:
    """Lines in reading order: top to bottom, then left to right."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (_centre_y(w.bbox), w.bbox[0])):
        row = rows[-1] if rows else None
        if row is not None and _same_row(row, word):
            row.append(word)
        else:
            rows.append([word])
    lines = [Line.from_words(row) for row in rows]
    return tuple(sorted(lines, key=lambda line: (round(line.bbox[1], 4), line.bbox[0])))


def _same_row(row: Sequence[Word], word: Word) -> bool:
    top = sum(w.bbox[1] for w in row) / len(row)
    bottom = sum(w.bbox[3] for w in row) / len(row)
    overlap = min(bottom, word.bbox[3]) - max(top, word.bbox[1])
    smaller = min(bottom - top, word.bbox[3] - word.bbox[1])
    if smaller <= 0:
        return abs(_centre_y(word.bbox) - (top + bottom) / 2) < 1e-6
    return overlap / smaller >= _MIN_VERTICAL_OVERLAP


def _centre_y(bbox: BBox) -> float:
    return (bbox[1] + bbox[3]) / 2


def joined_text(words: Sequence[Word]) -> tuple[list[int], str]:
    """The words joined by single spaces, and where each word starts in that text."""
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word.text) + 1
    return starts, " ".join(w.text for w in words)
