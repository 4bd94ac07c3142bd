"""The parsed document: pages of words and lines with boxes, and tables.

Every parser (PDF text layer, plain text, CSV, HTML, images, and later OCR) produces this one
shape, so engines never branch on where the text came from. All classes are frozen and
picklable: a document crosses the process boundary of the isolated runner unchanged.

Coordinates: a `BBox` is `(x0, y0, x1, y1)` in 0-1 units of the page, origin top-left, y down.
`Page.width`/`Page.height` are in the source's own units (PDF points, image pixels, or character
cells for text formats whose layout is synthetic).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]


def union_bbox(boxes: Iterable[BBox]) -> BBox:
    """The smallest box holding every given box; raises ValueError when there are none."""
    items = list(boxes)
    if not items:
        raise ValueError("union of no boxes")
    return (
        min(b[0] for b in items),
        min(b[1] for b in items),
        max(b[2] for b in items),
        max(b[3] for b in items),
    )


@dataclass(frozen=True)
class Word:
    """A run of non-space characters with its box."""

    text: str
    bbox: BBox


@dataclass(frozen=True)
class Line:
    """Words that share a baseline, left to right; `text` joins them with single spaces."""

    text: str
    bbox: BBox
    words: tuple[Word, ...]

    @classmethod
    def from_words(cls, words: Iterable[Word]) -> Line:
        ordered = tuple(sorted(words, key=lambda w: (w.bbox[0], w.bbox[1])))
        return cls(
            text=" ".join(w.text for w in ordered),
            bbox=union_bbox(w.bbox for w in ordered),
            words=ordered,
        )


@dataclass(frozen=True)
class Cell:
    text: str
    bbox: BBox | None = None


@dataclass(frozen=True)
class Table:
    """Rows of cells as the source laid them out; rows may differ in length."""

    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    words: tuple[Word, ...] = ()
    lines: tuple[Line, ...] = ()  # reading order: top to bottom, then left to right
    tables: tuple[Table, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class ParsedDocument:
    pages: tuple[Page, ...]
    mime_type: str
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "\n\f".join(page.text for page in self.pages)

    def iter_lines(self) -> Iterator[tuple[Page, Line]]:
        for page in self.pages:
            for line in page.lines:
                yield page, line
