"""The OCR engine seam: an image in, words with pixel boxes and confidences out.

    OcrEngine            Protocol: `read(image)` and `orientation(image)`
    ├── TesseractEngine  libtesseract in-process (tesserocr; library and eng/deu data from PyPI)
    └── RapidOcrEngine   rapidocr + onnxruntime, whose models ship inside the wheel

`select_engine` turns `OcrOptions.engine` ("auto", "tesseract", "rapidocr") into an engine.
Engines receive upright-ish grayscale or RGB Pillow images and know nothing of pages or PDFs.
"""

from __future__ import annotations

from quarry.parsing.ocr.base import OcrEngine, OcrWord
from quarry.parsing.options import OcrOptions

__all__ = ["OcrEngine", "OcrWord", "chosen_engine", "select_engine"]


def select_engine(options: OcrOptions) -> OcrEngine:
    """The engine to use. "auto": Tesseract when its data for `languages` are found (eng and
    deu always are), else rapidocr. A forced Tesseract without them is JobFailure(ENGINE_ERROR)."""
    from quarry.parsing.ocr.rapid import RapidOcrEngine
    from quarry.parsing.ocr.tesseract import TesseractEngine

    if chosen_engine(options) == "tesseract":
        return TesseractEngine(options)  # ENGINE_ERROR when its language data are missing
    return RapidOcrEngine(options)


def chosen_engine(options: OcrOptions) -> str:
    """The engine `options.engine` selects on this machine (what `select_engine` builds)."""
    if options.engine == "auto":
        from quarry.parsing.ocr.tessdata import has_languages

        found = has_languages(options.languages, options.tessdata_dir)
        return "tesseract" if found else "rapidocr"
    return options.engine
