"""Grounding any engine's values against the parsed document (`quarry.engines.grounding`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quarry.core.fields import specs_from_wire
from quarry.engines.grounding import Grounder, ground_fields
from quarry.parsing import ParsedDocument, parse
from quarry.parsing.text import parse_plain_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TEXT = """\
Rechnung Nr. RE-2024-0042
Datum: 7. Mai 2024
Lieferant: Müller & Söhne GmbH
Hauptstraße 5
10115 Berlin
Summe netto        1.234,56 EUR
MwSt. 19 %           234,57 EUR
Gesamt             1.469,13 EUR
Bezahlt: ja
"""


@pytest.fixture(scope="module")
def document() -> ParsedDocument:
    return parse_plain_text(TEXT.encode(), mime_type="text/plain", max_pages=2)


@pytest.mark.parametrize(
    ("value", "kind", "printed"),
    [
        (1469.13, "number", "1.469,13"),
        (1234.56, "number", "1.234,56"),
        ("2024-05-07", "date", "7. Mai 2024"),
        ("RE-2024-0042", "text", "RE-2024-0042"),
        ("müller & söhne gmbh", "text", "Müller & Söhne GmbH"),  # case aside
        ("Hauptstrasse 5, 10115 Berlin", "text", "Hauptstraße 5 10115 Berlin"),  # two lines
        ("EUR", "text", "EUR"),
    ],
)
def test_values_printed_in_any_format_are_found(
    document: ParsedDocument, value: Any, kind: str, printed: str
) -> None:
    evidence = Grounder(document).locate(value, kind)

    assert evidence.grounded is True and evidence.page == 1
    assert evidence.text == printed
    assert evidence.bbox is not None and 0 <= evidence.bbox[0] < evidence.bbox[2] <= 1


@pytest.mark.parametrize(
    ("value", "kind"),
    [(1469.14, "number"), ("2024-07-05", "date"), ("Schmidt KG", "text"), (True, "boolean")],
)
def test_values_not_in_the_document_are_not_grounded(
    document: ParsedDocument, value: Any, kind: str
) -> None:
    assert Grounder(document).locate(value, kind).grounded is False


@pytest.mark.parametrize(
    ("value", "line"),
    [("US", "CUSTREF123"), ("W", "WwWwAN W"), ("REF12", "CUSTREF123"), ("2024", "RE20240042")],
)
def test_text_is_found_only_as_whole_words(value: str, line: str) -> None:
    document = parse_plain_text(f"{line}\n".encode(), mime_type="text/plain", max_pages=1)

    assert Grounder(document).locate(value, "text").grounded is False


@pytest.mark.parametrize(
    ("value", "printed"),
    [("CUSTREF123", "Ref: CUSTREF123"), ("DE123456789", "USt-IdNr. DE 123 456 789")],
)
def test_whole_words_are_found_with_or_without_their_spaces(value: str, printed: str) -> None:
    document = parse_plain_text(f"{printed}\n".encode(), mime_type="text/plain", max_pages=1)

    evidence = Grounder(document).locate(value, "text")

    assert evidence.grounded is True and evidence.text is not None
    assert value[:2] in evidence.text


def test_a_currency_code_is_found_by_its_symbol() -> None:
    document = parse(
        FIXTURES / "docs" / "invoice2data-AzureInterior.pdf", "application/pdf", max_pages=2
    )

    evidence = Grounder(document).locate("USD", "text")

    assert evidence.grounded is True and evidence.text == "$"


def test_ground_fields_builds_field_details_for_a_whole_result(document: ParsedDocument) -> None:
    fields = specs_from_wire(
        [
            {"name": "total", "type": "number"},
            {"name": "vendor", "type": "text"},
            {"name": "due_date", "type": "date"},
            {"name": "paid", "type": "boolean"},
            {
                "name": "lines",
                "type": "object",
                "isArray": True,
                "properties": [{"name": "amount", "type": "number"}],
            },
        ]
    )
    values = {
        "total": 1469.13,
        "vendor": "Müller und Söhne AG",  # what a model might write: not what is printed
        "due_date": None,
        "paid": True,
        "lines": [{"amount": 234.57}],
    }

    details = ground_fields(
        document,
        fields,
        values,
        confidences={"total": 0.9, "vendor": 0.9},
        quotes={"paid": "Bezahlt: ja"},
    )

    assert details["total"]["grounded"] is True and details["total"]["confidence"] == 0.9
    assert details["vendor"]["grounded"] is False
    assert details["vendor"]["confidence"] == 0.4  # lowered: min(0.9 x 0.5, 0.4)
    assert details["due_date"]["nullReason"] == "NOT_IN_DOCUMENT"
    assert details["paid"]["grounded"] is True and details["paid"]["text"] == "Bezahlt: ja"
    assert details["lines[0].amount"]["text"] == "234,57"
    assert details["lines"]["grounded"] is True
