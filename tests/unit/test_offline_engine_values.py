"""Typed value parsers of the offline engine: numbers, dates, booleans, currencies, choices."""

from __future__ import annotations

from datetime import date

import pytest

from quarry.core.fields import PossibleValue
from quarry.engines.offline.values.booleans import parse_boolean
from quarry.engines.offline.values.choices import match_choice
from quarry.engines.offline.values.currency import vote
from quarry.engines.offline.values.dates import (
    DateOrder,
    find_dates,
    infer_date_order,
    parse_date,
)
from quarry.engines.offline.values.numbers import DecimalStyle, infer_decimal_style, parse_number


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("1.234,56", 1234.56),
        ("1,234.56", 1234.56),
        ("1'234.50", 1234.5),
        ("1 234,56", 1234.56),
        ("$4.11", 4.11),
        ("€3.50", 3.5),
        ("12.00EUR", 12.0),
        ("RM12.80", 12.8),
        ("Rs.1939", 1939.0),
        ("-9,32", -9.32),
        ("4.904,94", 4904.94),
        ("1,234,567.89", 1234567.89),
        ("0.125", 0.125),
        ("45,00 €", 45.0),
    ],
)
def test_numbers_as_printed(printed: str, value: float) -> None:
    assert parse_number(printed) == pytest.approx(value)


@pytest.mark.parametrize("printed", ["21%", "INV123", "1.234.56", "abc", "12-03", ""])
def test_things_that_are_not_numbers(printed: str) -> None:
    assert parse_number(printed) is None


def test_a_lone_three_digit_group_follows_the_document_habit() -> None:
    assert parse_number("1.234") == 1234  # no evidence: a thousands separator
    assert parse_number("1.234", DecimalStyle.POINT) == pytest.approx(1.234)
    assert parse_number("1,234", DecimalStyle.COMMA) == pytest.approx(1.234)
    assert infer_decimal_style(["Total 45,00", "VAT 7,20", "Net 37.80"]) is DecimalStyle.COMMA
    assert infer_decimal_style(["no amounts"]) is None


@pytest.mark.parametrize(
    ("printed", "iso"),
    [
        ("28/11/2022", "2022-11-28"),
        ("2023-03-20", "2023-03-20"),
        ("8-9-2022", "2022-09-08"),
        ("01.05.14", "2014-05-01"),
        ("7. Mai 2014", "2014-05-07"),
        ("19 april 2014", "2014-04-19"),
        ("du 02 Juillet 2015", "2015-07-02"),
        ("August 3 , 2014", "2014-08-03"),
        ("Jan 1, 2022", "2022-01-01"),
        ("14/JUN/2017", "2017-06-14"),
        ("15 März 2024", "2024-03-15"),
        ("12/13/2016", "2016-12-13"),  # only month-first makes sense
    ],
)
def test_dates_become_iso(printed: str, iso: str) -> None:
    found = parse_date(printed)
    assert found is not None and found.isoformat() == iso


@pytest.mark.parametrize(
    "printed", ["31/02/2024", "Tel. +49 6051 916 44 10", "24.69 EUR", "13/13/2020"]
)
def test_things_that_are_not_dates(printed: str) -> None:
    assert parse_date(printed) is None


def test_day_month_order_is_inferred_and_applied() -> None:
    assert infer_date_order(["Due 05/20/2023"]) is DateOrder.MDY
    assert infer_date_order(["Due 20/05/2023"]) is DateOrder.DMY
    assert infer_date_order(["2023-05-20", "04/05/2023"]) is None
    assert parse_date("04/05/2023", DateOrder.MDY) == date(2023, 4, 5)
    assert parse_date("04/05/2023", DateOrder.DMY) == date(2023, 5, 4)
    (match,) = find_dates("on 04/05/2023")
    assert match.ambiguous and (match.start, match.end) == (3, 13)


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("Yes", True),
        ("no", False),
        ("TRUE", True),
        ("x", True),
        ("☑", True),
        ("☐", False),
        ("✔", True),
        ("nein", False),
        ("maybe", None),
        ("", None),
    ],
)
def test_booleans(printed: str, value: bool | None) -> None:
    assert parse_boolean(printed) is value


@pytest.mark.parametrize(
    ("tokens", "code"),
    [
        (["Total", "€", "45,00"], "EUR"),
        (["Total", "$4.11"], "USD"),
        (["Amount", "in", "SGD", "$", "12.00"], "SGD"),  # "$" with a dollar code: that dollar
        (["TOTAL", "RM12.80"], "MYR"),
        (["Grand", "Total", "Rs", "1939"], "INR"),
        (["₹", "500"], "INR"),
        (["£", "9.99", "EUR", "EUR"], "EUR"),  # codes weigh more than a symbol
        (["Total", "45.00"], None),
    ],
)
def test_currency_from_codes_and_symbols(tokens: list[str], code: str | None) -> None:
    voted = vote(tokens)
    assert (voted[0] if voted else None) == code


OPTIONS = (PossibleValue("a", "Cash"), PossibleValue("b", "Credit card"))


def test_choices_exact_contained_fuzzy_and_refused() -> None:
    assert match_choice("cash", OPTIONS) is not None
    contained = match_choice("paid with credit card", OPTIONS)
    assert contained is not None and contained.label == "Credit card"
    assert match_choice("Credt card", OPTIONS) is None
    fuzzy = match_choice("Credt card", OPTIONS, fuzzy=True, threshold=80)
    assert fuzzy is not None and fuzzy.label == "Credit card" and fuzzy.score < 1
    assert match_choice("Credt card", OPTIONS, fuzzy=True, threshold=99) is None
    assert match_choice("Cheque", OPTIONS, fuzzy=True, threshold=80) is None
