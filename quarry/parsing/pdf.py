"""PDF → ParsedDocument through PDFium's text layer (pypdfium2), and OCR where it is missing.

Outcomes:
    no `%PDF-` header in the first KB            UNSUPPORTED_FILE_TYPE (not a PDF at all)
    a content stream inflating past 100 MB       RESOURCE_LIMIT (flate bomb; checked first)
    password needed / unknown security handler   ENCRYPTED_DOCUMENT
    more pages than `max_pages`                  TOO_MANY_PAGES (before any page is read)
    PDFium cannot read the structure             text salvaged from the raw streams, with a
                                                 warning; CORRUPT_DOCUMENT when none is found
    some pages unreadable                        those pages skipped, with a warning
    a page without a text layer (a scan)         rendered and OCRed (see `pdf_ocr`)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pypdfium2 as pdfium

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.model import Page, ParsedDocument
from quarry.parsing.ocr.engines import OcrEngine, select_engine
from quarry.parsing.options import OcrOptions, ParseOptions
from quarry.parsing.pdf_ocr import (
    IMAGE_OCR_PAGES,
    SCAN_MAX_WORDS,
    image_boxes,
    needs_ocr,
    ocr_images,
    ocr_whole_page,
)
from quarry.parsing.pdf_page import read_page
from quarry.parsing.pdf_streams import StreamTooLarge, check_stream_sizes, salvage_text
from quarry.parsing.text import synthetic_page

PDF_MIME = "application/pdf"
_HEADER_WINDOW = 1024
_PASSWORD_ERRORS = frozenset({4, 5})  # FPDF_ERR_PASSWORD, FPDF_ERR_SECURITY
_NO_TEXT_WARNING = "no text was found in the PDF, not even by OCR"


def parse_pdf(path: Path, options: ParseOptions) -> ParsedDocument:
    return parse_pdf_bytes(path.read_bytes(), options)


def parse_pdf_bytes(data: bytes, options: ParseOptions) -> ParsedDocument:
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise JobFailure(JobErrorCode.UNSUPPORTED_FILE_TYPE, "the file is not a PDF")
    try:
        check_stream_sizes(data)
    except StreamTooLarge as exc:
        raise JobFailure(JobErrorCode.RESOURCE_LIMIT, str(exc)) from None
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in _PASSWORD_ERRORS:
            raise JobFailure(
                JobErrorCode.ENCRYPTED_DOCUMENT, "the PDF is protected by a password"
            ) from None
        return _salvage(data, "PDFium could not read the file structure")
    try:
        return _read_document(document, data, options)
    finally:
        document.close()


def _read_document(
    document: pdfium.PdfDocument, data: bytes, options: ParseOptions
) -> ParsedDocument:
    count = len(document)
    max_pages = options.max_pages
    if count > max_pages:
        raise JobFailure(
            JobErrorCode.TOO_MANY_PAGES,
            f"the PDF has {count} pages; at most {max_pages} are allowed",
        )
    pages: list[Page] = []
    warnings: list[str] = []
    for index in range(count):
        try:
            pages.append(_page(document, index, options.ocr))
        except pdfium.PdfiumError:
            warnings.append(f"page {index + 1} could not be read and was skipped")
    if not pages:
        return _salvage(data, "no page of the PDF could be read")
    if not any(page.words for page in pages):
        warnings.append(_NO_TEXT_WARNING)
    return ParsedDocument(pages=tuple(pages), mime_type=PDF_MIME, warnings=tuple(warnings))


def _page(document: pdfium.PdfDocument, index: int, options: OcrOptions) -> Page:
    page = read_page(document, index)
    wants_images = options.pdf_images and index < IMAGE_OCR_PAGES
    if not wants_images and len(page.words) >= SCAN_MAX_WORDS:
        return page  # the common case: a text page, no image enumeration at all
    images = image_boxes(document, index)
    if needs_ocr(page, images):
        return ocr_whole_page(document, index, _engine(options), options)
    if wants_images and images:
        return ocr_images(document, index, page, images, engine=_engine(options), options=options)
    return page


@cache
def _engine(options: OcrOptions) -> OcrEngine:
    return select_engine(options)


def _salvage(data: bytes, reason: str) -> ParsedDocument:
    lines = salvage_text(data)
    if not lines:
        raise JobFailure(JobErrorCode.CORRUPT_DOCUMENT, f"the PDF is damaged: {reason}")
    warning = f"the PDF is damaged ({reason}); text was recovered without its layout"
    return ParsedDocument(
        pages=(synthetic_page(1, lines),), mime_type=PDF_MIME, warnings=(warning,)
    )
