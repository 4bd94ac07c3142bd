"""Schemas inferred without a model: from a request's words and a sample's labels and tables."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from quarry.extraction_schemas.ai_document import fields_from_document, refine_with_document
from quarry.extraction_schemas.ai_pairs import value_type
from quarry.extraction_schemas.ai_prompt import (
    clean_definitions,
    fields_from_prompt,
    snake_case,
    type_for_name,
)
from quarry.extraction_schemas.schemas import parse_fields
from quarry.parsing import parse
from quarry.parsing.model import Cell, Page, ParsedDocument, Table
from quarry.parsing.text import synthetic_page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def shape(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """name → type, with `[]` for arrays and the properties' shapes for objects."""
    out: dict[str, Any] = {}
    for field in fields:
        kind = field["type"] + ("[]" if field["isArray"] else "")
        out[field["name"]] = (kind, shape(field["properties"])) if field["properties"] else kind
    return out


def test_the_example_request_gives_named_and_typed_fields() -> None:
    fields = fields_from_prompt(
        "extract invoice number, date, total and line items with description and amount"
    )
    assert shape(fields) == {
        "invoice_number": "text",
        "date": "date",
        "total": "number",
        "line_items": ("object[]", {"description": "text", "amount": "number"}),
    }
    assert fields[0]["description"] == "Invoice number"
    parse_fields(fields)  # valid as a schema


def test_requests_in_other_phrasings() -> None:
    fields = fields_from_prompt(
        "Please get the vendor name, due date, amount due, is paid; and a list of tags. "
        "Also products (name, qty, unit price)"
    )
    assert shape(fields) == {
        "vendor_name": "text",
        "due_date": "date",
        "amount_due": "number",
        "is_paid": "boolean",
        "tags": "text[]",
        "products": ("object[]", {"name": "text", "qty": "number", "unit_price": "number"}),
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("invoice_number", "text"),
        ("tax_id", "text"),
        ("rechnungsnr", "text"),
        ("due", "date"),
        ("date_of_birth", "date"),
        ("total_amount_due", "number"),
        ("number_of_pages", "number"),
        ("has_signature", "boolean"),
        ("vendor", "text"),
    ],
)
def test_names_suggest_types(name: str, kind: str) -> None:
    assert type_for_name(name)[0].value == kind


@pytest.mark.parametrize(
    ("printed", "kind"),
    [
        ("03/20/2023", "date"),
        ("7. Mai 2014", "date"),
        ("$ 279.84", "number"),
        ("1.234,56 €", "number"),
        ("15%", "number"),
        ("30064443", "text"),  # a long digit string names something; it is no amount
        ("+49 6051 916 44 10", "text"),
        ("yes", "boolean"),
        ("15 Days", "text"),
    ],
)
def test_printed_values_have_types(printed: str, kind: str) -> None:
    assert value_type(printed).value == kind


def test_a_real_invoice_gives_its_labels_as_typed_fields() -> None:
    sample = parse(FIXTURES / "docs/invoice2data-AzureInterior.pdf", "application/pdf", max_pages=5)
    fields = shape(fields_from_document(sample))
    assert fields["invoice_number"] == "text"  # "Invoice INV/2023/03/0008"
    assert fields["invoice_date"] == "date"  # a row of labels over a row of values
    assert fields["due_date"] == "date"
    assert fields["total"] == "number"  # "Total      $ 279.84"
    assert fields["payment_terms"] == "text"
    assert "page" not in fields and not any(name.startswith("fremont") for name in fields)


def test_a_table_with_headings_becomes_an_array_of_objects() -> None:
    page = synthetic_page(
        1,
        [
            "Order No: A-17",
            "Order date: 2024-03-01",
            "",
            "Item          Qty    Price",
            "Pen           2      1.50",
            "Ink           1      4.00",
        ],
    )
    table_page = _with_table(
        page, [["Item", "Qty", "Price"], ["Pen", "2", "1.50"], ["Ink", "1", "4.00"]]
    )
    fields = shape(fields_from_document(ParsedDocument((table_page,), "text/plain")))
    assert fields["order_no"] == "text" and fields["order_date"] == "date"
    assert fields["line_items"] == (
        "object[]",
        {"item": "text", "qty": "number", "price": "number"},
    )


def test_a_request_is_typed_and_described_from_the_sample() -> None:
    sample = ParsedDocument(
        (synthetic_page(1, ["Rechnungsnr.: 30064443", "Lieferung: 2024-05-07", "Code: 9"]),),
        "text/plain",
    )
    fields = refine_with_document(fields_from_prompt("extract rechnungsnr and lieferung"), sample)
    assert shape(fields) == {"rechnungsnr": "text", "lieferung": "date"}
    assert fields[1]["description"] == "Lieferung"


def test_model_suggestions_are_cleaned_into_valid_definitions() -> None:
    raw = [
        {"name": "Invoice No.", "type": "text", "description": "The number", "isArray": False},
        {"name": "invoice_no", "type": "text"},  # a duplicate once cleaned
        {
            "name": "Lines",
            "type": "object",
            "isArray": True,
            "properties": [{"name": "Amount", "type": "money"}, {"name": "", "type": "text"}],
        },
        {"name": "empty object", "type": "object", "properties": []},
        "not a field",
    ]
    fields = clean_definitions(raw)
    assert shape(fields) == {
        "invoice_no": "text",
        "lines": ("object[]", {"amount": "text"}),
        "empty_object": "text",
    }
    parse_fields(fields)


def test_names_are_snake_case_identifiers() -> None:
    assert snake_case("Invoice No.") == "invoice_no"
    assert snake_case("Prijs incl. BTW") == "prijs_incl_btw"
    assert snake_case("Größe") == "grosse" and snake_case("Café crème") == "cafe_creme"
    assert snake_case("2nd address") == "_2nd_address"
    assert snake_case("Disc.%") == "disc_percent"


def _with_table(page: Page, rows: list[list[str]]) -> Page:
    table = Table(rows=tuple(tuple(Cell(text) for text in row) for row in rows))
    return replace(page, tables=(table,))
