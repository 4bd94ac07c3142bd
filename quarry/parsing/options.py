"""What a caller may choose about parsing: page limit and OCR (engine, languages, resolution).

Options travel as one frozen, picklable value into the isolated child process; parsers never
read settings themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from quarry.core.config import Settings

OcrEngineName = Literal["auto", "tesseract", "rapidocr"]


@dataclass(frozen=True)
class OcrOptions:
    """`engine`: "auto" uses Tesseract (in-process, from PyPI) when it has data for
    `languages`, else rapidocr (models in its wheel).

    `languages` are Tesseract language packs joined by "+" (rapidocr reads Latin script
    whatever is set), looked for in `tessdata_dir` first (see `ocr.tessdata`); `dpi` is the
    resolution PDF pages are rendered at; `pdf_images` turns on OCR of large images inside
    text-layer PDF pages (a seller block pasted as a picture).
    """

    engine: OcrEngineName = "auto"
    languages: str = "eng"
    dpi: int = 200
    pdf_images: bool = False
    tessdata_dir: str | None = None
    timeout_seconds: float = 120.0  # one OCR call; the runner's wall clock still applies

    @classmethod
    def from_settings(cls, settings: Settings) -> OcrOptions:
        return cls(
            engine=settings.ocr_engine,
            languages=settings.ocr_languages,
            dpi=settings.ocr_dpi,
            pdf_images=settings.ocr_pdf_images,
            tessdata_dir=settings.ocr_tessdata_dir,
            timeout_seconds=settings.extraction_timeout_seconds,
        )


@dataclass(frozen=True)
class ParseOptions:
    max_pages: int
    ocr: OcrOptions = field(default_factory=OcrOptions)
