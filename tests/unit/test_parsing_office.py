"""DOCX, XLSX and e-mail parsing, and the bombs that must fail fast with a spec code."""

from __future__ import annotations

import datetime
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from openpyxl import Workbook

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing import ParsedDocument, parse
from tests.unit.test_parsing import make_pdf

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EML = "message/rfc822"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def paragraph(text: str, extra: str = "") -> str:
    return f'<w:p><w:r>{extra}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def table(rows: list[list[str]]) -> str:
    cells = "".join(
        "<w:tr>" + "".join(f"<w:tc>{paragraph(c)}</w:tc>" for c in row) + "</w:tr>" for row in rows
    )
    return f"<w:tbl>{cells}</w:tbl>"


def write_docx(path: Path, body: str, parts: dict[str, str] | None = None) -> Path:
    document = f'<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", document)
        for name, text in (parts or {}).items():
            archive.writestr(name, text)
    return path


def lines_of(document: ParsedDocument, page: int = 0) -> list[str]:
    return [line.text for line in document.pages[page].lines]


def test_docx_keeps_paragraphs_and_tables_in_reading_order(tmp_path: Path) -> None:
    body = (
        paragraph("Invoice INV-7")
        + table(
            [["Description", "Qty", "Amount"], ["Widget", "2", "7.00"], ["Gadget", "1", "3.50"]]
        )
        + paragraph("Total 10.50")
    )
    header = f"<w:hdr {W}>{paragraph('ACME Supplies Ltd')}</w:hdr>"
    path = write_docx(tmp_path / "a.docx", body, {"word/header1.xml": header})

    document = parse(path, DOCX, max_pages=5)

    assert lines_of(document) == [
        "ACME Supplies Ltd",
        "Invoice INV-7",
        "Description Qty Amount",
        "Widget 2 7.00",
        "Gadget 1 3.50",
        "Total 10.50",
    ]
    (found,) = document.pages[0].tables
    assert found.header == ("Description", "Qty", "Amount")
    assert found.records() == [
        {"Description": "Widget", "Qty": "2", "Amount": "7.00"},
        {"Description": "Gadget", "Qty": "1", "Amount": "3.50"},
    ]


def test_docx_page_breaks_start_new_pages_and_count_against_the_limit(tmp_path: Path) -> None:
    page_break = '<w:br w:type="page"/>'
    body = paragraph("one") + paragraph("two", page_break) + paragraph("three", page_break)
    path = write_docx(tmp_path / "b.docx", body)

    document = parse(path, DOCX, max_pages=5)

    assert [page.text for page in document.pages] == ["one", "two", "three"]
    with pytest.raises(JobFailure) as caught:
        parse(path, DOCX, max_pages=2)
    assert caught.value.code is JobErrorCode.TOO_MANY_PAGES


def test_xlsx_sheets_become_pages_with_tables_of_values(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Items"
    sheet.append(["Description", "Quantity", "Unit price", "Amount"])
    sheet.append(["Widget", 2, 3.5, "=B2*C2"])
    sheet.append(["Delivered", datetime.date(2024, 3, 15)])
    book.create_sheet("Notes").append(["Paid by card"])
    path = tmp_path / "c.xlsx"
    book.save(path)

    document = parse(path, XLSX, max_pages=5)

    items, notes = document.pages
    assert (items.section, notes.section) == ("Items", "Notes")
    (found,) = items.tables
    assert found.header == ("Description", "Quantity", "Unit price", "Amount")
    # Formulas are never evaluated: a file saved without cached values has none.
    assert found.records() == [
        {"Description": "Widget", "Quantity": "2", "Unit price": "3.5"},
        {"Description": "Delivered", "Quantity": "2024-03-15"},
    ]
    assert notes.text == "Paid by card"


def test_xlsx_with_too_many_sheets_is_refused(tmp_path: Path) -> None:
    book = Workbook()
    for index in range(3):
        book.create_sheet(f"s{index}")
    path = tmp_path / "d.xlsx"
    book.save(path)

    with pytest.raises(JobFailure) as caught:
        parse(path, XLSX, max_pages=2)
    assert caught.value.code is JobErrorCode.TOO_MANY_PAGES


def test_email_headers_body_and_pdf_attachment_are_read(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "Billing <billing@acme.example>"
    message["To"] = "ada@example.com"
    message["Subject"] = "Your invoice INV-9"
    message["Date"] = "Fri, 15 Mar 2024 10:00:00 +0000"
    message.set_content("Hello,\nplease find the invoice attached.\n")
    pdf = make_pdf([[(72, 700, "Invoice INV-9"), (72, 680, "Total due 24.69 EUR")]])
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="inv-9.pdf")
    message.add_attachment(
        b"\x00\x01binary", maintype="application", subtype="zip", filename="x.zip"
    )
    path = tmp_path / "mail.eml"
    path.write_bytes(message.as_bytes())

    document = parse(path, EML, max_pages=5)

    first, attached = document.pages
    assert lines_of(document)[:4] == [
        "From: Billing <billing@acme.example>",
        "To: ada@example.com",
        "Subject: Your invoice INV-9",
        "Date: Fri, 15 Mar 2024 10:00:00 +0000",
    ]
    assert "please find the invoice attached." in first.text
    assert (attached.number, attached.section) == (2, "inv-9.pdf")
    assert "Total due 24.69 EUR" in attached.text
    assert any("x.zip" in warning for warning in document.warnings)


def test_email_html_body_is_read_as_visible_text(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "a@example.com"
    message["Subject"] = "Receipt"
    message.set_content("<p>Total <b>12.00</b></p><script>x=1</script>", subtype="html")
    path = tmp_path / "html.eml"
    path.write_bytes(message.as_bytes())

    assert "Total 12.00" in parse(path, EML, max_pages=1).text
    assert "x=1" not in parse(path, EML, max_pages=1).text


def test_email_attachments_count_against_the_page_limit(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "a@example.com"
    message["Subject"] = "Two pages attached"
    message.set_content("see attached")
    pdf = make_pdf([[(72, 700, "page one")], [(72, 700, "page two")]])
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="two.pdf")
    path = tmp_path / "pages.eml"
    path.write_bytes(message.as_bytes())

    assert len(parse(path, EML, max_pages=3).pages) == 3
    with pytest.raises(JobFailure) as caught:
        parse(path, EML, max_pages=2)
    assert caught.value.code is JobErrorCode.TOO_MANY_PAGES


def fails_fast(path: Path, mime_type: str) -> JobErrorCode:
    started = time.monotonic()
    with pytest.raises(JobFailure) as caught:
        parse(path, mime_type, max_pages=5)
    assert time.monotonic() - started < 2
    return caught.value.code


def test_zip_bomb_docx_is_refused_before_inflating(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bomb.docx", paragraph("hi"))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/zeros.bin", b"\x00" * (120 * 1024 * 1024))

    assert fails_fast(path, DOCX) is JobErrorCode.RESOURCE_LIMIT


def test_billion_laughs_docx_is_refused(tmp_path: Path) -> None:
    entities = '<!ENTITY a "lol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    document = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
        f"<w:document {W}><w:body>{paragraph('&j;')}</w:body></w:document>"
    )
    path = tmp_path / "laughs.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", document)

    assert fails_fast(path, DOCX) is JobErrorCode.RESOURCE_LIMIT


def test_deeply_nested_docx_xml_is_refused(tmp_path: Path) -> None:
    body = "<w:sdt>" * 5000 + paragraph("deep") + "</w:sdt>" * 5000
    path = write_docx(tmp_path / "deep.docx", body)

    assert fails_fast(path, DOCX) is JobErrorCode.RESOURCE_LIMIT


def test_billion_laughs_xlsx_is_refused(tmp_path: Path) -> None:
    book = Workbook()
    path = tmp_path / "laughs.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    dtd = b'<!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    parts["xl/worksheets/sheet1.xml"] = dtd + parts["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)

    assert fails_fast(path, XLSX) is JobErrorCode.RESOURCE_LIMIT


@pytest.mark.parametrize("mime_type", [DOCX, XLSX])
def test_office_files_that_are_not_zips_are_unsupported_or_encrypted(
    tmp_path: Path, mime_type: str
) -> None:
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    legacy = tmp_path / "old.doc"
    legacy.write_bytes(cfb + b"WordDocument".decode().encode("utf-16-le"))
    encrypted = tmp_path / "locked.docx"
    encrypted.write_bytes(cfb + "EncryptedPackage".encode("utf-16-le"))
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")

    assert fails_fast(legacy, mime_type) is JobErrorCode.UNSUPPORTED_FILE_TYPE
    assert fails_fast(encrypted, mime_type) is JobErrorCode.ENCRYPTED_DOCUMENT
    assert fails_fast(broken, mime_type) is JobErrorCode.UNSUPPORTED_FILE_TYPE
