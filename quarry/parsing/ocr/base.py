"""What every OCR engine is: the `OcrEngine` Protocol and the `OcrWord` it returns.

Kept apart from `engines.py` (which picks an engine and imports the engines lazily) so the
engines can import these types without importing their own selector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image


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
