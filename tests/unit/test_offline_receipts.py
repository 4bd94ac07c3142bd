"""The offline engine on receipts as OCR reads them: cash rounding, garbled total labels,
misread currency prefixes, names over two lines, stray currency marks."""

from __future__ import annotations

from typing import Any

from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import get_engine
from quarry.parsing.text import parse_plain_text

FIELDS: list[dict[str, Any]] = [
    {"name": "vendor", "type": "text"},
    {"name": "total", "type": "number"},
    {"name": "currency", "type": "text"},
]


def extract(text: str) -> ExtractionResult:
    document = parse_plain_text(text.encode(), mime_type="text/plain", max_pages=2)
    context = EngineContext(fields=specs_from_wire(FIELDS), file_name="receipt.txt")
    return get_engine("offline").extract(document, context)


def test_the_total_after_cash_rounding_is_what_was_paid() -> None:
    result = extract(
        """\
KEDAI MAJU SDN BHD
TOTAL                      60.31
ROUNDING ADJ.              -0.01
                           60.30
CASH                       70.30
"""
    )
    assert result.fields["total"] == 60.3
    assert result.field_details["total"]["text"] == "60.30"


def test_a_one_word_label_inside_a_garbled_total_label_is_not_a_new_label() -> None:
    # OCR read "Total Sales (Inclusive of GST)"; the "GST" in it does not make 80.90 the tax
    result = extract(
        """\
YONGFATT ENTERPRISE
Total GST                           0.00
Total Sajesfoclusive of GST) :     80.90
CASH :                            100.00
Change :                           19.10
GST SUMMARY   Total    80.91    0.00
"""
    )
    assert result.fields["total"] == 80.9  # cash − change agrees to the cent: not 80.91


def test_without_a_readable_total_label_the_subtotal_is_taken_with_low_confidence() -> None:
    result = extract(
        """\
PASAR MINI JIN SENG
SUBTOTAL (QTY = 4)            RY41.45
CASH                          RM50.00
"""
    )
    assert result.fields["total"] == 41.45  # "RY" is OCR's "RM"; the 4 is a quantity
    assert result.field_details["total"]["confidence"] < 0.5


def test_a_name_over_two_lines_joined_by_an_ampersand_is_one_name() -> None:
    result = extract(
        """\
HOME MASTER HARDWARE &
ELECTRICAL
NO. 12, JALAN MERANTI 4,
40400 SHAH ALAM, SELANGOR
TOTAL                     12.50
"""
    )
    assert result.fields["vendor"] == "HOME MASTER HARDWARE & ELECTRICAL"


def test_an_article_opening_a_name_stays() -> None:
    result = extract(
        """\
THE TOAST F&B SDN BHD
NO. 12, JALAN MERANTI 4,
40400 SHAH ALAM, SELANGOR
TOTAL                     12.50
"""
    )
    assert result.fields["vendor"] == "THE TOAST F&B SDN BHD"


def test_stray_marks_and_product_words_do_not_outvote_the_country() -> None:
    result = extract(
        """\
KEDAI MAJU SDN BHD
NO. 12, JALAN MERANTI 4, 40400 SHAH ALAM, SELANGOR
Doc No $0003 1663
TAU SAR PNEAH   2   36.00
TOTAL                     36.00
"""
    )
    assert result.fields["currency"] == "MYR"  # not USD from "$0003", not SAR (a product word)


def test_a_date_whose_first_slash_ocr_lost_is_read_after_its_label() -> None:
    document = parse_plain_text(
        b"KEDAI MAJU SDN BHD\nDoc No: 800035863   Date: 1303/2018\nTOTAL   12.50\n",
        mime_type="text/plain",
        max_pages=1,
    )
    fields = specs_from_wire([{"name": "date", "type": "date"}])
    result = get_engine("offline").extract(document, EngineContext(fields=fields, file_name="r"))

    assert result.fields["date"] == "2018-03-13"


def test_a_phone_number_is_not_a_date() -> None:
    document = parse_plain_text(
        b"KEDAI MAJU SDN BHD\nTEL: 03.12.20.45.67\nTOTAL   12.50\n",
        mime_type="text/plain",
        max_pages=1,
    )
    fields = specs_from_wire([{"name": "date", "type": "date"}])
    result = get_engine("offline").extract(document, EngineContext(fields=fields, file_name="r"))

    assert result.fields["date"] is None


def test_a_total_ocr_split_at_its_decimal_mark_is_still_rounded() -> None:
    result = extract("KEDAI MAJU SDN BHD\nTOTAL         60. 31\nROUNDING    -0.01\n      60.30\n")

    assert result.fields["total"] == 60.3


def test_a_line_continuing_the_address_is_not_the_sellers_name() -> None:
    result = extract(
        """\
| Yam Fresh
No. 145G, Jalan Rimbunan Raya 1,
Laman Rimbunan Kepong,
52100 Kuala Lumpur
Dine In
TOTAL                     12.50
"""
    )
    assert result.fields["vendor"] == "Yam Fresh"
