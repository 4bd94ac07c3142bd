"""Batch runs with a worker: uploads and public URLs, counters, children, validation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import file_server
from tests.integration.helpers import FIXTURES, children, create_schema, pdf, wait_run

User = dict[str, Any]


@pytest.fixture(scope="module")
def files_url() -> Iterator[str]:
    with file_server(FIXTURES) as url:
        yield url


async def test_an_upload_run_completes_with_exact_counters(
    client: httpx.AsyncClient, user: User
) -> None:
    schema_id = await create_schema(client, user["headers"])
    files = [
        ("files", ("a.pdf", pdf())),
        ("files", ("b.pdf", pdf("docs/invoice2data-QualityHosting.pdf"))),
        ("files", ("empty.pdf", b"")),
    ]
    answer = await client.post(
        "/api/job-runs",
        headers=user["headers"],
        files=files,
        data={"schemaId": schema_id, "jobType": "EXTRACTION"},
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["source"] == "UPLOAD" and created["totalJobs"] == 3
    run = await wait_run(client, user["headers"], created["id"])
    assert run["status"] == "COMPLETED", run
    assert (run["completedJobs"], run["failedJobs"], run["cancelledJobs"]) == (2, 1, 0)
    assert run["progress"] == 100 and run["startedAt"] and run["completedAt"]
    jobs = await children(client, user["headers"], run["id"])
    assert [j["document"]["fileName"] for j in jobs] == ["a.pdf", "b.pdf", "empty.pdf"]
    assert jobs[2]["status"] == "FAILED" and jobs[2]["errorCode"] == "UNSUPPORTED_FILE_TYPE"
    assert all(j["parentRunId"] == run["id"] for j in jobs)


async def test_a_url_run_keeps_external_refs_and_fails_missing_files_alone(
    client: httpx.AsyncClient, user: User, files_url: str
) -> None:
    schema_id = await create_schema(client, user["headers"])
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "urls": [
            {"url": f"{files_url}/docs/invoice2data-AzureInterior.pdf", "externalRef": "row-1"},
            {"url": f"{files_url}/missing.pdf", "externalRef": "row-2"},
            {"url": f"{files_url}/docs/invoice2data-QualityHosting.pdf"},
        ],
    }
    answer = await client.post("/api/job-runs/from-urls", headers=user["headers"], json=body)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["totalFiles"] == 3 and created["importBatchId"]
    run = await wait_run(client, user["headers"], created["jobRunId"])
    assert run["status"] == "COMPLETED" and run["source"] == "URLS"
    assert (run["completedJobs"], run["failedJobs"]) == (2, 1)
    jobs = await children(client, user["headers"], run["id"])
    assert [j["externalRef"] for j in jobs] == ["row-1", "row-2", None]
    assert jobs[1]["errorCode"] == "DOWNLOAD_FAILED" and "404" in jobs[1]["errorMessage"]
    assert jobs[0]["source"] == {
        "kind": "URL",
        "url": f"{files_url}/docs/invoice2data-AzureInterior.pdf",
    }
    assert jobs[0]["document"]["fileName"] == "invoice2data-AzureInterior.pdf"
    failed = (
        await client.get(
            f"/api/job-runs/{run['id']}/jobs", headers=user["headers"], params={"status": "FAILED"}
        )
    ).json()
    assert [j["externalRef"] for j in failed["data"]] == ["row-2"]


async def test_a_run_where_nothing_completes_is_failed(
    client: httpx.AsyncClient, user: User, files_url: str
) -> None:
    schema_id = await create_schema(client, user["headers"])
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "urls": [{"url": f"{files_url}/nothing-here.pdf"}],
    }
    created = (
        await client.post("/api/job-runs/from-urls", headers=user["headers"], json=body)
    ).json()
    run = await wait_run(client, user["headers"], created["jobRunId"])
    assert run["status"] == "FAILED" and run["failedJobs"] == 1


async def test_bad_url_items_reject_the_request_with_their_index(
    client: httpx.AsyncClient, user: User
) -> None:
    schema_id = await create_schema(client, user["headers"])
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "urls": [
            {"url": "https://example.com/a.pdf"},
            {"url": "ftp://example.com/b.pdf"},
            {"url": "not a url"},
        ],
    }
    answer = await client.post("/api/job-runs/from-urls", headers=user["headers"], json=body)
    assert answer.status_code == 400
    fields = [d["field"] for d in answer.json()["details"]]
    assert fields == ["urls[1].url", "urls[2].url"]
    listed = (
        await client.get("/api/job-runs", headers=user["headers"], params={"schemaId": schema_id})
    ).json()
    assert listed["total"] == 0


async def test_list_runs_filters_by_status_and_schema(
    client: httpx.AsyncClient, user: User
) -> None:
    first = await create_schema(client, user["headers"])
    second = await create_schema(client, user["headers"])
    for schema_id in (first, second, second):
        answer = await client.post(
            "/api/job-runs",
            headers=user["headers"],
            files=[("files", ("a.pdf", pdf()))],
            data={"schemaId": schema_id, "jobType": "EXTRACTION"},
        )
        await wait_run(client, user["headers"], answer.json()["id"])
    listed = (
        await client.get(
            "/api/job-runs",
            headers=user["headers"],
            params={"schemaId": second, "status": "COMPLETED", "limit": 1},
        )
    ).json()
    assert listed["total"] == 2 and listed["totalPages"] == 2 and len(listed["data"]) == 1
    none = (
        await client.get(
            "/api/job-runs",
            headers=user["headers"],
            params={"schemaId": second, "status": "FAILED"},
        )
    ).json()
    assert none["total"] == 0


async def test_too_many_files_and_too_large_files_are_refused(
    client: httpx.AsyncClient, user: User, tmp_path: Path
) -> None:
    schema_id = await create_schema(client, user["headers"])
    many = [("files", (f"{i}.pdf", b"%PDF-1.4")) for i in range(101)]
    answer = await client.post(
        "/api/job-runs",
        headers=user["headers"],
        files=many,
        data={"schemaId": schema_id, "jobType": "EXTRACTION"},
    )
    assert answer.status_code == 400 and answer.json()["code"] == "TOO_MANY_FILES"
    assert not list((tmp_path.parent).glob("upload-*"))
