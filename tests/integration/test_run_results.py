"""Results in schema order (API, events, webhook bodies) and the run results export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import openpyxl
import pytest

from quarry.core.config import Settings
from quarry.core.fields import specs_from_wire
from quarry.results.order import path_rank
from tests.conftest import make_settings
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver
from tests.integration.helpers import INVOICE_SCHEMA, create_schema, pdf, wait_job, wait_run
from tests.integration.webhook_helpers import new_endpoint, wait_received

User = dict[str, Any]
# jsonb would list these by key length: `name` before `vat_number`, `date` before `vendor`
FIELDS = [
    *INVOICE_SCHEMA["fields"],
    {
        "name": "buyer",
        "type": "object",
        "properties": [{"name": "vat_number", "type": "text"}, {"name": "name", "type": "text"}],
    },
]
NAMES = [f["name"] for f in FIELDS]
IDENTITY = ["jobId", "externalRef", "fileName", "status", "errorCode"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"), webhook_retry_delays=[0.2])


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


def in_schema_order(details: dict[str, Any]) -> bool:
    ranks = [path_rank(specs_from_wire(FIELDS), path) for path in details]
    return ranks == sorted(ranks)


async def test_fields_come_in_schema_order_from_the_api_events_and_webhooks(
    client: httpx.AsyncClient, user: User, receiver: WebhookReceiver
) -> None:
    headers = user["headers"]
    await new_endpoint(client, headers, receiver.url, events=["job.completed", "job.updated"])
    schema_id = await create_schema(client, headers, FIELDS)
    answer = await client.post(
        "/api/jobs",
        headers=headers,
        files={"file": ("a.pdf", pdf())},
        data={"type": "EXTRACTION", "schemaId": schema_id},
    )
    assert answer.status_code == 201, answer.text
    job = await wait_job(client, headers, answer.json()["id"])
    assert job["status"] == "COMPLETED", job

    extraction = (await client.get(f"/api/jobs/{job['id']}/extraction", headers=headers)).json()
    assert list(extraction["fields"]) == NAMES
    assert len(extraction["fieldDetails"]) > 1 and in_schema_order(extraction["fieldDetails"])

    patch = {"fields": {"buyer": {"vat_number": "GB123", "name": "Ada"}}}
    patched = await client.patch(f"/api/jobs/{job['id']}/extraction", json=patch, headers=headers)
    assert patched.status_code == 200, patched.text
    assert list(patched.json()["fields"]) == NAMES
    again = (await client.get(f"/api/jobs/{job['id']}/extraction", headers=headers)).json()
    assert list(again["fields"]["buyer"]) == ["vat_number", "name"]
    assert in_schema_order(again["fieldDetails"])

    got = await wait_received(receiver, lambda r: {x.json()["type"] for x in r} >= {"job.updated"})
    for request in got:
        fields = request.json()["data"]["extraction"]["fields"]
        assert list(fields) == NAMES, request.json()["type"]
        # the raw body, not only the parsed object, lists the keys in schema order
        assert request.body.index(b'"vendor"') < request.body.index(b'"date"')
    updated = next(r.json() for r in got if r.json()["type"] == "job.updated")
    assert list(updated["data"]["extraction"]["fields"]["buyer"]) == ["vat_number", "name"]


async def upload(client: httpx.AsyncClient, headers: dict[str, str], schema_id: str) -> str:
    files = [
        ("files", ("a.pdf", pdf())),
        ("files", ("empty.pdf", b"")),
        ("files", ("b.pdf", pdf("docs/invoice2data-QualityHosting.pdf"))),
    ]
    answer = await client.post(
        "/api/job-runs",
        headers=headers,
        files=files,
        data={"schemaId": schema_id, "jobType": "EXTRACTION"},
    )
    assert answer.status_code == 201, answer.text
    run = await wait_run(client, headers, answer.json()["id"])
    assert run["status"] == "COMPLETED", run
    return str(run["id"])


@pytest.fixture
async def finished_run(client: httpx.AsyncClient, user: User) -> str:
    schema_id = await create_schema(client, user["headers"], FIELDS)
    return await upload(client, user["headers"], schema_id)


async def export(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str, **params: str
) -> httpx.Response:
    answer = await client.get(f"/api/job-runs/{run_id}/results", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


async def test_json_and_jsonl_exports_list_every_job_in_submission_order(
    client: httpx.AsyncClient, user: User, finished_run: str
) -> None:
    headers = user["headers"]
    answer = await export(client, headers, finished_run)
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="run-{finished_run}-results.json"'
    )
    records = answer.json()
    assert [r["fileName"] for r in records] == ["a.pdf", "empty.pdf", "b.pdf"]
    assert [r["status"] for r in records] == ["COMPLETED", "FAILED", "COMPLETED"]
    assert list(records[0]) == [*IDENTITY, "fields", "fieldDetails"]
    assert list(records[0]["fields"]) == NAMES and in_schema_order(records[0]["fieldDetails"])
    assert records[1]["errorCode"] == "UNSUPPORTED_FILE_TYPE" and records[1]["fields"] is None
    jobs = (await client.get(f"/api/job-runs/{finished_run}/jobs", headers=headers)).json()
    assert [r["jobId"] for r in records] == [j["id"] for j in jobs["data"]]
    one = (await client.get(f"/api/jobs/{records[0]['jobId']}/extraction", headers=headers)).json()
    assert records[0]["fields"] == one["fields"]

    lines = (await export(client, headers, finished_run, format="jsonl")).text.splitlines()
    assert [json.loads(line) for line in lines] == records

    failed = (await export(client, headers, finished_run, status="FAILED")).json()
    assert [r["fileName"] for r in failed] == ["empty.pdf"]
    both = await export(client, headers, finished_run, status="failed,COMPLETED", format="jsonl")
    assert len(both.text.splitlines()) == 3
    none = await export(client, headers, finished_run, status="CANCELLED")
    assert none.json() == []


async def test_csv_export_flattens_objects_and_keeps_arrays_as_json(
    client: httpx.AsyncClient, user: User, finished_run: str
) -> None:
    headers = user["headers"]
    records = (await export(client, headers, finished_run)).json()
    answer = await export(client, headers, finished_run, format="csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].endswith(f'"run-{finished_run}-results.csv"')
    rows = list(csv.reader(io.StringIO(answer.text)))
    flat = [n for n in NAMES if n != "buyer"] + ["buyer.vat_number", "buyer.name"]
    assert rows[0] == IDENTITY + flat
    assert [row[0] for row in rows[1:]] == [r["jobId"] for r in records]
    first = dict(zip(rows[0], rows[1], strict=True))
    fields = records[0]["fields"]
    assert first["vendor"] == (fields["vendor"] or "")
    assert first["total"] == (json.dumps(fields["total"]) if fields["total"] is not None else "")
    items = fields["line_items"]
    assert first["line_items"] == (
        json.dumps(items, ensure_ascii=False, separators=(",", ":")) if items else ""
    )
    assert rows[2][3:5] == ["FAILED", "UNSUPPORTED_FILE_TYPE"]


async def test_xlsx_export_has_typed_cells_and_a_line_item_sheet(
    client: httpx.AsyncClient, user: User, finished_run: str, tmp_path: Any, settings: Settings
) -> None:
    headers = user["headers"]
    records = (await export(client, headers, finished_run)).json()
    answer = await export(client, headers, finished_run, format="xlsx")
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"].endswith(f'"run-{finished_run}-results.xlsx"')
    path = tmp_path / "results.xlsx"
    path.write_bytes(answer.content)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Results", "line_items"]
    rows = list(book["Results"].iter_rows(values_only=True))
    assert list(rows[0][:5]) == IDENTITY and rows[0][5] == "vendor"
    assert [row[0] for row in rows[1:]] == [r["jobId"] for r in records]
    header = list(rows[0])
    first, fields = dict(zip(header, rows[1], strict=True)), records[0]["fields"]
    assert fields["total"] is not None and fields["date"] is not None, fields
    assert first["total"] == fields["total"] and isinstance(first["total"], int | float)
    assert (
        isinstance(first["date"], datetime) and first["date"].date().isoformat() == fields["date"]
    )
    assert book["Results"].cell(2, header.index("date") + 1).number_format == "yyyy-mm-dd"
    items = list(book["line_items"].iter_rows(values_only=True))
    assert items[0] == ("jobId", "description", "quantity", "unit_price", "amount", "code")
    expected = [
        (r["jobId"], *(item[k] for k in items[0][1:]))
        for r in records
        if r["fields"]
        for item in r["fields"]["line_items"] or []
    ]
    assert expected and items[1:] == expected
    assert not list((settings.data_dir / "tmp").glob("export-*"))  # the temporary file is gone


async def test_export_refuses_bad_parameters_and_other_users_runs(
    client: httpx.AsyncClient, user: User, other_user: User, finished_run: str
) -> None:
    url = f"/api/job-runs/{finished_run}/results"
    bad_format = await client.get(url, params={"format": "xml"}, headers=user["headers"])
    assert bad_format.status_code == 400 and bad_format.json()["details"][0]["field"] == "format"
    bad_status = await client.get(url, params={"status": "DONE"}, headers=user["headers"])
    assert bad_status.status_code == 400 and bad_status.json()["details"][0]["field"] == "status"
    other = await client.get(url, headers=other_user["headers"])
    assert other.status_code == 404 and other.json()["code"] == "JOB_RUN_NOT_FOUND"


async def test_openapi_describes_the_export_formats(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/openapi.json")).json()
    operation = document["paths"]["/api/job-runs/{run_id}/results"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"format", "status"}
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json",
        "application/x-ndjson",
        "text/csv",
        XLSX,
    }
    assert "/api/job-runs/{run_id}/retry-failed" in document["paths"]
