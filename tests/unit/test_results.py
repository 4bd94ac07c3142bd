"""Schema order, columns and the result file writers shared by the export and `quarry extract`."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from quarry.core.fields import specs_from_wire
from quarry.results.order import order_details, order_fields
from quarry.results.records import ResultRecord
from quarry.results.writers import format_of, open_file

SPECS = specs_from_wire(
    [
        {"name": "vendor", "type": "text"},
        {"name": "date", "type": "date"},
        {"name": "paid", "type": "boolean"},
        {"name": "total", "type": "number"},
        {"name": "tags", "type": "text", "isArray": True},
        {
            "name": "buyer",
            "type": "object",
            "properties": [
                {"name": "vat_number", "type": "text"},
                {"name": "name", "type": "text"},
            ],
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
    ]
)
FIELDS = {
    "vendor": '=HYPERLINK("http://x")',
    "date": "2024-03-01",
    "paid": True,
    "total": 12.5,
    "tags": ["a", "b"],
    "buyer": {"vat_number": "GB1", "name": "Ada"},
    "line_items": [{"description": "Desk", "amount": 10}, {"description": "Pen", "amount": 2.5}],
}
DONE = ResultRecord("job_1", "ref-1", "a.pdf", "COMPLETED", None, FIELDS, {"total": {}})
FAILED = ResultRecord("job_2", None, "b.pdf", "FAILED", "OCR_FAILED")


def test_fields_and_nested_objects_follow_the_schema_not_the_stored_key_order() -> None:
    stored = {  # as jsonb gives it back: shorter keys first
        "date": "2024-03-01",
        "paid": None,
        "buyer": {"name": "Ada", "vat_number": "GB1"},
        "total": 1,
        "vendor": "V",
        "line_items": [{"amount": 1, "description": "x"}],
    }
    ordered = order_fields(SPECS, stored)
    assert list(ordered) == ["vendor", "date", "paid", "total", "buyer", "line_items"]
    assert list(ordered["buyer"]) == ["vat_number", "name"]
    assert list(ordered["line_items"][0]) == ["description", "amount"]
    details = {
        "line_items[10].amount": 1,
        "total": 1,
        "line_items[2].amount": 1,
        "line_items[2].description": 1,
        "buyer.name": 1,
        "vendor": 1,
        "buyer.vat_number": 1,
        "line_items": 1,
    }
    assert list(order_details(SPECS, details)) == [
        "vendor",
        "total",
        "buyer.vat_number",
        "buyer.name",
        "line_items",
        "line_items[2].description",
        "line_items[2].amount",
        "line_items[10].amount",
    ]


def write(path: Path, *records: ResultRecord) -> Path:
    out = open_file(path, SPECS)
    for record in records:
        out.add(record)
    out.close()
    return path


def test_csv_has_identity_columns_then_flattened_fields(tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(write(tmp_path / "r.csv", DONE, FAILED).read_text())))
    assert rows[0] == [
        "jobId", "externalRef", "fileName", "status", "errorCode",
        "vendor", "date", "paid", "total", "tags", "buyer.vat_number", "buyer.name", "line_items",
    ]  # fmt: skip
    assert rows[1][:5] == ["job_1", "ref-1", "a.pdf", "COMPLETED", ""]
    assert rows[1][5:12] == [
        FIELDS["vendor"],
        "2024-03-01",
        "true",
        "12.5",
        '["a","b"]',
        "GB1",
        "Ada",
    ]
    assert json.loads(rows[1][12]) == FIELDS["line_items"]
    assert rows[2] == ["job_2", "", "b.pdf", "FAILED", "OCR_FAILED"] + [""] * 8


def test_json_and_jsonl_carry_the_same_records(tmp_path: Path) -> None:
    array = json.loads(write(tmp_path / "r.json", DONE, FAILED).read_text())
    lines = write(tmp_path / "r.jsonl", DONE, FAILED).read_text().splitlines()
    assert array == [json.loads(line) for line in lines] == [DONE.wire(), FAILED.wire()]
    assert list(array[0]) == [
        "jobId", "externalRef", "fileName", "status", "errorCode", "fields", "fieldDetails",
    ]  # fmt: skip
    assert json.loads(write(tmp_path / "empty.json").read_text()) == []


def test_xlsx_types_cells_never_writes_formulas_and_lists_line_items(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write(tmp_path / "r.xlsx", DONE, FAILED))
    assert book.sheetnames == ["Results", "line_items"]
    header, first, second = book["Results"].iter_rows(values_only=True)
    row = dict(zip(header, first, strict=True))
    assert row["vendor"] == FIELDS["vendor"]  # text, not a formula
    assert book["Results"]["F2"].data_type == "s"
    assert row["date"] == datetime(2024, 3, 1) and row["paid"] is True and row["total"] == 12.5
    assert row["tags"] == '["a","b"]' and row["buyer.name"] == "Ada"
    assert second[:5] == ("job_2", None, "b.pdf", "FAILED", "OCR_FAILED")
    assert list(book["line_items"].iter_rows(values_only=True)) == [
        ("jobId", "description", "amount"),
        ("job_1", "Desk", 10),
        ("job_1", "Pen", 2.5),
    ]


def test_the_format_comes_from_the_file_extension() -> None:
    assert [format_of(Path(p)) for p in ("a.JSON", "b.jsonl", "c.csv", "d.xlsx")] == [
        "json", "jsonl", "csv", "xlsx",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="cannot tell the format"):
        format_of(Path("out.txt"))
