"""A document's page as a PNG for the review screen: PDFs rendered with pdfium, images turned
upright by EXIF exactly as the OCR saw them, then turned by the quarter turn the OCR made to read
a sideways or upside-down scan (`rotation`, degrees clockwise), so `fieldDetails` boxes (0-1 page
units, origin top-left) line up when drawn over the picture at any size."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from quarry.core.errors import NotFound
from quarry.parsing.image import IMAGE_FORMATS
from quarry.parsing.ocr.prepare import upright

PDF = "application/pdf"
MIN_WIDTH = 200
MAX_WIDTH = 2000
MAX_SIDE = 4000  # a very tall page is shrunk until its long side fits
MAX_SOURCE_PIXELS = 80_000_000


def renders(mime_type: str) -> bool:
    """Whether documents of this type have page images (PDF and the image formats)."""
    return mime_type == PDF or mime_type in IMAGE_FORMATS


def render_page(path: Path, mime_type: str, number: int, *, width: int, rotation: int = 0) -> bytes:
    """Page `number` (1-based) as PNG bytes, `width` pixels wide (bounded), turned `rotation`
    degrees clockwise; NotFound when the document has no such page or its type has no page
    images."""
    width = max(MIN_WIDTH, min(MAX_WIDTH, width))
    rotation = rotation % 360 if rotation % 90 == 0 else 0
    if not renders(mime_type):
        raise _unavailable("Only PDF and image documents have page images")
    try:
        if mime_type == PDF:
            picture = _pdf_page(path, number, width, rotation)
        else:
            picture = _image_page(path, IMAGE_FORMATS[mime_type], number, width, rotation)
    except (
        pdfium.PdfiumError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise _unavailable(f"The page cannot be drawn: {exc}") from None
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _unavailable(message: str) -> NotFound:
    return NotFound(message, code="PAGE_IMAGE_UNAVAILABLE")


def _missing(number: int) -> NotFound:
    return NotFound(f"The document has no page {number}", code="PAGE_NOT_FOUND")


def _scale(size: tuple[float, float], width: int, rotation: int = 0) -> float:
    """The factor that makes a page of `size` `width` wide once turned by `rotation`."""
    w, h = (size[1], size[0]) if rotation in (90, 270) else size
    return min(width / w, MAX_SIDE / max(w, h))


def _turned(picture: Image.Image, rotation: int) -> Image.Image:
    """Turned clockwise as the OCR turned it (parsing/ocr/reader.py)."""
    return picture.rotate(-rotation, expand=True) if rotation else picture


def _pdf_page(path: Path, number: int, width: int, rotation: int) -> Image.Image:
    document = pdfium.PdfDocument(path)
    try:
        if not 1 <= number <= len(document):
            raise _missing(number)
        page = document[number - 1]
        try:
            scale = _scale(page.get_size(), width, rotation)
            bitmap = page.render(scale=scale, may_draw_forms=True)
            picture: Image.Image = bitmap.to_pil().convert("RGB")
            return _turned(picture, rotation)
        finally:
            page.close()
    finally:
        document.close()


def _image_page(path: Path, expected: str, number: int, width: int, rotation: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path, formats=[expected]) as image:
            frames = int(getattr(image, "n_frames", 1)) if image.format == "TIFF" else 1
            if not 1 <= number <= frames:
                raise _missing(number)
            image.seek(number - 1)
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise _unavailable("The image is too large to show")
            if image.format == "JPEG":
                image.draft("RGB", (width, width * 4))
            image.load()
            frame = _turned(upright(image).convert("RGB"), rotation)
    scale = min(1.0, _scale(frame.size, width))
    if scale < 1.0:
        size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
        frame = frame.resize(size, Image.Resampling.LANCZOS)
    return frame
