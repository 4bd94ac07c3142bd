"""Page images for the review screen: sized as asked (within bounds), upright like the OCR saw
them, and aligned with the parser's word boxes so drawn `fieldDetails` boxes land on the ink."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from quarry.core.errors import NotFound
from quarry.documents.pages import MAX_WIDTH, render_page
from quarry.parsing.options import ParseOptions
from quarry.parsing.pdf import parse_pdf

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
PDF = DOCS / "invoice2data-AzureInterior.pdf"


def grey(picture: Image.Image, xy: tuple[int, int]) -> int:
    value = picture.convert("L").getpixel(xy)
    assert isinstance(value, int)
    return value


def png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


def test_a_pdf_page_is_drawn_at_the_asked_width_and_bounded() -> None:
    # pdfium rounds the page's edge up: a pixel more at most
    assert png(render_page(PDF, "application/pdf", 1, width=800)).width in (800, 801)
    assert png(render_page(PDF, "application/pdf", 1, width=50_000)).width in (
        MAX_WIDTH,
        MAX_WIDTH + 1,
    )


def _turned_pdf(tmp_path: Path) -> Path:
    """The fixture with /Rotate 90 on its page: a landscape page the viewer shows turned."""
    document = pdfium.PdfDocument(PDF)
    try:
        document[0].set_rotation(90)
        path = tmp_path / "turned.pdf"
        with path.open("wb") as out:
            document.save(out)
    finally:
        document.close()
    return path


@pytest.mark.parametrize("turned", [False, True], ids=["upright", "rotate-entry"])
def test_word_boxes_of_the_parser_land_on_ink_in_the_picture(turned: bool, tmp_path: Path) -> None:
    path = _turned_pdf(tmp_path) if turned else PDF
    document = parse_pdf(path, ParseOptions(max_pages=10))
    picture = png(render_page(path, "application/pdf", 1, width=1200)).convert("L")
    assert (picture.width > picture.height) is turned
    words = [w for line in document.pages[0].lines for w in line.words if len(w.text) >= 4]
    assert len(words) > 20
    for word in words[:40]:
        x0, y0, x1, y1 = word.bbox
        box = (
            int(x0 * picture.width),
            int(y0 * picture.height),
            int(x1 * picture.width) + 1,
            int(y1 * picture.height) + 1,
        )
        darkest, _ = picture.crop(box).getextrema()
        assert isinstance(darkest, int)
        assert darkest < 128, f"no ink under {word.text!r} at {box}"


def test_a_page_past_the_end_is_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        render_page(PDF, "application/pdf", 2, width=800)
    assert caught.value.code == "PAGE_NOT_FOUND"


def test_a_phone_photo_is_turned_upright_by_its_exif_orientation(tmp_path: Path) -> None:
    photo = Image.new("RGB", (300, 200), "white")
    photo.paste((0, 0, 0), (0, 0, 30, 30))  # a mark in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    path = tmp_path / "photo.jpg"
    photo.save(path, format="JPEG", exif=exif)
    shown = png(render_page(path, "image/jpeg", 1, width=1200)).convert("L")
    assert shown.size == (200, 300)  # upright, and never enlarged
    assert grey(shown, (190, 10)) < 100  # the mark is now top-right
    assert grey(shown, (10, 10)) > 200


def test_a_page_the_ocr_turned_is_drawn_turned_the_same_way(tmp_path: Path) -> None:
    scan = Image.new("RGB", (300, 200), "white")
    scan.paste((0, 0, 0), (0, 0, 30, 30))  # a mark in the stored top-left corner, no EXIF
    path = tmp_path / "scan.png"
    scan.save(path, format="PNG")
    shown = png(render_page(path, "image/png", 1, width=1200, rotation=90)).convert("L")
    assert shown.size == (200, 300)
    assert grey(shown, (190, 10)) < 100  # clockwise, as parsing/ocr/reader.py turns it
    assert grey(shown, (10, 10)) > 200
    page = png(render_page(PDF, "application/pdf", 1, width=800, rotation=270))
    assert page.width in (800, 801) and page.height < page.width


def test_every_frame_of_a_tiff_is_a_page(tmp_path: Path) -> None:
    path = tmp_path / "scan.tiff"
    frames = [Image.new("RGB", (400, 500), c) for c in ("white", "black")]
    frames[0].save(path, format="TIFF", save_all=True, append_images=frames[1:])
    second = png(render_page(path, "image/tiff", 2, width=200)).convert("L")
    assert second.size == (200, 250)
    assert grey(second, (100, 100)) < 20
    with pytest.raises(NotFound):
        render_page(path, "image/tiff", 3, width=200)


def test_documents_without_pages_to_draw_say_so(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(NotFound) as caught:
        render_page(path, "text/plain", 1, width=800)
    assert caught.value.code == "PAGE_IMAGE_UNAVAILABLE"


def test_a_damaged_pdf_is_not_a_server_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n garbage")
    with pytest.raises(NotFound) as caught:
        render_page(path, "application/pdf", 1, width=800)
    assert caught.value.code == "PAGE_IMAGE_UNAVAILABLE"
