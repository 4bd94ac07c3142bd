"""The offline engine on European e-invoice layouts: EN 16931 wording in German and French,
party sections, totals blocks with prepayments, related documents and title-line dates."""

from __future__ import annotations

from typing import Any

import pytest

from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import get_engine
from quarry.parsing import ParsedDocument
from quarry.parsing.text import parse_plain_text

FIELDS: list[dict[str, Any]] = [
    {"name": "vendor", "type": "text"},
    {"name": "vendor_address", "type": "text"},
    {"name": "vendor_vat_id", "type": "text"},
    {"name": "invoice_number", "type": "text"},
    {"name": "date", "type": "date"},
    {"name": "due_date", "type": "date"},
    {"name": "subtotal", "type": "number"},
    {"name": "tax", "type": "number"},
    {"name": "total", "type": "number"},
]

GERMAN = """\
Handelsrechnung (380) Nr. 471108 vom 15.11.2024
Stylesheet-Version:     2.6 vom 10.11.2025

Verkäufer
Name:                   Groß und Breit Bau AG
Anschrift:              Erdkuhl 5
                        DE 12345 Berlin
USt.-Id.-Nr.:           DE999999999

Käufer/Leistungsempfänger
Name:                   Metallbau Leipzig GmbH & Co. KG
Anschrift:              Pappelallee 15
                        DE 04109 Leipzig
USt.-Id.-Nr.:           DE123456789

Pos   Beschreibung            Menge     Nettobetrag
1     Lieferung und Montage   1 Stk     20.000,00

Positionssumme                          20.000,00
Rechnungssumme ohne USt.                20.000,00
Steuerbetrag in EUR                     3.800,00
Bruttosumme                             23.800,00
Erhaltene Anzahlungen                   11.900,00
Zahlbetrag                              11.900,00

Fälligkeit
29.11.2024
"""

FRENCH = """\
LE FOURNISSEUR SARL                         FACTURE N° : F20220026
35 rue d'ici                                Date : 31/01/2022
75018 PARIS
Téléphone : 04.71.48.58.27
N° TVA : FR 11 123 456 782

Client
LA CLIENTE SA
N° TVA : FR 05 987 654 321

N° DE FACTURE ASSOCIÉE : F20220003
DATE DE FACTURE ASSOCIÉE : 01/01/2022

TOTAL HT                 100,00
TOTAL TVA                 20,00
TOTAL TTC                120,00
Acompte :                 10,00
NET A PAYER              110,00
Date d'échéance : 05/08/2022
"""


def extract(text: str) -> ExtractionResult:
    document: ParsedDocument = parse_plain_text(text.encode(), mime_type="text/plain", max_pages=2)
    context = EngineContext(fields=specs_from_wire(FIELDS), file_name="doc")
    return get_engine("offline").extract(document, context)


@pytest.fixture(scope="module")
def german() -> ExtractionResult:
    return extract(GERMAN)


@pytest.fixture(scope="module")
def french() -> ExtractionResult:
    return extract(FRENCH)


def test_the_sellers_section_gives_its_name_address_and_vat_id(german: ExtractionResult) -> None:
    assert german.fields["vendor"] == "Groß und Breit Bau AG"
    assert german.fields["vendor_address"] == "Erdkuhl 5, 12345 Berlin"
    assert german.fields["vendor_vat_id"] == "DE999999999"


def test_german_totals_take_the_gross_total_not_the_amount_left_to_pay(
    german: ExtractionResult,
) -> None:
    assert (german.fields["subtotal"], german.fields["tax"], german.fields["total"]) == (
        20000.0,
        3800.0,
        23800.0,
    )


def test_the_invoice_number_and_date_are_read_off_the_title_line(
    german: ExtractionResult,
) -> None:
    assert german.fields["invoice_number"] == "471108"  # not "(380)", the type code
    assert german.fields["date"] == "2024-11-15"  # not the stylesheet's date
    assert german.fields["due_date"] == "2024-11-29"


def test_a_related_invoices_number_and_date_are_not_this_invoices(
    french: ExtractionResult,
) -> None:
    assert french.fields["invoice_number"] == "F20220026"
    assert french.fields["date"] == "2022-01-31"


def test_french_totals_and_due_date(french: ExtractionResult) -> None:
    assert (french.fields["subtotal"], french.fields["tax"], french.fields["total"]) == (
        100.0,
        20.0,
        120.0,
    )
    # day first: the phone number 04.71.48.58.27 is not a month-first date 04/71/48
    assert french.fields["due_date"] == "2022-08-05"


def test_the_buyers_vat_id_is_never_the_sellers(french: ExtractionResult) -> None:
    assert french.fields["vendor_vat_id"] == "FR11123456782"
