"""Total, subtotal and tax chosen together, so that the document's arithmetic holds."""

from __future__ import annotations

from typing import Any

import pytest

from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.registry import get_engine
from quarry.parsing.text import parse_plain_text

AMOUNTS: list[dict[str, Any]] = [
    {"name": "subtotal", "type": "number"},
    {"name": "tax", "type": "number"},
    {"name": "total", "type": "number"},
]


def extract(text: str) -> ExtractionResult:
    document = parse_plain_text(text.encode(), mime_type="text/plain", max_pages=5)
    context = EngineContext(fields=specs_from_wire(AMOUNTS), file_name="receipt.txt")
    return get_engine("offline").extract(document, context)


def test_cash_minus_change_outvotes_a_misread_total() -> None:
    result = extract(
        "Sub-total                 5.90\n"
        "Total Sales Incl GST      5.90\n"
        "Total After Adj Incl GST 51.90\n"  # an OCR slip: the printed receipt says 5.90
        "CASH                     50.00\n"
        "Change Amt               44.10\n"
    )

    assert result.fields["total"] == 5.9


def test_a_tax_summary_row_that_adds_up_confirms_the_total() -> None:
    result = extract(
        "Total:                     156.00\n"
        "Rounding Adjustment:         0.00\n"
        "Total Amt Payable:         166.00\n"  # misread; the summary row adds up to 156.00
        "GST Summary      Amount     Tax\n"
        "SR 6%            147.17    8.83\n"
    )

    assert result.fields["total"] == 156.0


def test_the_total_after_rounding_is_the_one_paid() -> None:
    result = extract(
        "Total (Excluding GST):      67.00\n"
        "GST Payable:                 4.02\n"
        "Total (Inclusive of GST):   71.02\n"
        "Rounding Adj:               -0.02\n"
        "TOTAL:                      71.00\n"
        "CASH:                       71.00\n"
    )

    assert (result.fields["subtotal"], result.fields["tax"]) == (67.0, 4.02)
    assert result.fields["total"] == 71.0


@pytest.mark.parametrize(("printed", "subtotal"), [("24.99", 24.99), ("24.98", None)])
def test_a_missing_subtotal_is_derived_only_when_printed(
    printed: str, subtotal: float | None
) -> None:
    result = extract(
        "Abonnements             " + printed + "      5.00     29.99\n"
        "TVA 20%                                5.00\n"
        "Somme a payer                         29.99\n"
    )

    assert (result.fields["tax"], result.fields["total"]) == (5.0, 29.99)
    assert result.fields["subtotal"] == subtotal
    detail = result.field_details["subtotal"]
    if subtotal is None:
        assert detail["nullReason"] == "NOT_IN_DOCUMENT"
    else:  # total - tax, found in the table row; grounded but less sure than a labelled value
        assert detail["grounded"] is True and detail["text"] == printed
        assert detail["confidence"] <= 0.5
