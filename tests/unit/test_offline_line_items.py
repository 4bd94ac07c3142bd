"""Arrays of objects from tables: heading → property, one object per row."""

from __future__ import annotations

from typing import Any

from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import get_engine
from quarry.parsing.model import Cell, Line, Page, ParsedDocument, Table, Word
from quarry.parsing.text import parse_plain_text

LINES: dict[str, Any] = {
    "name": "lines",
    "type": "object",
    "isArray": True,
    "properties": [
        {"name": "sku", "type": "text"},
        {"name": "description", "type": "text"},
        {"name": "qty", "type": "number"},
        {"name": "unitPrice", "type": "number"},
        {"name": "line_total", "type": "number"},
    ],
}
INVOICE = """\
Rechnung 2024-07
Art.-Nr.   Beschreibung              Menge   Einzelpreis    Betrag
A-100      Schrauben M4                 10          0,20      2,00
           verzinkt, 100 Stück
B-220      Dübel 8 mm                    5          1,10      5,50
Zwischensumme                                                  7,50
MwSt. 19 %                                                     1,43
Gesamtbetrag                                                   8,93
Zahlbar bis 01.08.2024
"""


def extract(document: ParsedDocument) -> ExtractionResult:
    context = EngineContext(fields=specs_from_wire([LINES]), file_name="doc")
    return get_engine("offline").extract(document, context)


def test_rows_under_headings_in_another_language() -> None:
    document = parse_plain_text(INVOICE.encode(), mime_type="text/plain", max_pages=5)

    result = extract(document)

    assert result.fields["lines"] == [
        {
            "sku": "A-100",
            "description": "Schrauben M4\nverzinkt, 100 Stück",  # a wrapped description
            "qty": 10,
            "unitPrice": 0.2,
            "line_total": 2.0,
        },
        {
            "sku": "B-220",
            "description": "Dübel 8 mm",
            "qty": 5,
            "unitPrice": 1.1,
            "line_total": 5.5,
        },
    ]  # the subtotal, tax and total lines under the table are not items
    detail = result.field_details["lines[1].line_total"]
    assert detail["grounded"] is True and detail["text"] == "5,50" and detail["page"] == 1


def test_a_table_the_parser_recognised_is_used_with_its_cells() -> None:
    box = (0.1, 0.2, 0.9, 0.3)
    table = Table(
        rows=(
            (Cell("Item"), Cell("Description"), Cell("Qty"), Cell("Price incl. VAT")),
            (Cell("X1", box), Cell("Desk lamp", box), Cell("2", box), Cell("€ 39,90", box)),
            (Cell("X2", box), Cell("Bulb", box), Cell("", box), Cell("", box)),
        ),
        header_rows=1,
    )
    words = (Word("Item", (0.1, 0.1, 0.2, 0.12)),)
    page = Page(1, 100, 100, words=words, lines=(Line.from_words(words),), tables=(table,))

    result = extract(ParsedDocument(pages=(page,), mime_type="application/pdf"))

    # "Item" beside "Description" is the code; a row without an amount is no item
    assert result.fields["lines"] == [
        {"sku": "X1", "description": "Desk lamp", "qty": 2, "unitPrice": None, "line_total": 39.9}
    ]
    assert result.field_details["lines[0].unitPrice"]["nullReason"] == "NOT_IN_DOCUMENT"


def test_no_table_is_null_with_a_reason() -> None:
    document = parse_plain_text(b"Thank you for your order.\n", mime_type="text/plain", max_pages=1)

    result = extract(document)

    assert result.fields["lines"] is None
    assert result.field_details["lines"]["nullReason"] == "NOT_IN_DOCUMENT"


def test_an_array_of_scalars_collects_every_labelled_value() -> None:
    text = b"Email: sales@example.com\nPhone: 555 0100\nEmail: help@example.org\n"
    document = parse_plain_text(text, mime_type="text/plain", max_pages=1)
    fields = [{"name": "email", "type": "text", "isArray": True}]
    context = EngineContext(fields=specs_from_wire(fields), file_name="doc")

    result = get_engine("offline").extract(document, context)

    assert result.fields["email"] == ["sales@example.com", "help@example.org"]
    assert result.field_details["email[1]"]["text"] == "help@example.org"
