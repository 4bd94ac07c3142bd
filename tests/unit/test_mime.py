"""MIME sniffing: the bytes decide, the file name only tells kinds of plain text apart."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from quarry.core.errors import JobFailure
from quarry.sources.mime import (
    DOCX,
    SUPPORTED_TYPES,
    XLSX,
    check_declared_type,
    is_supported,
    sniff,
)

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Invoice</title></head><body><p>Total</p></body></html>\n"
)
TEXT = b"Hello world.\nThis is a plain text note about an invoice.\n"
CSV = b"name,amount,date\nalpha,1.50,2024-01-01\nbeta,2.00,2024-01-02\ngamma,3.25,2024-01-03\n"
SHORT_CSV = b"a,b\n1,2\n"
MARKDOWN = b"# Invoice\n\nSome *markdown* text.\n\n- item one\n- item two\n"
MARKDOWN_WITH_CODE = b"# Setup\n\n```python\nimport os\ndef f():\n    return 1\n```\n"
EML = (
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Invoice\r\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\r\nHello\r\n"
)
BARE_EML = b"Subject: Invoice 42\r\nX-Mailer: test\r\n  folded value\r\n\r\nPlease pay.\r\n"
JSON = b'{"invoice": {"total": 12.5, "items": [1, 2, 3]}}\n'
XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<root><a>1</a></root>\n'
BINARY = bytes((i * 37 + 11) % 256 for i in range(4096))
CONTENT_TYPES = '<?xml version="1.0"?><Types/>'


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buffer, fmt)
    return buffer.getvalue()


def _zip(*entries: tuple[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX_BYTES = _zip(("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", "<w/>"))
XLSX_BYTES = _zip(("[Content_Types].xml", CONTENT_TYPES), ("xl/workbook.xml", "<w/>"))
# libmagic only inspects the first entries; this docx starts with docProps/ and it says "zip".
DOCX_UNUSUAL_ORDER = _zip(
    ("docProps/app.xml", "<x/>"), ("word/document.xml", "<w/>"), ("[Content_Types].xml", "<T/>")
)


def _write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "blob"  # the name on disk is irrelevant; only the name argument counts
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (PDF, "a.pdf", "application/pdf"),
        (_image("PNG"), "a.png", "image/png"),
        (_image("JPEG"), "a.jpg", "image/jpeg"),
        (_image("TIFF"), "a.tif", "image/tiff"),
        (_image("WEBP"), "a.webp", "image/webp"),
        (_image("BMP"), "a.bmp", "image/bmp"),
        (HTML, "a.html", "text/html"),
        (TEXT, "a.txt", "text/plain"),
        (CSV, "a.csv", "text/csv"),
        (SHORT_CSV, "a.csv", "text/csv"),
        (MARKDOWN, "a.md", "text/markdown"),
        (MARKDOWN, "a.markdown", "text/markdown"),
        (MARKDOWN_WITH_CODE, "README.md", "text/markdown"),
        (EML, "a.eml", "message/rfc822"),
        (BARE_EML, "a.eml", "message/rfc822"),
        (DOCX_BYTES, "a.docx", DOCX),
        (XLSX_BYTES, "a.xlsx", XLSX),
        (DOCX_UNUSUAL_ORDER, "a.docx", DOCX),
        (_zip(("a.txt", "hello")), "a.zip", "application/zip"),
        (JSON, "a.json", "application/json"),
        (XML, "a.xml", "application/xml"),
        (BINARY, "a.bin", "application/octet-stream"),
        (b"", "a.pdf", "application/x-empty"),
    ],
)
def test_sniff_detects_each_type(tmp_path: Path, content: bytes, name: str, expected: str) -> None:
    assert sniff(_write(tmp_path, content), name) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (HTML, "text/html"),
        (_image("PNG"), "image/png"),
        (TEXT, "text/plain"),
        (DOCX_BYTES, DOCX),
        (_zip(("a.txt", "hello")), "application/zip"),
    ],
)
def test_a_pdf_extension_never_overrides_the_content(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    assert sniff(_write(tmp_path, content), "x.pdf") == expected


@pytest.mark.parametrize("name", ["a.csv", "a.md", "a.eml", "a.txt"])
def test_text_extensions_never_turn_binary_into_text(tmp_path: Path, name: str) -> None:
    assert sniff(_write(tmp_path, _image("PNG")), name) == "image/png"
    assert sniff(_write(tmp_path, PDF), name) == "application/pdf"


def test_eml_extension_needs_header_lines(tmp_path: Path) -> None:
    assert sniff(_write(tmp_path, TEXT), "note.eml") == "text/plain"


def test_without_a_name_plain_text_stays_plain(tmp_path: Path) -> None:
    assert sniff(_write(tmp_path, MARKDOWN)) == "text/plain"
    assert sniff(_write(tmp_path, SHORT_CSV)) == "text/plain"


def test_extension_case_does_not_matter(tmp_path: Path) -> None:
    assert sniff(_write(tmp_path, MARKDOWN), "NOTES.MD") == "text/markdown"


def test_supported_types_cover_the_documents_quarry_extracts() -> None:
    assert {"application/pdf", "image/png", "text/csv", "message/rfc822", DOCX, XLSX} <= (
        SUPPORTED_TYPES
    )
    assert is_supported("application/pdf")
    assert is_supported("Text/HTML; charset=utf-8")
    for unsupported in ("application/zip", "application/octet-stream", "application/x-empty"):
        assert not is_supported(unsupported)


class TestDeclaredType:
    """What the worker refuses before extraction, whatever the upload path."""

    def test_text_under_a_pdf_name_is_refused_as_a_failed_download(self) -> None:
        with pytest.raises(JobFailure) as caught:
            check_declared_type("invoice.pdf", "text/html")
        assert caught.value.code == "UNSUPPORTED_FILE_TYPE"
        assert "failed download" in caught.value.message

    def test_an_image_under_a_pdf_name_is_processed_as_an_image(self) -> None:
        check_declared_type("scan.pdf", "image/png")
        check_declared_type("page.html", "text/html")

    @pytest.mark.parametrize("mime_type", ["application/x-empty", "application/zip"])
    def test_empty_and_unsupported_files_are_refused(self, mime_type: str) -> None:
        with pytest.raises(JobFailure):
            check_declared_type("file.pdf", mime_type)
