"""The offline engine on real invoices and on small documents written for one behaviour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import get_engine
from quarry.parsing import Line, Page, ParsedDocument, Word, parse
from quarry.parsing.text import parse_plain_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INVOICE_FIELDS: list[dict[str, Any]] = [
    {"name": "vendor", "type": "text", "required": True},
    {"name": "vendor_vat_id", "type": "text"},
    {"name": "invoice_number", "type": "text"},
    {"name": "date", "type": "date", "required": True},
    {"name": "due_date", "type": "date"},
    {"name": "subtotal", "type": "number"},
    {"name": "tax", "type": "number"},
    {"name": "total", "type": "number", "required": True},
    {"name": "currency", "type": "text"},
    {"name": "iban", "type": "text"},
    {
        "name": "line_items",
        "type": "object",
        "isArray": True,
        "properties": [{"name": "amount", "type": "number"}],
    },
]


def extract(document: ParsedDocument, fields: list[dict[str, Any]]) -> ExtractionResult:
    context = EngineContext(fields=specs_from_wire(fields), file_name="doc")
    return get_engine("offline").extract(document, context)


def text_document(text: str) -> ParsedDocument:
    return parse_plain_text(text.encode(), mime_type="text/plain", max_pages=5)


@pytest.fixture(scope="module")
def azure() -> ExtractionResult:
    path = FIXTURES / "docs" / "invoice2data-AzureInterior.pdf"
    return extract(parse(path, "application/pdf", max_pages=5), INVOICE_FIELDS)


def test_reads_the_values_printed_on_a_real_invoice(azure: ExtractionResult) -> None:
    assert {k: azure.fields[k] for k in ("invoice_number", "date", "due_date", "currency")} == {
        "invoice_number": "INV/2023/03/0008",
        "date": "2023-03-20",  # printed 03/20/2023: month first, as the day 20 shows
        "due_date": "2023-04-04",
        "currency": "USD",
    }
    assert (azure.fields["subtotal"], azure.fields["tax"], azure.fields["total"]) == (
        262.90,
        16.94,
        279.84,
    )


def test_every_value_is_grounded_on_its_page(azure: ExtractionResult) -> None:
    total = azure.field_details["total"]
    assert total["grounded"] is True and total["page"] == 1 and total["text"] == "279.84"
    assert 0.5 < total["confidence"] <= 1
    x0, y0, x1, y1 = total["bbox"]
    assert 0.8 < x0 < x1 <= 1 and 0.6 < y0 < y1 < 0.75  # right column, the "Total" row
    subtotal = azure.field_details["subtotal"]
    assert subtotal["bbox"][3] <= y0  # the subtotal row is printed above the total


def test_missing_values_are_null_with_a_reason(azure: ExtractionResult) -> None:
    assert set(azure.fields) == {f["name"] for f in INVOICE_FIELDS}
    assert azure.fields["iban"] is None
    assert azure.field_details["iban"]["nullReason"] == "NOT_IN_DOCUMENT"
    assert azure.field_details["iban"]["grounded"] is False
    assert azure.engine == {"name": "offline", "version": "2.1.0"} and azure.pages == 1


def test_line_items_come_from_the_table_heading_by_heading(azure: ExtractionResult) -> None:
    assert azure.fields["line_items"] == [
        {"amount": 42.0},
        {"amount": 70.0},
        {"amount": 0.9},  # "$ 0.90" after a 10 % discount, not the unit price 1.00
        {"amount": 150.0},
    ]
    detail = azure.field_details["line_items[1].amount"]
    assert detail["grounded"] is True and detail["text"].endswith("70.00")


def test_decimal_commas_and_dutch_months() -> None:
    path = FIXTURES / "docs" / "invoice2data-coolblue1.pdf"
    result = extract(parse(path, "application/pdf", max_pages=5), INVOICE_FIELDS)

    assert result.fields["total"] == 717.97  # printed "€ 717,97"
    assert result.fields["subtotal"] == 593.36  # "Exclusief BTW € 593,36"
    assert result.fields["date"] == "2014-04-19"  # "Factuurdatum: 19 april 2014"
    assert result.fields["invoice_number"] == "993548900"
    assert result.fields["vendor_vat_id"] == "NL810433941B01"
    assert result.fields["currency"] == "EUR"


def test_a_document_without_text_gives_not_extracted_everywhere() -> None:
    document = parse(FIXTURES / "nasty" / "gen_png_renamed.pdf", "image/png", max_pages=1)

    result = extract(document, INVOICE_FIELDS)

    assert all(value is None for value in result.fields.values())
    assert {d["nullReason"] for d in result.field_details.values()} == {"NOT_EXTRACTED"}
    assert result.warnings == document.warnings


def test_labels_compete_so_due_and_order_dates_are_not_the_date() -> None:
    document = text_document(
        "Order date: 01/02/2024\nDue date: 15/03/2024\nInvoice date: 14/02/2024\n"
    )

    result = extract(document, [{"name": "date", "type": "date"}])

    assert result.fields["date"] == "2024-02-14"


def test_day_month_order_comes_from_the_other_dates() -> None:
    day_first = text_document("Date: 04/05/2023\nDue date: 20/05/2023\n")
    month_first = text_document("Date: 04/05/2023\nDue date: 05/20/2023\n")
    fields = [{"name": "date", "type": "date"}]

    assert extract(day_first, fields).fields["date"] == "2023-05-04"
    assert extract(month_first, fields).fields["date"] == "2023-04-05"


def test_value_below_its_label_and_value_after_it() -> None:
    document = text_document("Reference       Total\nABC-778         1.234,50 €\n")

    result = extract(document, [{"name": "reference", "type": "text"}, INVOICE_FIELDS[7]])

    assert result.fields == {"reference": "ABC-778", "total": 1234.5}
    assert result.field_details["reference"]["bbox"][1] > 0.4  # on the second of two lines


def test_custom_fields_by_name_booleans_and_percentages() -> None:
    document = text_document("Policy No.: PX-1234\nPaid: yes    Signed: ☐\nDiscount: 15%\n")
    fields = [
        {"name": "policy_number", "type": "text"},
        {"name": "paid", "type": "boolean"},
        {"name": "signed", "type": "boolean"},
        {"name": "discount", "type": "number"},
    ]

    result = extract(document, fields)

    assert result.fields == {
        "policy_number": "PX-1234",
        "paid": True,
        "signed": False,
        "discount": 15,
    }


def test_label_without_a_readable_value_is_not_extracted() -> None:
    result = extract(text_document("Total: see attached statement\n"), [INVOICE_FIELDS[7]])

    assert result.fields["total"] is None
    detail = result.field_details["total"]
    assert detail["nullReason"] == "NOT_EXTRACTED" and detail["text"] == "Total:"


PAYMENT: dict[str, Any] = {
    "name": "payment_method",
    "type": "text",
    "possibleValues": [
        {"id": "c", "label": "Cash"},
        {"id": "cc", "label": "Credit card"},
        {"id": "bt", "label": "Bank transfer"},
    ],
}


@pytest.mark.parametrize(
    ("printed", "fuzzy", "value", "reason"),
    [
        ("CREDIT CARD", False, "Credit card", None),
        ("Paid by bank transfer", False, "Bank transfer", None),
        ("Credit crd", False, None, "NOT_ALLOWED_VALUE"),
        ("Credit crd", True, "Credit card", None),
        ("Cheque", True, None, "NOT_ALLOWED_VALUE"),
    ],
)
def test_possible_values(printed: str, fuzzy: bool, value: str | None, reason: str | None) -> None:
    field = {**PAYMENT, "fuzzyMatch": fuzzy, "fuzzyThreshold": 80}

    result = extract(text_document(f"Payment method: {printed}\n"), [field])

    assert result.fields["payment_method"] == value
    detail = result.field_details["payment_method"]
    assert detail.get("nullReason") == reason
    assert detail["grounded"] is (value is not None)
    assert printed.rsplit(maxsplit=1)[-1] in detail["text"]  # what was printed, even if refused


def test_possible_value_printed_without_a_label_is_found() -> None:
    result = extract(text_document("Thank you!\nSettled by Bank transfer on receipt.\n"), [PAYMENT])

    assert result.fields["payment_method"] == "Bank transfer"
    assert result.field_details["payment_method"]["confidence"] < 0.6


def test_required_fields_are_never_invented() -> None:
    result = extract(text_document("Hello world\n"), INVOICE_FIELDS[:4])

    assert result.fields == dict.fromkeys(("vendor", "vendor_vat_id", "invoice_number", "date"))
    assert all(d["nullReason"] == "NOT_IN_DOCUMENT" for d in result.field_details.values())


def test_unknown_engine_is_an_engine_error() -> None:
    with pytest.raises(JobFailure) as caught:
        get_engine("no-such-engine")
    assert caught.value.code is JobErrorCode.ENGINE_ERROR


def test_result_is_json_serialisable(azure: ExtractionResult) -> None:
    encoded = json.dumps({"fields": azure.fields, "fieldDetails": azure.field_details})

    assert json.loads(encoded)["fields"]["total"] == 279.84


def test_a_value_the_ocr_could_not_read_is_illegible() -> None:
    words = (
        Word("Total:", (0.1, 0.1, 0.2, 0.12), 0.95),
        Word("%#@!", (0.25, 0.1, 0.35, 0.12), 0.1),
    )
    page = Page(1, 100, 100, words=words, lines=(Line.from_words(words),), source="ocr")

    result = extract(ParsedDocument(pages=(page,), mime_type="image/png"), [INVOICE_FIELDS[7]])

    assert result.fields["total"] is None
    assert result.field_details["total"]["nullReason"] == "ILLEGIBLE"
