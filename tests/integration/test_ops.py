"""Health, readiness, the OpenAPI document and the error shape."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import register
from tests.integration.helpers import create_schema, pdf, wait_job


async def test_health_answers_without_credentials(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


async def test_ready_reports_database_storage_disk_and_a_live_worker(
    client: httpx.AsyncClient,
) -> None:
    # Readiness is a probe a deployment polls: the in-process workers register a moment after
    # the app starts (longer on a loaded machine), so the check may answer 503 first.
    deadline = asyncio.get_running_loop().time() + 20
    answer = await client.get("/api/ready")
    while answer.status_code != 200 and asyncio.get_running_loop().time() < deadline:
        assert answer.json()["checks"]["workers"] == "no live worker", answer.text
        await asyncio.sleep(0.2)
        answer = await client.get("/api/ready")
    assert answer.status_code == 200, answer.text
    checks = answer.json()["checks"]
    assert checks == {"database": "ok", "storage": "ok", "disk": "ok", "workers": "ok"}


async def test_unknown_route_uses_the_error_shape(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/no-such-thing")
    assert answer.status_code == 404
    body = answer.json()
    assert (
        body["statusCode"] == 404 and body["code"] == "NOT_FOUND" and body["error"] == "Not Found"
    )
    assert answer.headers["x-request-id"]


async def test_openapi_document_is_served(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.json()["info"]["title"] == "Quarry"
    docs = await client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_openapi_describes_invalid_input_as_400_in_the_error_shape(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/api/openapi.json")).json()
    responses = document["paths"]["/api/job-runs/from-urls"]["post"]["responses"]
    assert "422" not in responses
    assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorOut")
    assert set(document["components"]["schemas"]["ErrorOut"]["properties"]) == {
        "statusCode",
        "error",
        "code",
        "message",
        "details",
    }


async def test_metrics_count_jobs_runs_queue_and_workers(
    client: httpx.AsyncClient, user: dict[str, Any]
) -> None:
    headers: dict[str, str] = user["headers"]
    schema_id = await create_schema(client, headers)
    job = (
        await client.post(
            "/api/jobs",
            headers=headers,
            files={"file": ("a.pdf", pdf())},
            data={"type": "EXTRACTION", "schemaId": schema_id},
        )
    ).json()
    await wait_job(client, headers, job["id"])
    assert (await client.get("/metrics")).status_code == 401
    someone = await register(client)  # not the first user of this database: role USER
    assert (await client.get("/metrics", headers=someone["headers"])).status_code == 403
    assert user["user"]["role"] == "ADMIN"  # the first user registered here
    answer = await client.get("/metrics", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = dict(
        line.rsplit(" ", 1)
        for line in answer.text.splitlines()
        if line and not line.startswith("#")
    )
    assert int(samples['quarry_jobs{status="COMPLETED"}']) >= 1
    assert int(samples["quarry_workers_alive"]) >= 1
