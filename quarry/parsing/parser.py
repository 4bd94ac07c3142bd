"""`parse`: a file of a sniffed MIME type → ParsedDocument, or a JobFailure with a spec code.

The MIME type comes from the bytes (see `quarry.sources.mime`), but each parser still checks
the content it is given, because a type can be claimed wrongly:

    empty file                                     UNSUPPORTED_FILE_TYPE (no document at all)
    a type Quarry cannot read (zip, docx, ...)     UNSUPPORTED_FILE_TYPE
    content lacking the claimed type's signature   UNSUPPORTED_FILE_TYPE ("not a PDF")
    the signature is right, the structure broken   CORRUPT_DOCUMENT (after recovery attempts)
    password-protected PDF                         ENCRYPTED_DOCUMENT
    over the page limit                            TOO_MANY_PAGES, before pages are read
    over a size cap (pixels, inflated stream)      RESOURCE_LIMIT

Hard limits (wall clock, memory) are not enforced here: see `quarry.engines.runner`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.html import parse_html
from quarry.parsing.image import IMAGE_FORMATS, parse_image
from quarry.parsing.model import ParsedDocument
from quarry.parsing.pdf import PDF_MIME, parse_pdf
from quarry.parsing.tabular import parse_csv
from quarry.parsing.text import parse_plain_text

Parser = Callable[[Path, str, int], ParsedDocument]


def _pdf(path: Path, mime_type: str, max_pages: int) -> ParsedDocument:
    return parse_pdf(path, max_pages=max_pages)


def _image(path: Path, mime_type: str, max_pages: int) -> ParsedDocument:
    return parse_image(path, mime_type=mime_type, max_pages=max_pages)


def _text(path: Path, mime_type: str, max_pages: int) -> ParsedDocument:
    markdown = mime_type == "text/markdown"
    return parse_plain_text(
        path.read_bytes(), mime_type=mime_type, max_pages=max_pages, markdown=markdown
    )


def _csv(path: Path, mime_type: str, max_pages: int) -> ParsedDocument:
    return parse_csv(path.read_bytes(), mime_type=mime_type)


def _html(path: Path, mime_type: str, max_pages: int) -> ParsedDocument:
    return parse_html(path.read_bytes(), mime_type=mime_type)


PARSERS: dict[str, Parser] = {
    PDF_MIME: _pdf,
    "text/plain": _text,
    "text/markdown": _text,
    "text/csv": _csv,
    "text/html": _html,
    **dict.fromkeys(IMAGE_FORMATS, _image),
}


def parse(path: Path, mime_type: str, *, max_pages: int) -> ParsedDocument:
    """Parse the file at `path`; raises JobFailure with the spec's errorCode on failure."""
    kind = mime_type.split(";", 1)[0].strip().lower()
    parser = PARSERS.get(kind)
    if parser is None:
        raise JobFailure(
            JobErrorCode.UNSUPPORTED_FILE_TYPE,
            f"files of type {kind or 'unknown'} are not supported",
        )
    if path.stat().st_size == 0:
        raise JobFailure(JobErrorCode.UNSUPPORTED_FILE_TYPE, "the file is empty")
    return parser(path, kind, max_pages)
