"""The LLM engines through the whole API, against a local server speaking the providers'
real protocols: results, engine and usage, grounding, chunking, 429s and refused keys."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from quarry.core.config import Settings
from tests.conftest import make_settings
from tests.fakes.llm_servers import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    FakeLlmServer,
    Recorded,
    provider_settings,
    running,
)
from tests.integration.helpers import pdf, wait_job

User = dict[str, Any]
FIELDS: list[dict[str, Any]] = [
    {"name": "invoice_number", "type": "text"},
    {"name": "date", "type": "date"},
    {"name": "total", "type": "number"},
    {"name": "vendor", "type": "text"},
    {
        "name": "line_items",
        "type": "object",
        "isArray": True,
        "properties": [
            {"name": "position", "type": "number"},
            {"name": "description", "type": "text"},
            {"name": "amount", "type": "number"},
        ],
    },
]
AZURE_ANSWER: dict[str, Any] = {
    "invoice_number": "INV/2023/03/0008",
    "date": "2023-03-20",
    "total": 279.84,
    "vendor": "Imaginary Supplies Ltd",  # not in the document
    "line_items": [{"position": None, "description": "Office Chair", "amount": 70.0}],
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
        llm_max_retries=2,
        llm_max_input_tokens=920,  # one chunk per page of the two-page invoice
        job_max_attempts=2,
    )


@pytest.fixture(autouse=True)
def fresh(fake: FakeLlmServer) -> None:
    fake.reset()


async def schema_for(client: httpx.AsyncClient, user: User, engine: str | None) -> str:
    body = {"name": f"LLM {engine}", "fields": FIELDS, "engine": engine}
    answer = await client.post("/api/schema", json=body, headers=user["headers"])
    assert answer.status_code == 201, answer.text
    assert answer.json()["engine"] == engine
    return str(answer.json()["id"])


async def run_job(
    client: httpx.AsyncClient, user: User, schema_id: str, name: str = "AzureInterior"
) -> dict[str, Any]:
    answer = await client.post(
        "/api/jobs",
        headers=user["headers"],
        data={"type": "EXTRACTION", "schemaId": schema_id},
        files={"file": (f"{name}.pdf", pdf(f"docs/invoice2data-{name}.pdf"))},
    )
    assert answer.status_code == 201, answer.text
    return await wait_job(client, user["headers"], answer.json()["id"])


async def extraction(client: httpx.AsyncClient, user: User, job_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/jobs/{job_id}/extraction", headers=user["headers"])
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


async def test_an_openai_schema_extracts_with_engine_usage_and_grounding(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.answer = lambda request: AZURE_ANSWER
    job = await run_job(client, user, await schema_for(client, user, "openai"))
    assert job["status"] == "COMPLETED", job
    result = await extraction(client, user, job["id"])
    assert result["fields"] == {**AZURE_ANSWER, "line_items": [AZURE_ANSWER["line_items"][0]]}
    assert result["engine"] == {
        "name": "openai",
        "version": "1.0.0",
        "model": "gpt-fake-2026-01-01",
    }
    assert result["usage"] == {
        "inputTokens": 120,
        "outputTokens": 30,
        "calls": 1,
        "model": "gpt-fake-2026-01-01",
    }
    assert job["usage"] == result["usage"]  # recorded on the job too
    details = result["fieldDetails"]
    assert details["total"]["grounded"] is True and details["total"]["page"] == 1
    assert details["total"]["text"] == "279.84"
    assert details["date"]["text"] == "03/20/2023"  # found in its printed form
    assert details["vendor"]["grounded"] is False
    assert details["vendor"]["confidence"] < details["total"]["confidence"]
    assert details["line_items[0].position"]["nullReason"] == "NOT_IN_DOCUMENT"
    [request] = fake.requests
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert request.body["model"] == "gpt-fake"
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert list(schema["properties"]) == [f["name"] for f in FIELDS]
    assert "Total $ 279.84" in request.user_text


async def test_an_anthropic_schema_extracts_through_a_forced_tool_call(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.answer = lambda request: {**AZURE_ANSWER, "vendor": None}
    job = await run_job(client, user, await schema_for(client, user, "anthropic"))
    assert job["status"] == "COMPLETED", job
    result = await extraction(client, user, job["id"])
    assert result["fields"]["invoice_number"] == "INV/2023/03/0008"
    assert result["fieldDetails"]["vendor"]["nullReason"] == "NOT_IN_DOCUMENT"
    assert result["engine"] == {"name": "anthropic", "version": "1.0.0", "model": "claude-fake"}
    assert result["usage"]["calls"] == 1 and result["usage"]["inputTokens"] == 120
    [request] = fake.requests
    assert request.path == "/v1/messages" and request.headers["x-api-key"] == ANTHROPIC_KEY
    assert request.body["tool_choice"]["type"] == "tool"


def quality_hosting(request: Recorded) -> dict[str, Any]:
    """One answer per page: page 2 repeats page 1's last line before its own."""

    def item(position: int, amount: float) -> dict[str, Any]:
        kind = "Standard" if amount == 3.89 else "Quality"
        return {
            "position": position,
            "description": f"Small Business {kind}Exchange 2010",
            "amount": amount,
        }

    common = {"invoice_number": "30064443", "date": "2014-05-07", "vendor": None}
    if "=== Page 1 ===" in request.user_text:
        items = [item(1, 3.89)] + [item(n, 5.39) for n in range(2, 7)]
        return {**common, "total": None, "line_items": items}
    return {**common, "total": 34.73, "line_items": [item(6, 5.39), item(7, 3.89)]}


async def test_a_long_document_is_read_in_page_chunks_and_merged(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.answer = quality_hosting
    job = await run_job(client, user, await schema_for(client, user, "openai"), "QualityHosting")
    assert job["status"] == "COMPLETED", job
    first, second = fake.requests
    assert "=== Page 1 ===" in first.user_text and "=== Page 2 ===" not in first.user_text
    assert "=== Page 2 ===" in second.user_text and "part 2 of 2" in second.user_text
    result = await extraction(client, user, job["id"])
    fields = result["fields"]
    assert [line["position"] for line in fields["line_items"]] == [1, 2, 3, 4, 5, 6, 7]
    assert fields["total"] == 34.73 and fields["invoice_number"] == "30064443"
    assert result["fieldDetails"]["total"]["page"] == 2
    assert result["usage"] == {
        "inputTokens": 240,
        "outputTokens": 60,
        "calls": 2,
        "model": "gpt-fake-2026-01-01",
    }


async def test_429s_are_waited_out_as_retry_after_says(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.answer = lambda request: AZURE_ANSWER
    fake.fail(429, times=2, headers={"Retry-After": "1"})
    job = await run_job(client, user, await schema_for(client, user, "openai"))
    assert job["status"] == "COMPLETED" and job["attempts"] == 1, job
    times = [request.at for request in fake.requests]
    assert len(times) == 3
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(times))
    assert (await extraction(client, user, job["id"]))["fields"]["total"] == 279.84


async def test_a_provider_that_keeps_answering_429_fails_the_job_as_rate_limited(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.fail_always(429, headers={"Retry-After": "0"})
    job = await run_job(client, user, await schema_for(client, user, "openai"))
    assert job["status"] == "FAILED" and job["errorCode"] == "PROVIDER_RATE_LIMITED", job
    assert job["attempts"] == 2  # transient: the job-level retry ran too
    assert len(fake.requests) == 2 * 3  # 2 attempts × (1 call + 2 retries)
    assert "429" in job["errorMessage"]


async def test_a_refused_key_fails_at_once_and_the_key_is_never_shown(
    client: httpx.AsyncClient, user: User, fake: FakeLlmServer
) -> None:
    fake.fail(401)
    job = await run_job(client, user, await schema_for(client, user, "openai"))
    assert job["status"] == "FAILED" and job["errorCode"] == "ENGINE_ERROR", job
    assert job["attempts"] == 1 and len(fake.requests) == 1
    assert "401" in job["errorMessage"]
    assert OPENAI_KEY[:8] not in job["errorMessage"] and OPENAI_KEY not in str(job)


async def test_schemas_name_their_engine_and_unknown_engines_are_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = user["headers"]
    refused = await client.post(
        "/api/schema", json={"name": "x", "fields": FIELDS, "engine": "gpt-9"}, headers=headers
    )
    assert refused.status_code == 400 and refused.json()["details"][0]["field"] == "engine"
    schema_id = await schema_for(client, user, "anthropic")
    cleared = await client.patch(f"/api/schema/{schema_id}", json={"engine": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["engine"] is None
    assert cleared.json()["version"] == 1  # the engine is no field change
    default = (await client.get(f"/api/schema/{schema_id}", headers=headers)).json()
    assert default["engine"] is None
