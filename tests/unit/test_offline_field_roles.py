"""Which role a schema field takes, from its name or description, and what that changes."""

from __future__ import annotations

import pytest

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.offline.columns import Column, column_of
from quarry.engines.offline.field_roles import field_words, role_of


def spec(name: str, description: str | None = None) -> FieldSpec:
    return FieldSpec(name=name, type=FieldType.TEXT, description=description)


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("total", "total"),
        ("invoiceTotal", "total"),  # camelCase
        ("InvoiceTotal", "total"),
        ("amount_payable", "total"),
        ("total_tax", "tax"),  # not the total
        ("tax_total", "tax"),
        ("total_before_tax", "subtotal"),
        ("seller_name", "vendor"),
        ("merchantName", "vendor"),
        ("vendr_name", "vendor"),  # a typo still matches
        ("vendor_address", "vendor_address"),
        ("due_date", "due_date"),
        ("invoice_date", "date"),
        ("gstin", "vat_id"),
        ("order_number", "order_number"),  # a distractor becomes a role when a field names it
        ("favourite_colour", None),
    ],
)
def test_field_names_take_roles(name: str, role: str | None) -> None:
    found = role_of(spec(name))
    assert (found.key if found else None) == role


def test_a_description_names_the_role_when_the_name_does_not() -> None:
    found = role_of(spec("amt", "Grand total to pay, including tax"))
    assert found is not None and found.key == "total"
    assert role_of(spec("x1", "Something else entirely")) is None


def test_field_words() -> None:
    assert field_words("lineItems") == "line items"
    assert field_words("VAT_ID") == "vat id"


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("description", Column.DESCRIPTION),
        ("qty", Column.QUANTITY),
        ("unitPrice", Column.UNIT_PRICE),
        ("price_unit", Column.UNIT_PRICE),
        ("line_total", Column.AMOUNT),
        ("sku", Column.CODE),
        ("weight_kg", None),
    ],
)
def test_properties_take_table_columns(name: str, column: Column | None) -> None:
    assert column_of(name, "") == column
