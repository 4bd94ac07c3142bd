"""The OCR engine seam: an image in, words with pixel boxes and confidences out.

    OcrEngine            Protocol: `read(image)` and `orientation(image)`
    ├── TesseractEngine  libtesseract in-process (tesserocr; library and eng/deu data from PyPI)
    └── RapidOcrEngine   rapidocr + onnxruntime, whose models ship inside the wheel

`select_engine` turns `OcrOptions.engine` ("auto", "tesseract", "rapidocr") into an engine.
Engines receive upright-ish grayscale or RGB Pillow images and know nothing of pages or PDFs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from quarry.parsing.options import OcrOptions


@dataclass(frozen=True)
class OcrWord:
    text: str
    box: tuple[int, int, int, int]  # pixels: left, top, right, bottom
    confidence: float  # 0-1
    line: int = 0  # words the engine read as one line share this number


class OcrEngine(Protocol):
    name: str

    def read(self, image: Image.Image) -> list[OcrWord]:
        """Every word found, in no particular order."""
        ...

    def orientation(self, image: Image.Image) -> int | None:
        """Degrees (90/180/270) to turn the image clockwise so it reads upright; 0 if it
        already does; None when this engine cannot tell."""
        ...


def select_engine(options: OcrOptions) -> OcrEngine:
    """The engine to use. "auto": Tesseract when its data for `languages` are found (eng and
    deu always are), else rapidocr. A forced Tesseract without them is JobFailure(ENGINE_ERROR)."""
    from quarry.parsing.ocr.rapid import RapidOcrEngine
    from quarry.parsing.ocr.tessdata import has_languages
    from quarry.parsing.ocr.tesseract import TesseractEngine

    if options.engine == "tesseract":
        return TesseractEngine(options)  # ENGINE_ERROR when its language data are missing
    if options.engine == "auto" and has_languages(options.languages, options.tessdata_dir):
        return TesseractEngine(options)
    return RapidOcrEngine(options)
