"""Result values against schema fields: types, arrays, objects, allowed values, error paths."""

from __future__ import annotations

from typing import Any

import pytest

from quarry.core.errors import ErrorDetail
from quarry.core.field_values import empty_result, match_possible_value, validate_values
from quarry.core.fields import FieldSpec, specs_from_wire

INVOICE = specs_from_wire(
    [
        {"name": "vendor", "type": "text", "required": True},
        {"name": "date", "type": "date", "required": True},
        {"name": "total", "type": "number", "required": True},
        {"name": "paid", "type": "boolean"},
        {"name": "tags", "type": "text", "isArray": True},
        {
            "name": "payment_method",
            "type": "text",
            "possibleValues": [
                {"id": "card", "label": "Credit card"},
                {"id": "bank", "label": "Bank transfer"},
            ],
            "fuzzyMatch": True,
            "fuzzyThreshold": 85,
        },
        {
            "name": "currency",
            "type": "text",
            "possibleValues": [{"id": "eur", "label": "EUR"}, {"id": "usd", "label": "USD"}],
        },
        {
            "name": "line_items",
            "type": "object",
            "isArray": True,
            "properties": [
                {"name": "description", "type": "text"},
                {"name": "amount", "type": "number"},
            ],
        },
        {
            "name": "seller",
            "type": "object",
            "properties": [
                {
                    "name": "address",
                    "type": "object",
                    "properties": [{"name": "city", "type": "text"}],
                }
            ],
        },
    ]
)


def check(values: dict[str, Any], *, partial: bool = True) -> tuple[dict[str, Any], dict[str, str]]:
    result, errors = validate_values(INVOICE, values, partial=partial)
    return result, {e.field: e.message for e in errors}


def only_error(values: dict[str, Any]) -> tuple[str, str]:
    _, errors = check(values)
    assert len(errors) == 1, errors
    return next(iter(errors.items()))


def test_a_valid_full_result_comes_back_unchanged() -> None:
    values = {
        "vendor": "ACME GmbH",
        "date": "2026-02-28",
        "total": 119.5,
        "paid": False,
        "tags": ["office", "paper"],
        "payment_method": "Bank transfer",
        "currency": "EUR",
        "line_items": [
            {"description": "Paper", "amount": 100},
            {"description": "Ink", "amount": 19.5},
        ],
        "seller": {"address": {"city": "Berlin"}},
    }
    result, errors = check(values, partial=False)
    assert errors == {}
    assert result == values


def test_a_whole_result_gets_every_missing_top_level_field_as_null() -> None:
    result, errors = check({"vendor": "ACME"}, partial=False)
    assert errors == {}
    assert result == {**empty_result(INVOICE), "vendor": "ACME"}


def test_a_correction_returns_only_the_fields_it_names() -> None:
    result, errors = check({"total": 10})
    assert errors == {}
    assert result == {"total": 10}


@pytest.mark.parametrize("partial", [True, False])
def test_null_is_accepted_for_required_and_optional_fields(partial: bool) -> None:
    values = {"vendor": None, "total": None, "tags": None, "line_items": None, "seller": None}
    result, errors = check(values, partial=partial)
    assert errors == {}
    assert all(result[name] is None for name in values)


def test_objects_are_filled_with_null_for_missing_properties() -> None:
    result, errors = check({"line_items": [{"amount": 5}], "seller": {"address": {}}})
    assert errors == {}
    assert result["line_items"] == [{"description": None, "amount": 5}]
    assert result["seller"] == {"address": {"city": None}}


@pytest.mark.parametrize(
    ("values", "path", "message"),
    [
        ({"vendor": 12}, "vendor", "expected a string"),
        ({"total": "12.5"}, "total", "expected a number"),
        ({"total": True}, "total", "expected a number"),
        ({"total": float("nan")}, "total", "expected a finite number"),
        ({"paid": "yes"}, "paid", "expected true or false"),
        ({"paid": 1}, "paid", "expected true or false"),
        ({"date": "28.02.2026"}, "date", "expected a date as YYYY-MM-DD"),
        ({"date": "2026-02-28T10:00:00"}, "date", "expected a date as YYYY-MM-DD"),
        ({"date": 20260228}, "date", "expected a date as YYYY-MM-DD"),
        ({"date": "2026-02-30"}, "date", "'2026-02-30' is not a real date"),
        ({"tags": "office"}, "tags", "expected an array"),
        ({"tags": ["ok", None]}, "tags[1]", "array items may not be null"),
        ({"tags": ["ok", 3]}, "tags[1]", "expected a string"),
        ({"seller": "ACME"}, "seller", "expected an object"),
        ({"line_items": [{"amount": 1}, "x"]}, "line_items[1]", "expected an object"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_at_its_path(
    values: dict[str, Any], path: str, message: str
) -> None:
    assert only_error(values) == (path, message)


def test_nested_errors_point_at_the_exact_item_and_property() -> None:
    values = {
        "line_items": [{"amount": 1}, {"amount": 2}, {"amount": "3", "colour": "red"}],
        "seller": {"address": {"city": 7}},
    }
    _, errors = check(values)
    assert errors == {
        "line_items[2].amount": "expected a number",
        "line_items[2].colour": "unknown field",
        "seller.address.city": "expected a string",
    }


def test_an_unknown_top_level_field_is_refused() -> None:
    result, errors = check({"vendor": "ACME", "vendr": "ACME"})
    assert errors == {"vendr": "unknown field"}
    assert result == {"vendor": "ACME"}


def test_every_problem_is_reported_at_once() -> None:
    _, errors = check({"vendor": 1, "total": "x", "date": "soon", "extra": 1})
    assert set(errors) == {"vendor", "total", "date", "extra"}


def test_an_allowed_value_must_match_a_label_exactly_without_fuzzy_matching() -> None:
    assert check({"currency": "USD"}) == ({"currency": "USD"}, {})
    path, message = only_error({"currency": "usd"})
    assert path == "currency"
    assert message == "'usd' is not an allowed value; expected one of 'EUR', 'USD'"


def test_fuzzy_matching_maps_a_near_miss_to_the_closest_label() -> None:
    result, errors = check({"payment_method": "bank transfr"})
    assert errors == {}
    assert result == {"payment_method": "Bank transfer"}


def test_fuzzy_matching_still_refuses_a_value_below_the_threshold() -> None:
    path, message = only_error({"payment_method": "Cash"})
    assert path == "payment_method"
    assert "not an allowed value" in message


def test_allowed_values_apply_to_each_item_of_an_array() -> None:
    specs = specs_from_wire(
        [
            {
                "name": "colours",
                "type": "text",
                "isArray": True,
                "possibleValues": [{"id": "r", "label": "red"}, {"id": "g", "label": "green"}],
            }
        ]
    )
    result, errors = validate_values(specs, {"colours": ["red", "blue"]}, partial=False)
    assert [e.field for e in errors] == ["colours[1]"]
    assert result == {"colours": ["red", None]}


def fuzzy_spec(threshold: int) -> FieldSpec:
    return FieldSpec.from_wire(
        {
            "name": "method",
            "type": "text",
            "possibleValues": [{"id": "a", "label": "Credit card"}, {"id": "b", "label": "Cash"}],
            "fuzzyMatch": True,
            "fuzzyThreshold": threshold,
        }
    )


def test_the_fuzzy_threshold_decides_what_counts_as_a_near_miss() -> None:
    assert match_possible_value(fuzzy_spec(85), "credit-card") == "Credit card"
    assert match_possible_value(fuzzy_spec(85), "Credit") is None
    assert match_possible_value(fuzzy_spec(50), "Credit") == "Credit card"
    assert match_possible_value(fuzzy_spec(100), "CASH") == "Cash"


def test_the_error_message_lists_at_most_ten_labels() -> None:
    choices = [{"id": str(i), "label": f"L{i}"} for i in range(15)]
    specs = specs_from_wire([{"name": "x", "type": "text", "possibleValues": choices}])
    _, errors = validate_values(specs, {"x": "nope"}, partial=True)
    assert errors == [
        ErrorDetail(
            "x",
            "'nope' is not an allowed value; expected one of "
            "'L0', 'L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7', 'L8', 'L9' and 5 more",
        )
    ]


def test_an_empty_result_has_every_top_level_field_as_null() -> None:
    assert empty_result(INVOICE) == {
        "vendor": None,
        "date": None,
        "total": None,
        "paid": None,
        "tags": None,
        "payment_method": None,
        "currency": None,
        "line_items": None,
        "seller": None,
    }


def test_integers_and_floats_both_count_as_numbers() -> None:
    result, errors = check({"total": 0, "line_items": [{"amount": -2.25}]})
    assert errors == {}
    assert result["total"] == 0 and result["line_items"][0]["amount"] == -2.25
