"""The OCR engine seam: an image in, words with pixel boxes and confidences out.

    OcrEngine            Protocol: `read(image)` and `orientation(image)`
    ├── TesseractEngine  the `tesseract` CLI (TSV output), when it is on PATH
    └── RapidOcrEngine   rapidocr + onnxruntime, whose models ship inside the wheel

`select_engine` turns `OcrOptions.engine` ("auto", "tesseract", "rapidocr") into an engine.
Engines receive upright-ish grayscale or RGB Pillow images and know nothing of pages or PDFs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from quarry.core.errors import JobErrorCode, JobFailure
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
    """The engine to use; raises JobFailure(ENGINE_ERROR) when the chosen one is missing."""
    from quarry.parsing.ocr.rapid import RapidOcrEngine
    from quarry.parsing.ocr.tesseract import TesseractEngine

    tesseract = shutil.which("tesseract")
    if chosen_engine(options.engine) == "tesseract":
        if tesseract is None:
            raise JobFailure(
                JobErrorCode.ENGINE_ERROR, "OCR_ENGINE is tesseract, but tesseract is not installed"
            )
        return TesseractEngine(tesseract, options)
    return RapidOcrEngine(options)


def chosen_engine(choice: str) -> str:
    """The engine OCR_ENGINE selects on this machine: `auto` is tesseract when on PATH."""
    if choice == "auto":
        return "tesseract" if shutil.which("tesseract") else "rapidocr"
    return choice
