"""The parsed document: pages of words and lines with boxes, and tables.

Every parser (PDF text layer, plain text, CSV, HTML, images, and later OCR) produces this one
shape, so engines never branch on where the text came from. All classes are frozen and
picklable: a document crosses the process boundary of the isolated runner unchanged.

Coordinates: a `BBox` is `(x0, y0, x1, y1)` in 0-1 units of the page, origin top-left, y down.
`Page.width`/`Page.height` are in the source's own units (PDF points, image pixels, or character
cells for text formats whose layout is synthetic).

Where text came from is kept so engines can weigh it: `Page.source` is `"text"` (a text layer
or a text format), `"ocr"` (the whole page was read by OCR) or `"mixed"` (a text layer plus OCR
of images on the page); `Word.confidence` is the OCR engine's confidence (1.0 for a text
layer). A table's first `header_rows` rows are its column headings when they were recognised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

BBox = tuple[float, float, float, float]
PageSource = Literal["text", "ocr", "mixed"]


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
    """A run of non-space characters with its box; `confidence` (0-1) is below 1 for OCR."""

    text: str
    bbox: BBox
    confidence: float = 1.0


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
    """A table cell; a cell whose text wraps over several lines joins them with "\\n"."""

    text: str
    bbox: BBox | None = None


@dataclass(frozen=True)
class Table:
    """Rows of cells as the source laid them out; rows may differ in length.

    The first `header_rows` rows are column headings (0: none was recognised); `bbox` is where
    the table is on its page, when the source has geometry.
    """

    rows: tuple[tuple[Cell, ...], ...]
    header_rows: int = 0
    bbox: BBox | None = None

    @property
    def header(self) -> tuple[str, ...]:
        """The column headings (several header rows joined per column), or () when unknown."""
        if not self.header_rows:
            return ()
        width = max(len(row) for row in self.rows[: self.header_rows])
        return tuple(
            " ".join(
                row[c].text for row in self.rows[: self.header_rows] if c < len(row) and row[c].text
            )
            for c in range(width)
        )

    @property
    def body(self) -> tuple[tuple[Cell, ...], ...]:
        return self.rows[self.header_rows :]

    def records(self) -> list[dict[str, str]]:
        """Body rows as {heading: text}, empty cells left out; [] when there is no header."""
        header = self.header
        if not header:
            return []
        return [
            {header[c]: cell.text for c, cell in enumerate(row) if c < len(header) and cell.text}
            for row in self.body
        ]


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    words: tuple[Word, ...] = ()
    lines: tuple[Line, ...] = ()  # reading order: top to bottom, then left to right
    tables: tuple[Table, ...] = ()
    source: PageSource = "text"
    rotation: int = 0  # degrees (0/90/180/270) the image was turned clockwise to read upright
    section: str | None = None  # the part of a compound file: a sheet, an e-mail attachment

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
