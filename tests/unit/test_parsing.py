"""PDF parsing: words, lines and boxes from the text layer, limits, and error codes."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing import ParsedDocument, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NASTY = FIXTURES / "nasty"
PDF = "application/pdf"


def make_pdf(pages: list[list[tuple[int, int, str]]], *, rotate: int = 0) -> bytes:
    """A minimal valid PDF: each page shows (x, y, text) items in 12 pt Helvetica on A4."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for items in pages:
        # On a page displayed turned by 90°, text is drawn turned back so that it reads upright.
        place = b"0 1 -1 0 %d %d Tm" if rotate == 90 else b"%d %d Td"
        ops = b" ".join(
            b"BT /F1 12 Tf " + place % (x, y) + b" (%s) Tj ET" % t.encode() for x, y, t in items
        )
        content = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(ops), ops)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate %d "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (rotate, len(objects) + 2)
        )
        kids.append(b"%d 0 R" % len(objects))
        objects.append(content)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def failure_code(path: Path, mime_type: str = PDF, max_pages: int = 50) -> JobErrorCode:
    with pytest.raises(JobFailure) as caught:
        parse(path, mime_type, max_pages=max_pages)
    return caught.value.code


def test_pdf_words_lines_and_boxes_follow_the_page(tmp_path: Path) -> None:
    items = [
        (300, 700, "Total 45.00"),
        (50, 800, "Invoice No: 123"),
        (350, 800, "Date: 2024-01-31"),
    ]
    path = write(tmp_path, "a.pdf", make_pdf([items]))

    document = parse(path, PDF, max_pages=5)

    page = document.pages[0]
    assert (page.number, page.width, page.height) == (1, 595, 842)
    assert [line.text for line in page.lines] == [
        "Invoice No: 123 Date: 2024-01-31",
        "Total 45.00",
    ]
    invoice = page.lines[0].words[0]
    assert invoice.text == "Invoice"
    x0, y0, _, y1 = invoice.bbox
    assert x0 == pytest.approx(50 / 595, abs=0.005)
    assert 0 < y0 < 1 - 800 / 842 < y1 < 0.06  # top-left origin: y grows downwards
    total = page.lines[1].words[-1]
    assert total.text == "45.00" and total.bbox[1] > y1
    assert all(0 <= v <= 1 for w in page.words for v in w.bbox)


def test_rotated_page_reports_its_displayed_size_and_keeps_boxes_on_the_page(
    tmp_path: Path,
) -> None:
    items = [(400, 100, "Rotated text"), (500, 100, "Second line")]  # glyph tops point to -x
    path = write(tmp_path, "r.pdf", make_pdf([items], rotate=90))

    page = parse(path, PDF, max_pages=5).pages[0]

    assert (page.width, page.height) == (842, 595)
    assert [line.text for line in page.lines] == ["Rotated text", "Second line"]
    x0, y0, _, y1 = page.words[0].bbox
    assert x0 == pytest.approx(100 / 842, abs=0.01)  # drawn at y=100: the displayed left edge
    assert 0 < y0 < y1 < page.lines[1].bbox[1] <= 1


def test_page_limit_is_checked_before_reading_pages(tmp_path: Path) -> None:
    path = write(tmp_path, "p.pdf", make_pdf([[(50, 800, f"page {n}")] for n in range(3)]))

    assert failure_code(path, max_pages=2) is JobErrorCode.TOO_MANY_PAGES
    assert len(parse(path, PDF, max_pages=3).pages) == 3


def test_password_protected_pdf_is_an_encrypted_document() -> None:
    assert failure_code(NASTY / "pypdf_libreoffice-writer-password.pdf") is (
        JobErrorCode.ENCRYPTED_DOCUMENT
    )
    assert failure_code(NASTY / "opf_encryption_openpassword.pdf") is (
        JobErrorCode.ENCRYPTED_DOCUMENT
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("gen_zero_bytes.pdf", JobErrorCode.UNSUPPORTED_FILE_TYPE),
        ("gen_html_renamed.pdf", JobErrorCode.UNSUPPORTED_FILE_TYPE),
        ("gen_png_renamed.pdf", JobErrorCode.UNSUPPORTED_FILE_TYPE),
        ("qpdf_bad1.pdf", JobErrorCode.UNSUPPORTED_FILE_TYPE),
        ("qpdf_deep-pages.pdf", JobErrorCode.CORRUPT_DOCUMENT),
        ("gen_flate_bomb_1GiB.pdf", JobErrorCode.RESOURCE_LIMIT),
    ],
)
def test_broken_pdfs_fail_with_their_code(name: str, code: JobErrorCode) -> None:
    assert failure_code(NASTY / name) is code


def test_truncated_pdf_keeps_the_text_that_survived() -> None:
    document = parse(NASTY / "gen_truncated.pdf", PDF, max_pages=5)

    assert document.text == "ACME Test Supplies Ltd, 1 Example Street, Springfield"
    assert "damaged" in document.warnings[0]


def test_page_tree_cycle_is_recovered_from_the_content_stream() -> None:
    document = parse(NASTY / "gen_page_tree_cycle.pdf", PDF, max_pages=5)

    assert "TOTAL DUE" in document.text and "INV-NASTY-0001" in document.text
    assert document.warnings


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("opf_javascript.pdf", "JavaScript example"),
        ("opf_corruptionOneByteMissing.pdf", "This is a test document."),
        ("qpdf_append-xref-loop.pdf", "Potato 0"),
        ("qpdf_bad-jpeg.pdf", "/DeviceRGB with filter /DCTDecode"),
        ("gen_huge_mediabox.pdf", "INVOICE No. INV-NASTY-0001"),
    ],
)
def test_damaged_or_odd_pdfs_still_give_their_text(name: str, text: str) -> None:
    assert text in parse(NASTY / name, PDF, max_pages=50).text


def test_unsupported_type_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.zip", b"PK\x03\x04 not really")

    assert failure_code(path, "application/zip") is JobErrorCode.UNSUPPORTED_FILE_TYPE


def test_parsed_document_survives_pickling() -> None:
    document = parse(FIXTURES / "docs" / "invoice2data-AzureInterior.pdf", PDF, max_pages=5)

    copy = pickle.loads(pickle.dumps(document))

    assert isinstance(copy, ParsedDocument) and copy == document
    assert "Total $ 279.84" in copy.text
