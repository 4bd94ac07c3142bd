"""Field definitions of a schema: the rules, the exact error paths, the stored full form."""

from __future__ import annotations

import json
from typing import Any

import pytest

from quarry.core.errors import BadRequest
from quarry.core.fields import FieldType, specs_from_wire
from quarry.extraction_schemas.schemas import (
    MAX_DEPTH,
    MAX_FIELDS_PER_LEVEL,
    SchemaCreate,
    SchemaUpdate,
    parse_fields,
    stored_fields,
)
from tests.conftest import FIXTURES

INVOICE: dict[str, Any] = json.loads((FIXTURES / "invoice-schema.json").read_text())


def problems(fields: Any) -> dict[str, str]:
    with pytest.raises(BadRequest) as caught:
        parse_fields(fields)
    assert caught.value.code == "VALIDATION_ERROR"
    return {d.field: d.message for d in caught.value.details}


def text(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "text", **extra}


def nested(depth: int) -> dict[str, Any]:
    """An object field whose innermost text field sits `depth` levels down."""
    field = text("leaf")
    for level in range(depth - 1):
        field = {"name": f"level{level}", "type": "object", "properties": [field]}
    return field


def test_the_invoice_schema_is_stored_with_every_key_filled_in() -> None:
    stored = stored_fields(parse_fields(INVOICE["fields"]))
    assert stored[0] == {
        "name": "vendor",
        "type": "text",
        "required": True,
        "description": "Name of the seller or issuer (company or shop name)",
        "isArray": False,
        "properties": None,
        "possibleValues": None,
        "fuzzyMatch": False,
        "fuzzyThreshold": 85,
    }
    line_items = stored[-1]
    assert line_items["isArray"] is True and line_items["type"] == "object"
    assert line_items["properties"][1]["name"] == "quantity"
    assert line_items["properties"][1]["required"] is False


def test_the_stored_form_reads_back_as_field_specs_and_parses_again() -> None:
    stored = stored_fields(parse_fields(INVOICE["fields"]))
    specs = specs_from_wire(stored)
    assert specs[-1].properties[3].name == "amount"
    assert specs[-1].properties[3].type is FieldType.NUMBER
    assert stored_fields(parse_fields(stored)) == stored


def test_possible_values_are_kept_with_their_fuzzy_settings() -> None:
    choices = [{"id": "c", "label": "Credit card"}]
    [stored] = stored_fields(
        parse_fields([text("method", possibleValues=choices, fuzzyMatch=True, fuzzyThreshold=70)])
    )
    assert stored["possibleValues"] == choices
    assert (stored["fuzzyMatch"], stored["fuzzyThreshold"]) == (True, 70)


def test_empty_lists_of_properties_or_possible_values_mean_absent() -> None:
    [stored] = stored_fields(parse_fields([text("a", properties=[], possibleValues=[])]))
    assert stored["properties"] is None and stored["possibleValues"] is None


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ([text("ok"), text("9lives")], "fields[1].name"),
        ([text("has space")], "fields[0].name"),
        ([text("")], "fields[0].name"),
        ([text("a" * 101)], "fields[0].name"),
        ([{"name": "a", "type": "money"}], "fields[0].type"),
        ([{"type": "text"}], "fields[0].name"),
        ([text("a", fuzzyThreshold=101)], "fields[0].fuzzyThreshold"),
        ([text("a", fuzzyThreshold=-1)], "fields[0].fuzzyThreshold"),
        ([text("a", description="x" * 2001)], "fields[0].description"),
        ([text("a", isarray=True)], "fields[0].isarray"),
        ([text("a", possibleValues=[{"label": "x"}])], "fields[0].possibleValues[0].id"),
        ([], "fields"),
        ("vendor", "fields"),
    ],
)
def test_a_malformed_definition_is_refused_at_its_path(fields: Any, path: str) -> None:
    assert list(problems(fields)) == [path]


def test_an_error_deep_inside_points_at_the_exact_property() -> None:
    fields = [
        text("a"),
        text("b"),
        {"name": "c", "type": "object", "properties": [{"name": "1st", "type": "text"}]},
    ]
    assert list(problems(fields)) == ["fields[2].properties[0].name"]


def test_names_must_be_unique_among_siblings_only() -> None:
    address = {"name": "address", "type": "object", "properties": [text("name"), text("name")]}
    found = problems([text("name"), address, text("address")])
    assert found == {
        "fields[1].properties[1].name": "duplicate field name 'name' (first used at index 0)",
        "fields[2].name": "duplicate field name 'address' (first used at index 1)",
    }


def test_an_object_needs_properties() -> None:
    for fields in (
        [{"name": "o", "type": "object"}],
        [{"name": "o", "type": "object", "properties": []}],
    ):
        assert problems(fields) == {
            "fields[0].properties": "an object field needs at least one property"
        }


def test_only_objects_may_have_properties() -> None:
    found = problems([{"name": "n", "type": "number", "properties": [text("x")]}])
    assert found == {"fields[0].properties": "only object fields may have properties"}


def test_objects_nest_up_to_the_documented_depth() -> None:
    assert parse_fields([nested(MAX_DEPTH)])
    path = "fields[0]" + ".properties[0]" * (MAX_DEPTH - 1) + ".properties"
    assert problems([nested(MAX_DEPTH + 1)]) == {
        path: f"objects may be nested at most {MAX_DEPTH} levels"
    }


def test_possible_values_only_on_text_fields() -> None:
    choices = [{"id": "1", "label": "one"}]
    found = problems([{"name": "n", "type": "number", "possibleValues": choices}])
    assert found == {"fields[0].possibleValues": "only text fields may have possibleValues"}


def test_possible_values_need_unique_ids_and_labels_that_are_not_blank() -> None:
    choices = [{"id": "a", "label": "A"}, {"id": "a", "label": "B"}, {"id": "c", "label": "  "}]
    assert problems([text("t", possibleValues=choices)]) == {
        "fields[0].possibleValues[1].id": "duplicate id 'a' (first used at index 0)",
        "fields[0].possibleValues[2].label": "label must not be blank",
    }


def test_at_most_the_documented_number_of_fields_per_level() -> None:
    many = [text(f"f{i}") for i in range(MAX_FIELDS_PER_LEVEL)]
    assert len(parse_fields(many)) == MAX_FIELDS_PER_LEVEL
    assert list(problems([*many, text("one_more")])) == ["fields"]
    inside = {"name": "o", "type": "object", "properties": [*many, text("one_more")]}
    assert list(problems([inside])) == ["fields[0].properties"]


def test_every_problem_in_the_definitions_is_reported_at_once() -> None:
    found = problems([text("1"), {"name": "b", "type": "nope"}, text("c", isArray="maybe")])
    assert set(found) == {"fields[0].name", "fields[1].type", "fields[2].isArray"}


def test_a_create_body_with_bad_fields_raises_the_same_precise_error() -> None:
    with pytest.raises(BadRequest) as caught:
        SchemaCreate.model_validate({"name": "x", "fields": [text("ok"), text("bad name")]})
    assert [d.field for d in caught.value.details] == ["fields[1].name"]


def test_a_create_body_is_stored_in_full_form() -> None:
    body = SchemaCreate.model_validate(
        {"name": "  Receipts  ", "fields": [text("a")], "webhookEndpointIds": ["w1", "w2", "w1"]}
    )
    columns = body.columns()
    assert columns["name"] == "Receipts"
    assert columns["description"] is None
    assert columns["webhook_endpoint_ids"] == ["w1", "w2"]
    assert columns["fields"][0]["fuzzyThreshold"] == 85


def test_an_update_sets_only_the_keys_it_names() -> None:
    assert SchemaUpdate.model_validate({"name": "New"}).columns() == {"name": "New"}
    assert SchemaUpdate.model_validate({"description": None}).columns() == {"description": None}
    columns = SchemaUpdate.model_validate({"fields": [text("a")]}).columns()
    assert columns["fields"][0]["isArray"] is False


@pytest.mark.parametrize("key", ["name", "fields", "webhookEndpointIds"])
def test_an_update_may_not_null_a_key_that_needs_a_value(key: str) -> None:
    with pytest.raises(ValueError, match="may not be null"):
        SchemaUpdate.model_validate({key: None})
