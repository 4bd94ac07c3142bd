"""Images (PNG, JPEG, TIFF with several pages, WEBP, BMP) → OCRed pages.

    not an image Pillow can identify                  UNSUPPORTED_FILE_TYPE
    an image of the claimed kind, unreadable          CORRUPT_DOCUMENT
    more than MAX_IMAGE_PIXELS in a frame             RESOURCE_LIMIT, from the header alone
                                                      (Pillow's bomb guard stays on too)
    more frames than max_pages                        TOO_MANY_PAGES, before decoding any

Frames within the cap are decoded and scaled down to the OCR pixel budget (JPEGs are decoded
at reduced scale directly), turned by their EXIF orientation, and OCRed (see `ocr.reader`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.model import Page, ParsedDocument
from quarry.parsing.ocr.engines import OcrEngine, select_engine
from quarry.parsing.ocr.prepare import OCR_MAX_PIXELS, upright
from quarry.parsing.ocr.reader import ocr_page
from quarry.parsing.options import ParseOptions

MAX_IMAGE_PIXELS = 80_000_000
NO_TEXT_WARNING = "no text was found in the image by OCR"
IMAGE_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
    "image/webp": "WEBP",
    "image/bmp": "BMP",
}


def parse_image(path: Path, *, mime_type: str, options: ParseOptions) -> ParsedDocument:
    expected = IMAGE_FORMATS[mime_type]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path, formats=[expected]) as image:
                _check(image, max_pages=options.max_pages)
                engine = select_engine(options.ocr)
                pages = tuple(_ocr_frames(image, engine))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_big() from None
        except UnidentifiedImageError:
            raise JobFailure(
                JobErrorCode.UNSUPPORTED_FILE_TYPE, f"the file is not a {expected} image"
            ) from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise JobFailure(
                JobErrorCode.CORRUPT_DOCUMENT, f"the {expected} image is damaged: {exc}"
            ) from None
    found = any(page.words for page in pages)
    return ParsedDocument(
        pages=pages, mime_type=mime_type, warnings=() if found else (NO_TEXT_WARNING,)
    )


def _frame_count(image: Image.Image) -> int:
    return int(getattr(image, "n_frames", 1)) if image.format == "TIFF" else 1


def _check(image: Image.Image, *, max_pages: int) -> None:
    """Refuse from headers alone: too many frames, or a frame over the pixel cap."""
    frames = _frame_count(image)
    if frames > max_pages:
        raise JobFailure(
            JobErrorCode.TOO_MANY_PAGES,
            f"the image has {frames} frames; at most {max_pages} are allowed",
        )
    for index in range(frames):
        image.seek(index)
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise _too_big()


def _ocr_frames(image: Image.Image, engine: OcrEngine) -> Iterator[Page]:
    for index in range(_frame_count(image)):
        image.seek(index)
        size = (float(image.width), float(image.height))
        if image.format == "JPEG" and image.width * image.height > OCR_MAX_PIXELS:
            scale = (OCR_MAX_PIXELS / (image.width * image.height)) ** 0.5
            image.draft("L", (int(image.width * scale), int(image.height * scale)))
        image.load()
        frame = upright(image)
        if frame.size != image.size and frame.size == (image.height, image.width):
            size = (size[1], size[0])
        yield ocr_page(frame, engine, number=index + 1, size=size)


def _too_big() -> JobFailure:
    return JobFailure(
        JobErrorCode.RESOURCE_LIMIT,
        f"the image is larger than {MAX_IMAGE_PIXELS // 1_000_000} megapixels",
    )
