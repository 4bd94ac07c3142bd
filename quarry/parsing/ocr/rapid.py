"""rapidocr 3 (PP-OCR models run by onnxruntime, shipped inside the wheel: nothing downloads).

Chosen with OCR_ENGINE=rapidocr, or when Tesseract has no data for OCR_LANGUAGES: about 4-7 s
a page on one core, against ~0.5-1.5 s for Tesseract; it reads some receipt photos better.
Imported on first use (onnxruntime and OpenCV take ~1 s to import), one engine per process,
one inference thread (the runner gives each document one core).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from PIL import Image

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.ocr.base import OcrWord
from quarry.parsing.options import OcrOptions

_PARAMS = {
    "Global.log_level": "error",
    "Global.return_word_box": True,
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, options: OcrOptions) -> None:
        self.options = options

    def read(self, image: Image.Image) -> list[OcrWord]:
        output = _model()(image.convert("RGB"))
        if getattr(output, "boxes", None) is None:
            return []  # nothing detected: rapidocr then returns one empty placeholder line
        return list(_words(getattr(output, "word_results", None) or ()))

    def orientation(self, image: Image.Image) -> int | None:
        """None: the reader judges a rapidocr reading by its geometry instead (sideways
        boxes, lines whose words run right to left after the 180° line classifier)."""
        return None


@cache
def _model() -> Any:
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:  # pragma: no cover - a broken install
        raise JobFailure(JobErrorCode.ENGINE_ERROR, f"rapidocr cannot be loaded: {exc}") from None
    return RapidOCR(params=_PARAMS)


def _words(lines: Sequence[Any]) -> Iterator[OcrWord]:
    for number, line in enumerate(lines):
        for item in line if isinstance(line, (list, tuple)) else ():
            if not _is_word(item):
                continue
            text, score, points = str(item[0]).strip(), float(item[1]), item[2]
            xs = [int(p[0]) for p in points]
            ys = [int(p[1]) for p in points]
            for part, box in _split(text, (min(xs), min(ys), max(xs), max(ys))):
                yield OcrWord(part, box, min(max(score, 0.0), 1.0), line=number)


def _is_word(item: Any) -> bool:
    """A (text, score, points) triple with text and a box; anything else is skipped."""
    return (
        isinstance(item, (list, tuple))
        and len(item) >= 3
        and item[2] is not None
        and bool(str(item[0]).strip())
    )


def _split(
    text: str, box: tuple[int, int, int, int]
) -> Iterator[tuple[str, tuple[int, int, int, int]]]:
    """A box holding several words (rapidocr keeps some runs together) → one box per word."""
    parts = text.split()
    if len(parts) <= 1:
        yield text, box
        return
    left, top, right, bottom = box
    per_char = (right - left) / max(len(text), 1)
    offset = 0
    for part in parts:
        start = text.index(part, offset)
        offset = start + len(part)
        yield (
            part,
            (
                left + round(start * per_char),
                top,
                left + round(offset * per_char),
                bottom,
            ),
        )
