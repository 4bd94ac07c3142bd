"""OCR: photos, scans and scanned PDFs read through Tesseract (or rapidocr when forced).

Tesseract and its eng/deu data come from PyPI, so none of these needs a system package."""

from __future__ import annotations

import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing import ParsedDocument, parse
from quarry.parsing.image import NO_TEXT_WARNING
from quarry.parsing.options import OcrOptions

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
RECEIPT = DOCS / "sroie-train-217.jpg"  # SROIE receipt photo: "Date: 25/04/18", total 22.00
AWS_PNG = DOCS / "invoice2data-AmazonWebServices-png.png"
GERMAN_PDF = DOCS / "invoice2data-QualityHosting.pdf"  # "Grundgebühr", "Jürgen" on page 1


def words_of(document: ParsedDocument) -> set[str]:
    return {word.text for page in document.pages for word in page.words}


def test_receipt_photo_is_read_with_its_date_and_total() -> None:
    document = parse(RECEIPT, "image/jpeg", max_pages=1)

    (page,) = document.pages
    assert page.source == "ocr"
    assert "25/04/18" in words_of(document)
    assert any("Total" in line.text and "22.00" in line.text for line in page.lines)
    assert all(0 <= word.confidence <= 1 for word in page.words)
    assert all(0 <= v <= 1 for word in page.words for v in word.bbox)


def test_invoice_image_keeps_coloured_text_and_amounts() -> None:
    document = parse(AWS_PNG, "image/png", max_pages=1)

    lines = [line.text for line in document.pages[0].lines]
    assert "Invoice Number: 42183017" in lines
    # Service names are printed in orange: they must survive the grey conversion.
    assert any(
        line.startswith("Amazon Elastic Compute Cloud") and "$1.87" in line for line in lines
    )


@pytest.mark.parametrize("angle", [90, 180])
def test_a_turned_photo_is_read_upright(tmp_path: Path, angle: int) -> None:
    path = tmp_path / "turned.png"
    with Image.open(RECEIPT) as image:
        image.rotate(angle, expand=True, fillcolor="white").save(path)

    (page,) = parse(path, "image/png", max_pages=1).pages

    assert page.rotation == angle  # turned counter-clockwise; read after turning it back
    assert "25/04/18" in {word.text for word in page.words}
    assert page.height > page.width  # the receipt stands upright again


def test_exif_orientation_is_applied_before_ocr(tmp_path: Path) -> None:
    path = tmp_path / "exif.jpg"
    with Image.open(RECEIPT) as image:
        turned = image.rotate(90, expand=True)  # stored sideways, EXIF says "turn back"
        exif = turned.getexif()
        exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
        turned.save(path, exif=exif, quality=95)

    (page,) = parse(path, "image/jpeg", max_pages=1).pages

    assert page.rotation == 0  # upright from EXIF alone, no orientation search
    assert "25/04/18" in {word.text for word in page.words}


def test_scanned_pdf_page_is_ocred_automatically(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    with Image.open(RECEIPT) as image:
        image.convert("RGB").save(path, "PDF", resolution=150)

    document = parse(path, "application/pdf", max_pages=2)

    (page,) = document.pages
    assert page.source == "ocr"
    assert "25/04/18" in words_of(document)
    assert document.warnings == ()


def test_skewed_scan_is_deskewed(tmp_path: Path) -> None:
    path = tmp_path / "skewed.png"
    with Image.open(AWS_PNG) as image:
        image.crop((0, 300, 2975, 1300)).rotate(3, expand=True, fillcolor="white").save(path)

    lines = [line.text for line in parse(path, "image/png", max_pages=1).pages[0].lines]

    assert "Invoice Number: 42183017" in lines


def test_multi_page_tiff_gives_one_page_per_frame(tmp_path: Path) -> None:
    path = tmp_path / "pages.tiff"
    frames = [Image.new("L", (200, 100), 255) for _ in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:])

    assert len(parse(path, "image/tiff", max_pages=3).pages) == 3
    with pytest.raises(JobFailure) as caught:
        parse(path, "image/tiff", max_pages=2)
    assert caught.value.code is JobErrorCode.TOO_MANY_PAGES


def test_ocr_that_overruns_its_time_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(JobFailure) as caught:
        parse(AWS_PNG, "image/png", max_pages=1, ocr=OcrOptions(timeout_seconds=0.05))
    assert caught.value.code is JobErrorCode.EXTRACTION_TIMEOUT
    assert time.monotonic() - started < 5


def test_rapidocr_reads_when_tesseract_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "head.png"
    with Image.open(AWS_PNG) as image:
        image.crop((0, 500, 2975, 700)).save(path)  # two lines: keep this test quick

    document = parse(path, "image/png", max_pages=1, ocr=OcrOptions(engine="rapidocr"))

    assert "42183017" in words_of(document)
    assert document.pages[0].source == "ocr"


def test_forcing_tesseract_without_its_language_data_is_an_engine_error() -> None:
    options = OcrOptions(engine="tesseract", languages="xyz")

    with pytest.raises(JobFailure) as caught:
        parse(AWS_PNG, "image/png", max_pages=1, ocr=options)
    assert caught.value.code is JobErrorCode.ENGINE_ERROR
    assert "xyz" in caught.value.message


def test_auto_falls_back_to_rapidocr_when_tesseract_lacks_the_languages(tmp_path: Path) -> None:
    path = tmp_path / "head.png"
    with Image.open(AWS_PNG) as image:
        image.crop((0, 500, 2975, 700)).save(path)

    document = parse(path, "image/png", max_pages=1, ocr=OcrOptions(languages="xyz"))

    assert "42183017" in words_of(document)


def test_german_is_read_with_the_bundled_language_data(tmp_path: Path) -> None:
    path = tmp_path / "german.png"
    pdf = pdfium.PdfDocument(GERMAN_PDF)
    try:
        pdf[0].render(scale=200 / 72).to_pil().convert("L").save(path)
    finally:
        pdf.close()

    document = parse(path, "image/png", max_pages=1, ocr=OcrOptions(languages="eng+deu"))

    assert {"Grundgebühr", "Jürgen"} <= words_of(document)  # eng alone reads neither


def test_an_image_with_marks_but_no_text_gives_no_words_with_rapidocr(tmp_path: Path) -> None:
    path = tmp_path / "lines.png"
    image = Image.new("L", (400, 300), 255)
    draw = ImageDraw.Draw(image)
    for y in range(40, 280, 60):
        draw.rectangle((30, y, 370, y + 4), fill=90)  # dark enough not to count as blank
    image.save(path)

    document = parse(path, "image/png", max_pages=1, ocr=OcrOptions(engine="rapidocr"))

    assert words_of(document) == set()
    assert document.warnings == (NO_TEXT_WARNING,)
