"""Images: the header is checked with Pillow; pixels are never decoded here.

OCR comes later. Until then an image yields pages with their size and no words, and the
warning `NO_OCR_WARNING`, so engines answer with honest nulls instead of guesses.

    not an image Pillow can identify       UNSUPPORTED_FILE_TYPE
    an image of the claimed kind, unreadable header   CORRUPT_DOCUMENT
    more than MAX_IMAGE_PIXELS per frame   RESOURCE_LIMIT (Pillow's bomb guard stays on too)
    more frames than max_pages             TOO_MANY_PAGES
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.model import Page, ParsedDocument

MAX_IMAGE_PIXELS = 80_000_000
NO_OCR_WARNING = "no OCR available: the image's text was not read"
IMAGE_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
    "image/webp": "WEBP",
    "image/bmp": "BMP",
}


def parse_image(path: Path, *, mime_type: str, max_pages: int) -> ParsedDocument:
    expected = IMAGE_FORMATS[mime_type]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path, formats=[expected]) as image:
                pages = _pages(image, max_pages=max_pages)
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
    return ParsedDocument(pages=pages, mime_type=mime_type, warnings=(NO_OCR_WARNING,))


def _pages(image: Image.Image, *, max_pages: int) -> tuple[Page, ...]:
    frames = int(getattr(image, "n_frames", 1)) if image.format == "TIFF" else 1
    if frames > max_pages:
        raise JobFailure(
            JobErrorCode.TOO_MANY_PAGES,
            f"the image has {frames} frames; at most {max_pages} are allowed",
        )
    pages = []
    for index in range(frames):
        image.seek(index)
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise _too_big()
        pages.append(Page(number=index + 1, width=float(width), height=float(height)))
    return tuple(pages)


def _too_big() -> JobFailure:
    return JobFailure(
        JobErrorCode.RESOURCE_LIMIT,
        f"the image is larger than {MAX_IMAGE_PIXELS // 1_000_000} megapixels",
    )
