"""Seller name, address and currency read off the layout, where no label announces them."""

from __future__ import annotations

from typing import Any

from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import get_engine
from quarry.parsing.text import parse_plain_text

FIELDS: list[dict[str, Any]] = [
    {"name": "vendor", "type": "text", "required": True},
    {"name": "vendor_address", "type": "text"},
    {"name": "date", "type": "date"},
    {"name": "total", "type": "number"},
    {"name": "currency", "type": "text"},
]

RECEIPT = """\
        WELCOME TO OUR STORE
      KEDAI RUNCIT MAJU SDN BHD
           (998877-K)
      NO. 12, JALAN MERANTI 4,
         TAMAN SRI MUDA,
    40400 SHAH ALAM, SELANGOR
       TEL: 03-5511 2233
          TAX INVOICE
 Date: 13/05/2018   Cashier: AMIN
 MILO 1KG            1   18.90
 BREAD               2    5.60
 TOTAL INCL GST          24.50
 CASH                    50.00
 CHANGE                  25.50
      THANK YOU, COME AGAIN
"""


def extract(text: str, fields: list[dict[str, Any]] = FIELDS) -> ExtractionResult:
    document = parse_plain_text(text.encode(), mime_type="text/plain", max_pages=5)
    context = EngineContext(fields=specs_from_wire(fields), file_name="doc.txt")
    return get_engine("offline").extract(document, context)


def test_a_receipt_without_labels_gives_seller_address_and_total() -> None:
    result = extract(RECEIPT)

    assert result.fields["vendor"] == "KEDAI RUNCIT MAJU SDN BHD"  # not the greeting above
    assert result.fields["vendor_address"] == (
        "NO. 12, JALAN MERANTI 4, TAMAN SRI MUDA, 40400 SHAH ALAM, SELANGOR"
    )  # the registration number and the phone line are left out
    assert result.fields["date"] == "2018-05-13"
    assert result.fields["total"] == 24.5  # not the cash tendered


def test_a_currency_inferred_from_the_country_is_marked_not_grounded() -> None:
    result = extract(RECEIPT)

    assert result.fields["currency"] == "MYR"  # no symbol; Sdn Bhd and Selangor say Malaysia
    detail = result.field_details["currency"]
    assert detail["grounded"] is False and 0 < detail["confidence"] < 0.6


def test_an_address_abbreviation_is_not_a_currency_code() -> None:
    # "SEK 13" is Seksyen 13 of Shah Alam, not Swedish kronor
    result = extract(RECEIPT.replace("TAMAN SRI MUDA,", "SEK 13, TAMAN SRI MUDA,"))

    assert result.fields["currency"] == "MYR"


def test_a_symbol_printed_next_to_amounts_beats_the_country() -> None:
    result = extract(RECEIPT.replace("24.50", "RM24.50").replace("50.00", "RM50.00"))

    assert result.fields["currency"] == "MYR"
    assert result.field_details["currency"]["grounded"] is True


def test_the_customer_block_never_becomes_the_seller() -> None:
    invoice = """\
Bill to:
Initech Holdings Ltd
9 Harbour Road, Leeds LS1 4AP

Invoice 2024-118          Date: 02/03/2024
Description                Qty      Amount
Consulting                   1      800.00
Total                               800.00
"""
    result = extract(invoice)

    assert result.fields["vendor"] is None  # only the customer is named: say nothing
    assert result.field_details["vendor"]["nullReason"] == "NOT_IN_DOCUMENT"


def test_a_title_word_is_not_part_of_the_name_and_a_label_wins() -> None:
    result = extract("Globex Corporation Invoice\n12 Elm Street\nSpringfield 54321\n\n" * 1)
    assert result.fields["vendor"] == "Globex Corporation"

    labelled = extract("Invoice\nSold by: Umbrella Trading GmbH, Berlin\nTotal: 12.00 EUR\n")
    assert labelled.fields["vendor"] == "Umbrella Trading GmbH"
    assert labelled.field_details["vendor"]["confidence"] > 0.8


def test_the_owner_named_under_a_shop_is_not_the_seller() -> None:
    receipt = RECEIPT.replace(
        "      KEDAI RUNCIT MAJU SDN BHD\n",
        "      KEDAI RUNCIT MAJU\n      Owned by:\n      MAJU HOLDINGS SDN BHD\n",
    )

    result = extract(receipt)

    assert result.fields["vendor"] == "KEDAI RUNCIT MAJU"  # the shop, as printed at the top
