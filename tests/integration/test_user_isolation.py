"""Another user's ids answer 404 on every route that takes an id, and never leak into lists."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import register
from tests.fakes.s3_server import moto_s3
from tests.integration.helpers import create_schema, pdf, wait_job

User = dict[str, Any]
# routes whose id is not a user's resource id
NOT_OWNED = {
    "/api/uploads/{key}",
    "/api/integrations/oauth/{provider}/start",
    "/api/integrations/oauth/{provider}/callback",
    "/api/integrations/oauth/{provider}/complete",
}


@pytest.fixture
async def owned(client: httpx.AsyncClient, user: User) -> dict[str, str]:
    """One of each resource, owned by `user`."""
    headers = user["headers"]
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
    run = (
        await client.post(
            "/api/job-runs",
            headers=headers,
            files=[("files", ("b.pdf", pdf()))],
            data={"schemaId": schema_id, "jobType": "EXTRACTION"},
        )
    ).json()
    key = (await client.post("/api/auth/api-keys", headers=headers, json={"name": "k"})).json()
    hook = (
        await client.post(
            "/api/webhooks",
            headers=headers,
            json={"url": "https://hooks.example.com/q", "events": ["job.completed"]},
        )
    ).json()
    ping = (await client.post(f"/api/webhooks/{hook['id']}/ping", headers=headers)).json()
    with moto_s3() as s3:
        bucket = f"isolation-{secrets.token_hex(4)}"
        s3.bucket(bucket)
        integration = (
            await client.post(
                "/api/integrations",
                headers=headers,
                json={
                    "provider": "S3",
                    "name": "bucket",
                    "config": {"bucket": bucket, "endpointUrl": s3.endpoint_url},
                    "credentials": {"accessKeyId": "testing", "secretAccessKey": "testing"},
                },
            )
        ).json()
    imported = (
        await client.post(
            "/api/job-runs/from-sources",
            headers=headers,
            json={
                "integrationId": integration["id"],
                "fileIds": ["a.pdf"],
                "schemaId": schema_id,
                "jobType": "EXTRACTION",
            },
        )
    ).json()
    return {
        "job_id": job["id"],
        "run_id": run["id"],
        "schema_id": schema_id,
        "document_id": job["document"]["id"],
        "key_id": key["id"],
        "version": "1",
        "number": "1",  # a page of a document
        "endpoint_id": hook["id"],
        "delivery_id": ping["id"],
        "integration_id": integration["id"],
        "batch_id": imported["importBatchId"],
    }


def id_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) with a path parameter, from the app's own OpenAPI document."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        if "{" in path and path not in NOT_OWNED:
            routes += [(method.upper(), path) for method in sorted(operations)]
    return routes


def body_for(method: str, path: str, own_schema: str) -> dict[str, Any] | None:
    """A valid body, so that the answer is about ownership, not about validation."""
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("PATCH", "/api/schema/{schema_id}"): {"name": "renamed"},
        ("PATCH", "/api/jobs/{job_id}/extraction"): {"fields": {}},
        ("PATCH", "/api/webhooks/{endpoint_id}"): {"description": "mine now"},
        ("POST", "/api/webhooks/{endpoint_id}/send"): {"data": {}},
        ("POST", "/api/jobs/from-document/{document_id}"): {
            "type": "EXTRACTION",
            "schemaId": own_schema,
        },
    }
    return bodies.get((method, path))


async def test_every_route_with_an_id_answers_404_for_another_users_id(
    app: FastAPI, client: httpx.AsyncClient, owned: dict[str, str]
) -> None:
    intruder = await register(client)
    own_schema = await create_schema(client, intruder["headers"])
    routes = id_routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        url = re.sub(r"\{(\w+)\}", lambda m: owned[m.group(1)], path)
        answer = await client.request(
            method, url, headers=intruder["headers"], json=body_for(method, path, own_schema)
        )
        assert answer.status_code == 404, f"{method} {path}: {answer.status_code} {answer.text}"
        assert answer.json()["code"].endswith("NOT_FOUND")


async def test_lists_filtered_by_another_users_ids_are_empty(
    client: httpx.AsyncClient, owned: dict[str, str]
) -> None:
    intruder = await register(client)
    for url, params in (
        ("/api/jobs", {"parentRunId": owned["run_id"]}),
        ("/api/jobs", {"schemaId": owned["schema_id"]}),
        ("/api/job-runs", {"schemaId": owned["schema_id"]}),
        ("/api/schema", {}),
        ("/api/auth/api-keys", {}),
        ("/api/integrations", {}),
    ):
        answer = await client.get(url, params=params, headers=intruder["headers"])
        assert answer.status_code == 200 and answer.json()["total"] == 0, (url, answer.text)


async def test_a_run_cannot_use_another_users_schema(
    client: httpx.AsyncClient, owned: dict[str, str]
) -> None:
    intruder = await register(client)
    answer = await client.post(
        "/api/job-runs/from-urls",
        headers=intruder["headers"],
        json={
            "schemaId": owned["schema_id"],
            "jobType": "EXTRACTION",
            "urls": [{"url": "https://example.com/a.pdf"}],
        },
    )
    assert answer.status_code == 404 and answer.json()["code"] == "SCHEMA_NOT_FOUND"
