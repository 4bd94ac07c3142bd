"""Parsing text, Markdown, CSV, HTML and image files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing import parse
from quarry.parsing.image import NO_TEXT_WARNING

NASTY = Path(__file__).resolve().parents[1] / "fixtures" / "nasty"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims the given size; its pixel data is never valid."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"x") + chunk(b"IEND", b"")
    )


def test_plain_text_keeps_lines_in_order_and_wide_gaps_between_words(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "Invoice No: 7\n\nTotal        45,00 €\n".encode())

    page = parse(path, "text/plain", max_pages=5).pages[0]

    assert [line.text for line in page.lines] == ["Invoice No: 7", "Total 45,00 €"]
    total, amount = page.lines[1].words[:2]
    assert amount.bbox[0] - total.bbox[2] > 5 * (total.bbox[2] - total.bbox[0]) / len("Total")
    assert page.lines[0].bbox[1] < page.lines[1].bbox[1]


def test_form_feeds_are_pages_and_count_against_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"one\fthree\fthree")

    assert len(parse(path, "text/plain", max_pages=3).pages) == 3
    with pytest.raises(JobFailure) as caught:
        parse(path, "text/plain", max_pages=2)
    assert caught.value.code is JobErrorCode.TOO_MANY_PAGES


def test_binary_bytes_are_not_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"\x00\x01\x02binary")

    with pytest.raises(JobFailure) as caught:
        parse(path, "text/plain", max_pages=2)
    assert caught.value.code is JobErrorCode.UNSUPPORTED_FILE_TYPE


def test_markdown_loses_its_markup_and_keeps_table_cells_apart(tmp_path: Path) -> None:
    text = "# Invoice **42**\n\n| Item | Price |\n|---|---|\n| Widget | 3.50 |\n"
    path = write(tmp_path, "a.md", text.encode())

    lines = [line.text for line in parse(path, "text/markdown", max_pages=2).pages[0].lines]

    assert lines == ["Invoice 42", "Item Price", "Widget 3.50"]


def test_csv_gives_one_line_per_row_and_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b'Item;Qty;Price\nWidget;2;3,50\n"Big, red";1;10,00\n')

    page = parse(path, "text/csv", max_pages=1).pages[0]

    assert [line.text for line in page.lines] == [
        "Item Qty Price",
        "Widget 2 3,50",
        "Big, red 1 10,00",
    ]
    (table,) = page.tables
    assert [[cell.text for cell in row] for row in table.rows] == [
        ["Item", "Qty", "Price"],
        ["Widget", "2", "3,50"],
        ["Big, red", "1", "10,00"],
    ]
    price = table.rows[1][2]
    assert price.bbox is not None
    assert price.bbox[0] > table.rows[1][1].bbox[2]  # type: ignore[index]


def test_html_keeps_visible_text_and_structure_only(tmp_path: Path) -> None:
    html = """<html><head><title>Sign in</title><style>p {color: red}</style></head>
    <body><script>var total = 'Total 999.99';</script>
    <h1>Invoice&nbsp;42</h1><p>Issued <b>today</b> by ACME</p>
    <div hidden>Total 111.11</div><span style="display: none">secret</span>
    <table><tr><th>Item</th><th>Amount</th></tr><tr><td>Widget</td><td>3.50</td></tr></table>
    <p>Total 3.50<br>Thank you</p></body></html>"""
    path = write(tmp_path, "a.html", html.encode())

    page = parse(path, "text/html", max_pages=1).pages[0]

    assert [line.text for line in page.lines] == [
        "Invoice 42",
        "Issued today by ACME",
        "Item Amount",
        "Widget 3.50",
        "Total 3.50",
        "Thank you",
    ]
    assert "999" not in page.text and "111" not in page.text and "secret" not in page.text
    (table,) = page.tables
    assert [[cell.text for cell in row] for row in table.rows] == [
        ["Item", "Amount"],
        ["Widget", "3.50"],
    ]


def test_image_without_text_is_ocred_and_honestly_unread() -> None:
    document = parse(NASTY / "gen_png_renamed.pdf", "image/png", max_pages=1)

    (page,) = document.pages
    assert (page.width, page.height) == (400, 200)
    assert page.source == "ocr"
    assert page.words == () and document.warnings == (NO_TEXT_WARNING,)


def test_huge_image_is_refused_from_its_header(tmp_path: Path) -> None:
    path = write(tmp_path, "big.png", png_header(30_000, 30_000))

    with pytest.raises(JobFailure) as caught:
        parse(path, "image/png", max_pages=1)
    assert caught.value.code is JobErrorCode.RESOURCE_LIMIT


def test_image_of_another_kind_than_claimed_is_unsupported() -> None:
    with pytest.raises(JobFailure) as caught:
        parse(NASTY / "gen_png_renamed.pdf", "image/jpeg", max_pages=1)
    assert caught.value.code is JobErrorCode.UNSUPPORTED_FILE_TYPE


def test_damaged_image_is_corrupt(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.png", png_header(100, 100)[:20])

    with pytest.raises(JobFailure) as caught:
        parse(path, "image/png", max_pages=1)
    assert caught.value.code in (JobErrorCode.CORRUPT_DOCUMENT, JobErrorCode.UNSUPPORTED_FILE_TYPE)
