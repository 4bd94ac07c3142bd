"""Tesseract through its command line: PPM on stdin, TSV on stdout.

`--psm 6` (one uniform block: keeps narrow table columns), `OMP_THREAD_LIMIT=1` (twice as fast
on two cores as letting OpenMP spin), one subprocess per call with a timeout; the subprocess
is killed with its parent (PR_SET_PDEATHSIG), so a killed extraction leaves nothing running.
Orientation (OSD, `--psm 0 -l osd`, ~0.5 s; it needs the full-size image: a reduced copy has
"too few characters") is asked for only when a first pass reads poorly.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import signal
import subprocess
from collections.abc import Iterator, Sequence

from PIL import Image

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.ocr.engines import OcrWord
from quarry.parsing.options import OcrOptions

_PR_SET_PDEATHSIG = 1
_TSV_COLUMNS = 12
_WORD_LEVEL = "5"
_ENVIRONMENT = {"OMP_THREAD_LIMIT": "1", "LC_ALL": "C"}


class TesseractEngine:
    name = "tesseract"

    def __init__(self, executable: str, options: OcrOptions) -> None:
        self.executable = executable
        self.languages = options.languages
        self.timeout = options.timeout_seconds

    def read(self, image: Image.Image) -> list[OcrWord]:
        output = self._run(image, ["--psm", "6", "-l", self.languages, "tsv"])
        return list(parse_tsv(output.decode("utf-8", errors="replace")))

    def orientation(self, image: Image.Image) -> int | None:
        try:
            output = self._run(image, ["--psm", "0", "-l", "osd"])
        except JobFailure:
            return None  # too little text to tell: not an error
        for line in output.decode(errors="replace").splitlines():
            if line.startswith("Rotate:"):
                return int(line.split(":", 1)[1].strip()) % 360
        return None

    def _run(self, image: Image.Image, arguments: Sequence[str]) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, format="PPM")  # uncompressed: no encoding cost
        command = [self.executable, "stdin", "stdout", *arguments]
        try:
            done = subprocess.run(  # noqa: S603 - fixed executable, no shell
                command,
                input=buffer.getvalue(),
                capture_output=True,
                timeout=self.timeout,
                env=_ENVIRONMENT,
                preexec_fn=_die_with_parent,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise JobFailure(
                JobErrorCode.EXTRACTION_TIMEOUT,
                f"OCR of one page took longer than {self.timeout:g} seconds",
            ) from None
        except OSError as exc:
            raise JobFailure(JobErrorCode.ENGINE_ERROR, f"tesseract cannot run: {exc}") from None
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise JobFailure(JobErrorCode.ENGINE_ERROR, f"tesseract failed: {message[0][:200]}")
        return done.stdout


def parse_tsv(tsv: str) -> Iterator[OcrWord]:
    """Word rows of Tesseract's TSV (level 5) with text; confidence scaled to 0-1."""
    for row in tsv.splitlines()[1:]:
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


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
