"""An image → a Page of OCRed words, lines and tables, turned upright when it was not.

    prepare (gray, pixel budget, deskew) → OCR → reads poorly? → ask the engine which way is up
    → OCR the turned image → keep whichever reading is better

Boxes are normalised to the upright, deskewed image; `Page.rotation` records the quarter turn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from PIL import Image

from quarry.parsing.layout import group_lines
from quarry.parsing.model import Page, PageSource, Word
from quarry.parsing.ocr.engines import OcrEngine, OcrWord
from quarry.parsing.ocr.prepare import deskew, fit_budget, is_blank, to_gray
from quarry.parsing.tables import find_tables

# A reading is poor when fewer than this many confident words were found, or the mean
# confidence of its words is low: then the page may be sideways or upside down. Unless many
# words were read with high confidence: an upright receipt with noise reads 27+ such words at a
# mean of 0.5, the same receipt upside down at most 5 (measured on 13 receipts of shared/dev).
_MIN_GOOD_WORDS = 4
_MIN_MEAN_CONFIDENCE = 0.6
_SURE_CONFIDENCE = 0.8
_SURE_WORDS = 15
_GOOD_CONFIDENCE = 0.5
_LONG_WORD = 3
_TALL = 1.5
_MAJORITY = 0.6


@dataclass(frozen=True)
class _Reading:
    words: list[OcrWord]
    size: tuple[int, int]
    rotation: int

    @property
    def score(self) -> float:
        """Characters of confidently read words: more real text read is better."""
        return sum(
            w.confidence * len(w.text)
            for w in self.words
            if w.confidence >= _GOOD_CONFIDENCE and sum(c.isalnum() for c in w.text) >= 2
        )

    @property
    def sideways(self) -> bool:
        """Most words are taller than wide: the text runs vertically."""
        long = [w for w in self.words if len(w.text) >= _LONG_WORD]
        tall = sum(1 for w in long if (w.box[3] - w.box[1]) > _TALL * (w.box[2] - w.box[0]))
        return bool(long) and tall / len(long) >= _MAJORITY

    @property
    def flipped(self) -> bool:
        """Most lines list their words right to left: each line was read turned by 180°."""
        lines: dict[int, list[OcrWord]] = defaultdict(list)
        for word in self.words:
            lines[word.line].append(word)
        ordered = [ws for ws in lines.values() if len(ws) >= 2]
        backwards = sum(1 for ws in ordered if ws[0].box[0] > ws[-1].box[0])
        return bool(ordered) and backwards / len(ordered) >= _MAJORITY

    @property
    def poor(self) -> bool:
        good = [w for w in self.words if w.confidence >= _GOOD_CONFIDENCE and len(w.text) >= 2]
        if len(good) < _MIN_GOOD_WORDS:
            return True
        sure = [w for w in good if w.confidence >= _SURE_CONFIDENCE and len(w.text) >= _LONG_WORD]
        if len(sure) >= _SURE_WORDS:
            return False
        mean = sum(w.confidence for w in self.words) / len(self.words)
        return mean < _MIN_MEAN_CONFIDENCE


def ocr_page(
    image: Image.Image,
    engine: OcrEngine,
    *,
    number: int,
    size: tuple[float, float] | None = None,
    find_orientation: bool = True,
) -> Page:
    """OCR one page image; `size` is the page's own size (PDF points) when it has one."""
    gray = fit_budget(to_gray(image))
    if is_blank(gray):
        width, height = size or (float(image.width), float(image.height))
        return Page(number=number, width=width, height=height, source="ocr")
    gray, _ = deskew(gray)
    reading = _read(engine, gray, 0)
    if find_orientation and (reading.poor or reading.sideways or reading.flipped):
        reading = _upright(engine, gray, reading)
    words = tuple(_normalised(reading))
    width, height = size or (float(image.width), float(image.height))
    if reading.rotation in (90, 270):
        width, height = height, width
    lines = group_lines(words)
    return Page(
        number=number,
        width=width,
        height=height,
        words=words,
        lines=lines,
        tables=find_tables(lines, width / height if height else 1.0),
        source="ocr",
        rotation=reading.rotation,
    )


def ocr_words(image: Image.Image, engine: OcrEngine) -> tuple[list[OcrWord], tuple[int, int]]:
    """Words of an upright image region (no orientation search), in its pixel frame."""
    gray = to_gray(image)
    return engine.read(gray), gray.size


def _read(engine: OcrEngine, gray: Image.Image, rotation: int) -> _Reading:
    turned = gray.rotate(-rotation, expand=True) if rotation else gray
    turned, _ = deskew(turned) if rotation else (turned, 0.0)
    return _Reading(engine.read(turned), turned.size, rotation)


def _upright(engine: OcrEngine, gray: Image.Image, first: _Reading) -> _Reading:
    """The best of the first reading and readings of the image turned to where it looks up."""
    if first.sideways:
        turns: tuple[int, ...] = (90, 270)
    elif first.flipped:
        turns = (180,)
    else:
        turn = engine.orientation(gray)
        turns = (turn,) if turn else ()
    readings = [first, *(_read(engine, gray, turn) for turn in turns)]
    return max(readings, key=lambda r: (not r.sideways, not r.flipped, r.score))


def _normalised(reading: _Reading) -> list[Word]:
    width, height = reading.size
    return [
        Word(
            text=w.text,
            bbox=(
                max(w.box[0] / width, 0.0),
                max(w.box[1] / height, 0.0),
                min(w.box[2] / width, 1.0),
                min(w.box[3] / height, 1.0),
            ),
            confidence=round(w.confidence, 3),
        )
        for w in reading.words
    ]


def page_source(text_words: int, ocr_words: int) -> PageSource:
    if not ocr_words:
        return "text"
    return "mixed" if text_words else "ocr"
