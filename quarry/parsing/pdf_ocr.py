"""OCR inside PDFs: scanned pages, and images of text on pages that have a text layer.

    a page without a text layer                  rendered and OCRed whole (source "ocr"); a
                                                 blank render is not sent to the OCR engine
    a page mostly covered by one image, with
      fewer than 30 text-layer words             the same: a scan with a stamp or a page number
    on the first page, large images holding no
      text-layer word (a seller block pasted
      as a picture)                              each OCRed and its words added ("mixed")

Pages are rendered at `OcrOptions.dpi`, but never past `RENDER_MAX_PIXELS`: a page with a huge
media box is rendered at a lower resolution instead of allocating gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from quarry.parsing.model import BBox, Page, Word
from quarry.parsing.ocr.engines import OcrEngine
from quarry.parsing.ocr.reader import ocr_page, ocr_words
from quarry.parsing.options import OcrOptions
from quarry.parsing.pdf_page import Frame, frame_of, page_of_words

RENDER_MAX_PIXELS = 12_000_000
_POINTS_PER_INCH = 72
_SCAN_IMAGE_SHARE = 0.5
SCAN_MAX_WORDS = 30
_IMAGE_MIN_AREA = 0.02  # share of the page
_IMAGE_MIN_SIDE = 0.04
_MAX_IMAGES_PER_PAGE = 3
IMAGE_OCR_PAGES = 1  # only the first page: that is where seller blocks are


def needs_ocr(page: Page, images: list[BBox]) -> bool:
    if not page.words:
        return True
    covered = max((_area(box) for box in images), default=0.0)
    return covered >= _SCAN_IMAGE_SHARE and len(page.words) < SCAN_MAX_WORDS


def image_boxes(document: pdfium.PdfDocument, index: int) -> list[BBox]:
    """Normalised display boxes of the page's image objects (forms included)."""
    page = document[index]
    try:
        frame = frame_of(page)
        return list(_boxes(page, frame))
    finally:
        page.close()


def _boxes(page: pdfium.PdfPage, frame: Frame) -> Iterator[BBox]:
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        try:
            left, bottom, right, top = item.get_bounds()
        except pdfium.PdfiumError:
            continue
        x0, y0, x1, y1 = frame.box(left, bottom, right, top)
        box = (max(x0, 0.0), max(y0, 0.0), min(x1, 1.0), min(y1, 1.0))
        if box[2] > box[0] and box[3] > box[1]:
            yield box


def render(document: pdfium.PdfDocument, index: int, dpi: int) -> tuple[Image.Image, Page]:
    """The page as an RGB image at `dpi` (less for huge pages), and its bare Page."""
    page = document[index]
    try:
        width, height = page.get_size()
        scale = dpi / _POINTS_PER_INCH
        budget = (RENDER_MAX_PIXELS / max(width * height * scale * scale, 1.0)) ** 0.5
        scale *= min(budget, 1.0)
        bitmap = page.render(scale=scale)
        try:
            image = bitmap.to_pil().convert("RGB")
        finally:
            bitmap.close()
        size = frame_of(page).size
    finally:
        page.close()
    return image, Page(number=index + 1, width=size[0], height=size[1])


def ocr_whole_page(
    document: pdfium.PdfDocument, index: int, engine: OcrEngine, options: OcrOptions
) -> Page:
    image, bare = render(document, index, options.dpi)
    return ocr_page(image, engine, number=bare.number, size=(bare.width, bare.height))


def ocr_images(
    document: pdfium.PdfDocument,
    index: int,
    page: Page,
    images: list[BBox],
    *,
    engine: OcrEngine,
    options: OcrOptions,
) -> Page:
    """The page with the words of its text-less images added (source "mixed" if any)."""
    targets = [box for box in images if _worth_reading(box, page.words)]
    if not targets:
        return page
    image, _ = render(document, index, options.dpi)
    added: list[Word] = []
    for box in targets[:_MAX_IMAGES_PER_PAGE]:
        added.extend(_region_words(image, box, engine))
    if not added:
        return page
    merged = page_of_words(page.number, (page.width, page.height), (*page.words, *added))
    return replace(merged, source="mixed")


def _worth_reading(box: BBox, words: tuple[Word, ...]) -> bool:
    if _area(box) < _IMAGE_MIN_AREA or min(box[2] - box[0], box[3] - box[1]) < _IMAGE_MIN_SIDE:
        return False
    return not any(_inside(w.bbox, box) for w in words)


def _region_words(image: Image.Image, box: BBox, engine: OcrEngine) -> list[Word]:
    width, height = image.size
    pixels = (
        int(box[0] * width),
        int(box[1] * height),
        max(int(box[2] * width), int(box[0] * width) + 1),
        max(int(box[3] * height), int(box[1] * height) + 1),
    )
    words, (region_width, region_height) = ocr_words(image.crop(pixels), engine)
    span_x, span_y = box[2] - box[0], box[3] - box[1]
    return [
        Word(
            text=w.text,
            bbox=(
                box[0] + span_x * w.box[0] / region_width,
                box[1] + span_y * w.box[1] / region_height,
                box[0] + span_x * min(w.box[2] / region_width, 1.0),
                box[1] + span_y * min(w.box[3] / region_height, 1.0),
            ),
            confidence=round(w.confidence, 3),
        )
        for w in words
        if w.confidence > 0
    ]


def _inside(word: BBox, box: BBox) -> bool:
    x = (word[0] + word[2]) / 2
    y = (word[1] + word[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _area(box: BBox) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])
