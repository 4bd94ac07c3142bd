"""One PDF page's text layer → words with normalised boxes (top-left origin, 0-1 units)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from quarry.parsing.layout import group_lines
from quarry.parsing.model import BBox, Page, Word, union_bbox
from quarry.parsing.tables import find_tables

# Characters further apart than this share of their height start a new word even without a
# space between them (PDFs that place every word separately).
_WORD_GAP = 0.6
_HIGH_SURROGATES = range(0xD800, 0xDC00)


@dataclass(frozen=True)
class Frame:
    """Maps PDF user space to the displayed page: crop box and /Rotate."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int

    def box(self, left: float, bottom: float, right: float, top: float) -> BBox:
        width = (self.right - self.left) or 1.0
        height = (self.top - self.bottom) or 1.0
        x0, x1 = (left - self.left) / width, (right - self.left) / width
        y0, y1 = (self.top - top) / height, (self.top - bottom) / height
        return _rotate((x0, y0, x1, y1), self.rotation)

    @property
    def size(self) -> tuple[float, float]:
        width, height = self.right - self.left, self.top - self.bottom
        return (height, width) if self.rotation in (90, 270) else (width, height)


def _rotate(box: BBox, rotation: int) -> BBox:
    x0, y0, x1, y1 = box
    if rotation == 90:
        return (1 - y1, x0, 1 - y0, x1)
    if rotation == 180:
        return (1 - x1, 1 - y1, 1 - x0, 1 - y0)
    if rotation == 270:
        return (y0, 1 - x1, y1, 1 - x0)
    return box


@dataclass(frozen=True)
class _Char:
    text: str
    bbox: BBox  # normalised


def frame_of(page: pdfium.PdfPage) -> Frame:
    left, bottom, right, top = page.get_cropbox()
    return Frame(left, bottom, right, top, page.get_rotation() % 360)


def read_page(document: pdfium.PdfDocument, index: int) -> Page:
    page = document[index]
    try:
        frame = frame_of(page)
        textpage = page.get_textpage()
        try:
            words = tuple(_words(_chars(textpage, frame)))
        finally:
            textpage.close()
    finally:
        page.close()
    return page_of_words(index + 1, frame.size, words)


def page_of_words(number: int, size: tuple[float, float], words: tuple[Word, ...]) -> Page:
    """A page with its lines in reading order and the tables found in their layout."""
    width, height = size
    lines = group_lines(words)
    tables = find_tables(lines, width / height if height else 1.0)
    return Page(number=number, width=width, height=height, words=words, lines=lines, tables=tables)


def _chars(textpage: pdfium.PdfTextPage, frame: Frame) -> Iterator[_Char | None]:
    """Visible characters in content order; None marks a word break (space, newline)."""
    count = textpage.count_chars()
    index = 0
    while index < count:
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
        step = 1
        if code in _HIGH_SURROGATES and index + 1 < count:
            low = pdfium_c.FPDFText_GetUnicode(textpage.raw, index + 1)
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            step = 2
        yield _char(textpage, index, code, frame)
        index += step


def _char(textpage: pdfium.PdfTextPage, index: int, code: int, frame: Frame) -> _Char | None:
    if code < 0x21 or code > 0x10FFFF or 0xD800 <= code < 0xE000 or code in (0xFFFE, 0xFFFF):
        return None
    text = chr(code)
    if text.isspace() or not text.isprintable():
        return None
    try:
        box = frame.box(*textpage.get_charbox(index, loose=True))
    except pdfium.PdfiumError:
        return None
    return _Char(text, box)


def _words(chars: Iterator[_Char | None]) -> Iterator[Word]:
    current: list[_Char] = []
    for char in chars:
        if current and (char is None or _breaks(current[-1], char)):
            yield from _word(current)
            current = []
        if char is not None:
            current.append(char)
    yield from _word(current)


def _breaks(previous: _Char, char: _Char) -> bool:
    """A gap wider than a share of the character size, in any direction (rotated text too)."""
    size = max(previous.bbox[3] - previous.bbox[1], previous.bbox[2] - previous.bbox[0], 1e-9)
    gap_x = max(char.bbox[0] - previous.bbox[2], previous.bbox[0] - char.bbox[2], 0.0)
    gap_y = max(char.bbox[1] - previous.bbox[3], previous.bbox[1] - char.bbox[3], 0.0)
    return max(gap_x, gap_y) > _WORD_GAP * size


def _word(chars: list[_Char]) -> Iterator[Word]:
    if not chars:
        return
    box = union_bbox(c.bbox for c in chars)
    if box[2] < 0 or box[0] > 1 or box[3] < 0 or box[1] > 1:
        return  # entirely outside the crop box: not visible
    clamped = (max(box[0], 0.0), max(box[1], 0.0), min(box[2], 1.0), min(box[3], 1.0))
    yield Word(text="".join(c.text for c in chars), bbox=clamped)
