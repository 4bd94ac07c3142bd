"""`POST /api/schema/ai` in its three modes, offline and through a (local, fake) model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from quarry.core.config import Settings
from tests.conftest import make_settings
from tests.fakes.llm_servers import (
    FakeLlmServer,
    provider_settings,
    running,
)
from tests.integration.helpers import pdf

User = dict[str, Any]
ORDER_HTML = b"""<html><body>
<p>Order No: A-17</p><p>Order date: 2024-03-01</p>
<table><tr><th>Item</th><th>Qty</th><th>Price</th></tr>
<tr><td>Pen</td><td>2</td><td>1.50</td></tr><tr><td>Ink</td><td>1</td><td>4.00</td></tr></table>
<p>Total: 7.00</p></body></html>"""
SUGGESTED = {
    "fields": [
        {
            "name": "Invoice No.",
            "type": "text",
            "description": "As printed",
            "isArray": False,
            "properties": None,
        },
        {
            "name": "issue_date",
            "type": "date",
            "description": None,
            "isArray": False,
            "properties": None,
        },
        {
            "name": "lines",
            "type": "object",
            "description": "Invoice lines",
            "isArray": True,
            "properties": [
                {"name": "amount", "type": "number", "description": None, "isArray": False}
            ],
        },
    ]
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLlmServer]:
    with running() as server:
        yield server


@pytest.fixture(scope="module")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, fake: FakeLlmServer
) -> Settings:
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        **provider_settings(fake),
        llm_max_retries=1,
    )


@pytest.fixture(autouse=True)
def fresh(fake: FakeLlmServer) -> None:
    fake.reset()


async def infer(
    client: httpx.AsyncClient,
    user: User,
    form: dict[str, str],
    sample: tuple[str, bytes] | None = None,
) -> httpx.Response:
    files = {"file": sample} if sample is not None else {}
    headers = dict(user["headers"])
    if not files:  # httpx sends a form without files urlencoded; clients send multipart
        headers["Content-Type"] = "multipart/form-data; boundary=quarry-test-boundary"
        parts = [
            f'--quarry-test-boundary\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n"
            for name, value in form.items()
        ]
        body = ("".join(parts) + "--quarry-test-boundary--\r\n").encode()
        return await client.post("/api/schema/ai", headers=headers, content=body)
    return await client.post("/api/schema/ai", headers=headers, data=form, files=files)


def shape(fields: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in fields:
        kind = field["type"] + ("[]" if field["isArray"] else "")
        out[field["name"]] = (kind, shape(field["properties"])) if field["properties"] else kind
    return out


async def test_document_only_infers_typed_fields_from_a_real_invoice(
    client: httpx.AsyncClient, user: User
) -> None:
    answer = await infer(
        client,
        user,
        {"mode": "document_only", "schemaName": "Azure invoices"},
        ("AzureInterior.pdf", pdf()),
    )
    assert answer.status_code == 201, answer.text
    schema = answer.json()
    fields = shape(schema["fields"])
    assert fields["invoice_number"] == "text"
    assert fields["invoice_date"] == "date" and fields["due_date"] == "date"
    assert fields["total"] == "number" and fields["subtotal"] == "number"
    by_name = {field["name"]: field for field in schema["fields"]}
    assert by_name["invoice_date"]["description"] == "Invoice Date"
    assert schema["name"] == "Azure invoices" and schema["version"] == 1
    assert schema["description"] == "Inferred from AzureInterior.pdf"
    assert schema["engine"] is None
    versions = await client.get(f"/api/schema/{schema['id']}/versions", headers=user["headers"])
    assert versions.json()["total"] == 1


async def test_prompt_only_names_and_types_fields_from_the_request(
    client: httpx.AsyncClient, user: User
) -> None:
    prompt = "extract invoice number, date, total and line items with description and amount"
    answer = await infer(
        client, user, {"mode": "prompt_only", "schemaName": "From words", "userPrompt": prompt}
    )
    assert answer.status_code == 201, answer.text
    assert shape(answer.json()["fields"]) == {
        "invoice_number": "text",
        "date": "date",
        "total": "number",
        "line_items": ("object[]", {"description": "text", "amount": "number"}),
    }
    assert answer.json()["description"] == prompt


async def test_document_with_prompt_types_the_requested_fields_from_the_sample(
    client: httpx.AsyncClient, user: User
) -> None:
    form = {
        "mode": "document_with_prompt",
        "schemaName": "Orders",
        "userPrompt": "order no, order date, total and items (item, qty, price)",
    }
    answer = await infer(client, user, form, ("order.html", ORDER_HTML))
    assert answer.status_code == 201, answer.text
    fields = answer.json()["fields"]
    assert shape(fields) == {
        "order_no": "text",
        "order_date": "date",
        "total": "number",
        "items": ("object[]", {"item": "text", "qty": "number", "price": "number"}),
    }
    assert [f["name"] for f in fields] == ["order_no", "order_date", "total", "items"]


async def test_with_an_llm_engine_the_model_suggests_the_fields(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.answer = lambda request: SUGGESTED
    form = {"mode": "document_only", "schemaName": "By model", "engine": "openai"}
    answer = await infer(client, user, form, ("AzureInterior.pdf", pdf()))
    assert answer.status_code == 201, answer.text
    schema = answer.json()
    assert shape(schema["fields"]) == {
        "invoice_no": "text",
        "issue_date": "date",
        "lines": ("object[]", {"amount": "number"}),
    }
    assert schema["engine"] == "openai"
    [request] = fake.requests
    assert request.body["response_format"]["json_schema"]["name"] == "record_schema"
    assert "Total $ 279.84" in request.user_text and "Request:" not in request.user_text


async def test_prompt_only_through_anthropic_sends_the_request_and_no_document(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.answer = lambda request: SUGGESTED
    form = {
        "mode": "prompt_only",
        "schemaName": "By Claude",
        "userPrompt": "invoice number, issue date and lines with amounts",
        "engine": "anthropic",
    }
    answer = await infer(client, user, form)
    assert answer.status_code == 201, answer.text
    assert [f["name"] for f in answer.json()["fields"]] == ["invoice_no", "issue_date", "lines"]
    [request] = fake.requests
    assert request.path == "/v1/messages"
    assert request.user_text.startswith("Request: invoice number, issue date")
    assert "Sample document" not in request.user_text


async def test_a_rate_limited_model_answers_429_with_retry_after(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.fail_always(429, headers={"Retry-After": "0"})
    form = {"mode": "prompt_only", "schemaName": "x", "userPrompt": "total", "engine": "openai"}
    answer = await infer(client, user, form)
    assert answer.status_code == 429 and answer.json()["code"] == "PROVIDER_RATE_LIMITED"
    assert int(answer.headers["Retry-After"]) > 0
    assert len(fake.requests) == 2  # one call and LLM_MAX_RETRIES=1 retry


@pytest.mark.parametrize(
    ("form", "sample", "status", "code", "field"),
    [
        ({"mode": "document_only", "schemaName": "x"}, None, 400, "VALIDATION_ERROR", "file"),
        ({"mode": "guess", "schemaName": "x"}, None, 400, "VALIDATION_ERROR", "mode"),
        ({"mode": "prompt_only", "schemaName": "x"}, None, 400, "VALIDATION_ERROR", "userPrompt"),
        (
            {"mode": "prompt_only", "userPrompt": "total"},
            None,
            400,
            "VALIDATION_ERROR",
            "schemaName",
        ),
        (
            {"mode": "prompt_only", "schemaName": "x", "userPrompt": "total", "engine": "gpt"},
            None,
            400,
            "VALIDATION_ERROR",
            "engine",
        ),
        (
            {
                "mode": "prompt_only",
                "schemaName": "x",
                "userPrompt": "Please extract the following:",
            },
            None,
            400,
            "NO_FIELDS_INFERRED",
            "userPrompt",
        ),
        (
            {"mode": "document_only", "schemaName": "x"},
            ("a.zip", b"PK\x03\x04" + b"\x00" * 60),
            400,
            "UNSUPPORTED_FILE_TYPE",
            "file",
        ),
        (
            {"mode": "document_only", "schemaName": "x"},
            ("broken.pdf", b"%PDF-1.7\n1 0 obj <<"),
            400,
            "CORRUPT_DOCUMENT",
            None,
        ),
    ],
)
async def test_bad_requests_are_refused(
    client: httpx.AsyncClient,
    user: User,
    form: dict[str, str],
    sample: tuple[str, bytes] | None,
    status: int,
    code: str,
    field: str | None,
) -> None:
    answer = await infer(client, user, form, sample)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    if field is not None:
        assert field in {detail["field"] for detail in answer.json()["details"]}
