"""`parse`: a file of a sniffed MIME type → ParsedDocument, or a JobFailure with a spec code.

The MIME type comes from the bytes (see `quarry.sources.mime`), but each parser still checks
the content it is given, because a type can be claimed wrongly:

    empty file                                     UNSUPPORTED_FILE_TYPE (no document at all)
    a type Quarry cannot read (zip, json, ...)     UNSUPPORTED_FILE_TYPE
    content lacking the claimed type's signature   UNSUPPORTED_FILE_TYPE ("not a PDF")
    the signature is right, the structure broken   CORRUPT_DOCUMENT (after recovery attempts)
    password-protected PDF or Office file          ENCRYPTED_DOCUMENT
    over the page limit                            TOO_MANY_PAGES, before pages are read
    over a size cap (pixels, inflated stream,
      zip members, cells, XML depth or entities)   RESOURCE_LIMIT

Hard limits (wall clock, memory) are not enforced here: see `quarry.engines.runner`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.docx import DOCX_MIME, parse_docx
from quarry.parsing.eml import EML_MIME, parse_eml
from quarry.parsing.html import parse_html
from quarry.parsing.image import IMAGE_FORMATS, parse_image
from quarry.parsing.model import ParsedDocument
from quarry.parsing.options import OcrOptions, ParseOptions
from quarry.parsing.pdf import PDF_MIME, parse_pdf
from quarry.parsing.tabular import parse_csv
from quarry.parsing.text import parse_plain_text
from quarry.parsing.xlsx import XLSX_MIME, parse_xlsx

Parser = Callable[[Path, str, ParseOptions], ParsedDocument]


def _image(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    return parse_image(path, mime_type=mime_type, options=options)


def _text(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    markdown = mime_type == "text/markdown"
    return parse_plain_text(
        path.read_bytes(), mime_type=mime_type, max_pages=options.max_pages, markdown=markdown
    )


def _csv(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    return parse_csv(path.read_bytes(), mime_type=mime_type)


def _html(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    return parse_html(path.read_bytes(), mime_type=mime_type)


def _pdf(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    return parse_pdf(path, options)


def _docx(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    return parse_docx(path, options)


def _xlsx(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    return parse_xlsx(path, options)


def _eml(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    return parse_eml(path.read_bytes(), options, parse_part=parse_with)


PARSERS: dict[str, Parser] = {
    PDF_MIME: _pdf,
    "text/plain": _text,
    "text/markdown": _text,
    "text/csv": _csv,
    "text/html": _html,
    DOCX_MIME: _docx,
    XLSX_MIME: _xlsx,
    EML_MIME: _eml,
    **dict.fromkeys(IMAGE_FORMATS, _image),
}


def parse(
    path: Path, mime_type: str, *, max_pages: int, ocr: OcrOptions | None = None
) -> ParsedDocument:
    """Parse the file at `path`; raises JobFailure with the spec's errorCode on failure."""
    return parse_with(path, mime_type, ParseOptions(max_pages=max_pages, ocr=ocr or OcrOptions()))


def parse_with(path: Path, mime_type: str, options: ParseOptions) -> ParsedDocument:
    kind = mime_type.split(";", 1)[0].strip().lower()
    parser = PARSERS.get(kind)
    if parser is None:
        raise JobFailure(
            JobErrorCode.UNSUPPORTED_FILE_TYPE,
            f"files of type {kind or 'unknown'} are not supported",
        )
    if path.stat().st_size == 0:
        raise JobFailure(JobErrorCode.UNSUPPORTED_FILE_TYPE, "the file is empty")
    return parser(path, kind, options)
