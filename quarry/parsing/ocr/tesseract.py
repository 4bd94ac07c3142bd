"""Tesseract in-process: libtesseract 5 through `tesserocr`, whose wheel bundles the library.

No system package and no subprocess per page: the language data come from Python packages too
(see `tessdata.py`). `--psm 6` (one uniform block: keeps narrow table columns); this build of
libtesseract has no OpenMP, so it uses one core. Each call gets a deadline (`timeout_seconds`):
Tesseract checks it between words and stops, and the page fails with EXTRACTION_TIMEOUT. One
API per process and language set, reused for every page the process reads (the isolated child
reads one document); loading eng costs ~0.1 s.

Orientation (OSD) uses its own API with `osd.traineddata` and is asked for only when a first
pass reads poorly (~0.3 s; it needs the full-size image: a reduced copy has "too few
characters").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import cache
from typing import Any

import tesserocr
from PIL import Image

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.ocr.base import OcrWord
from quarry.parsing.ocr.tessdata import language_folder, osd_folder
from quarry.parsing.options import OcrOptions

_TSV_COLUMNS = 12
_WORD_LEVEL = "5"
_MILLISECONDS = 1000
_ONE_AT_A_TIME = threading.Lock()  # an API holds one image: callers in threads take turns


class TesseractEngine:
    name = "tesseract"

    def __init__(self, options: OcrOptions) -> None:
        self.languages = options.languages
        self.folder = language_folder(options.languages, options.tessdata_dir)
        self.timeout = options.timeout_seconds

    def read(self, image: Image.Image) -> list[OcrWord]:
        api = _api(self.folder, self.languages)
        with _ONE_AT_A_TIME:
            api.SetImage(image)
            if not api.Recognize(timeout=max(int(self.timeout * _MILLISECONDS), 1)):
                raise JobFailure(
                    JobErrorCode.EXTRACTION_TIMEOUT,
                    f"OCR of one page took longer than {self.timeout:g} seconds",
                )
            tsv = api.GetTSVText(0)
        return list(parse_tsv(tsv))

    def orientation(self, image: Image.Image) -> int | None:
        folder = osd_folder()
        if folder is None:
            return None
        api = _osd_api(folder)
        with _ONE_AT_A_TIME:
            api.SetImage(image)
            found = api.DetectOrientationScript()
        if not found:
            return None  # too little text to tell: not an error
        # Tesseract reports the text's orientation counter-clockwise; the turn back is clockwise.
        return (360 - int(found["orient_deg"])) % 360


@cache
def _api(folder: str, languages: str) -> Any:
    try:
        return tesserocr.PyTessBaseAPI(path=folder, lang=languages, psm=tesserocr.PSM.SINGLE_BLOCK)
    except RuntimeError as exc:
        raise JobFailure(
            JobErrorCode.ENGINE_ERROR, f"Tesseract cannot load {languages}: {exc}"
        ) from None


@cache
def _osd_api(folder: str) -> Any:
    return tesserocr.PyTessBaseAPI(path=folder, lang="osd", psm=tesserocr.PSM.OSD_ONLY)


def parse_tsv(tsv: str) -> Iterator[OcrWord]:
    """Word rows of Tesseract's TSV (level 5) with text; confidence scaled to 0-1."""
    for row in tsv.splitlines():
        columns = row.split("\t")
        if len(columns) < _TSV_COLUMNS or columns[0] != _WORD_LEVEL:
            continue
        text = columns[11].strip()
        if not text:
            continue
        left, top, width, height = (int(v) for v in columns[6:10])
        confidence = max(float(columns[10]), 0.0) / 100
        block, paragraph, line = (int(v) for v in columns[2:5])
        yield OcrWord(
            text,
            (left, top, left + width, top + height),
            min(confidence, 1.0),
            line=(block * 1000 + paragraph) * 1000 + line,
        )
