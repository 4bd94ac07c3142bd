"""S3 integrations against moto (a real S3 wire-protocol server, request signatures checked):
create, isolation, secrets, browse, `from-sources`, folder imports, the mixed trigger, ERROR."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from quarry.core.config import Settings
from quarry.events.models import Event
from quarry.integrations.models import Integration
from quarry.runtime import Runtime
from tests.conftest import make_settings
from tests.e2e.server import file_server
from tests.fakes.s3_server import MotoS3, moto_s3
from tests.integration.helpers import FIXTURES, children, create_schema, pdf, wait_run

User = dict[str, Any]
BUCKET = "quarry-integrations"
BIG = b"%PDF-1.4\n" + b"0" * 150_000
OBJECTS = {
    "invoices/a.pdf": pdf(),
    "invoices/b.pdf": pdf("docs/invoice2data-QualityHosting.pdf"),
    "invoices/2026/c.pdf": pdf("docs/invoice2data-coolblue1.pdf"),
    "private/secret.pdf": pdf(),
    "big/huge.pdf": BIG,
}


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        connector_retry_base_seconds=0,
        max_file_size=100_000,
        max_urls_per_run=20,
    )


@pytest.fixture(scope="module")
def s3() -> Iterator[MotoS3]:
    with moto_s3() as server:
        server.bucket(BUCKET, OBJECTS)
        yield server


@pytest.fixture(scope="module")
def keys(s3: MotoS3) -> tuple[str, str]:
    """An IAM user's keys: everything but reading `private/`. Signatures are checked from now."""
    pair = s3.user_denied("reader", BUCKET, "private/")
    s3.enforce_auth(True)
    return pair


@pytest.fixture(scope="module")
def files_url() -> Iterator[str]:
    with file_server(FIXTURES) as url:
        yield url


async def create_s3(
    client: httpx.AsyncClient, user: User, s3: MotoS3, keys: tuple[str, str], **config: Any
) -> dict[str, Any]:
    body = {
        "provider": "S3",
        "name": "Invoices bucket",
        "config": {"bucket": BUCKET, "endpointUrl": s3.endpoint_url, **config},
        "credentials": {"accessKeyId": keys[0], "secretAccessKey": keys[1]},
    }
    answer = await client.post("/api/integrations", json=body, headers=user["headers"])
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def from_sources(
    client: httpx.AsyncClient, user: User, body: dict[str, Any]
) -> httpx.Response:
    return await client.post("/api/job-runs/from-sources", json=body, headers=user["headers"])


async def test_an_integration_is_checked_and_its_credentials_never_come_back(
    client: httpx.AsyncClient, user: User, s3: MotoS3, keys: tuple[str, str], runtime: Runtime
) -> None:
    created = await create_s3(client, user, s3, keys, prefix="/invoices/")
    assert created["provider"] == "S3" and created["status"] == "ACTIVE"
    assert created["config"] == {
        "bucket": BUCKET,
        "region": "us-east-1",
        "endpointUrl": s3.endpoint_url,
        "prefix": "invoices/",
    }
    headers = user["headers"]
    answers = [
        await client.get(f"/api/integrations/{created['id']}", headers=headers),
        await client.get("/api/integrations", headers=headers),
        await client.post(f"/api/integrations/{created['id']}/test", headers=headers),
        await client.get(f"/api/integrations/{created['id']}/files", headers=headers),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert keys[1] not in answer.text and keys[0] not in answer.text
        assert "credentials" not in answer.text
    assert answers[2].json()["status"] == "ACTIVE" and answers[2].json()["checkedAt"]
    async with runtime.db.session() as session:
        row = await session.get(Integration, created["id"])
    assert row is not None and keys[1] not in row.credentials_sealed
    assert row.credentials_sealed.startswith("v1.")


async def test_another_users_integration_answers_404(
    client: httpx.AsyncClient, user: User, other_user: User, s3: MotoS3, keys: tuple[str, str]
) -> None:
    mine = (await create_s3(client, user, s3, keys))["id"]
    theirs = other_user["headers"]
    for method, path in [
        ("GET", f"/api/integrations/{mine}"),
        ("POST", f"/api/integrations/{mine}/test"),
        ("GET", f"/api/integrations/{mine}/files"),
        ("DELETE", f"/api/integrations/{mine}"),
    ]:
        answer = await client.request(method, path, headers=theirs)
        assert answer.status_code == 404 and answer.json()["code"] == "INTEGRATION_NOT_FOUND"
    schema_id = await create_schema(client, theirs)
    body = {"integrationId": mine, "fileIds": ["invoices/a.pdf"], "schemaId": schema_id}
    answer = await from_sources(client, other_user, {**body, "jobType": "EXTRACTION"})
    assert answer.status_code == 404 and answer.json()["code"] == "INTEGRATION_NOT_FOUND"
    trigger = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "files": [{"integrationId": mine, "fileId": "invoices/a.pdf"}],
    }
    answer = await client.post("/api/integrations/trigger", json=trigger, headers=theirs)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"] == [
        {"field": "files[0].integrationId", "message": f"integration {mine} not found"}
    ]
    assert (await client.get("/api/integrations", headers=theirs)).json()["total"] == 0


async def test_a_folder_is_browsed_page_by_page(
    client: httpx.AsyncClient, user: User, s3: MotoS3, keys: tuple[str, str]
) -> None:
    integration = await create_s3(client, user, s3, keys, prefix="invoices/")
    url = f"/api/integrations/{integration['id']}/files"
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = (await client.get(url, params=params, headers=user["headers"])).json()
        assert len(page["data"]) <= 2
        seen += page["data"]
        if page["nextCursor"] is None:
            break
        params["cursor"] = page["nextCursor"]
    assert [(e["fileId"], e["isFolder"]) for e in seen] == [
        ("invoices/2026/", True),
        ("invoices/a.pdf", False),
        ("invoices/b.pdf", False),
    ]
    assert seen[1]["size"] == len(OBJECTS["invoices/a.pdf"]) and seen[1]["modifiedAt"]
    assert seen[1]["mimeType"] == "application/pdf" and seen[1]["name"] == "a.pdf"
    inner = await client.get(url, params={"folderId": "invoices/2026/"}, headers=user["headers"])
    assert [e["name"] for e in inner.json()["data"]] == ["c.pdf"]
    outside = await client.get(url, params={"folderId": "private/"}, headers=user["headers"])
    assert outside.status_code == 400 and outside.json()["code"] == "SOURCE_ACCESS_DENIED"


async def test_a_cursor_not_made_for_the_folder_is_400(
    client: httpx.AsyncClient, user: User, s3: MotoS3, keys: tuple[str, str]
) -> None:
    integration = await create_s3(client, user, s3, keys, prefix="invoices/")
    url = f"/api/integrations/{integration['id']}/files"
    first = (await client.get(url, params={"limit": 1}, headers=user["headers"])).json()
    assert first["nextCursor"]
    for params in (
        {"cursor": "garbage"},
        {"cursor": first["nextCursor"] + "x"},
        {"cursor": first["nextCursor"], "folderId": "invoices/2026/"},
    ):
        answer = await client.get(url, params=params, headers=user["headers"])
        assert answer.status_code == 400 and answer.json()["code"] == "VALIDATION_ERROR"
        assert answer.json()["details"][0]["field"] == "cursor"
    again = await client.get(url, params={"cursor": first["nextCursor"]}, headers=user["headers"])
    assert again.status_code == 200 and again.json()["data"]


async def test_missing_forbidden_and_large_files_fail_alone(
    client: httpx.AsyncClient,
    user: User,
    s3: MotoS3,
    keys: tuple[str, str],
    runtime: Runtime,
) -> None:
    integration = await create_s3(client, user, s3, keys)
    schema_id = await create_schema(client, user["headers"])
    body = {
        "integrationId": integration["id"],
        "fileIds": [
            "invoices/a.pdf",
            {"fileId": "invoices/missing.pdf", "externalRef": "row-2"},
            {"fileId": "private/secret.pdf", "externalRef": "row-3"},
            "big/huge.pdf",
            {"fileId": "invoices/b.pdf", "externalRef": "row-5"},
        ],
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
    }
    answer = await from_sources(client, user, body)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert set(created) == {"jobRunId", "importBatchId", "totalFiles"}
    assert created["totalFiles"] == 5
    run = await wait_run(client, user["headers"], created["jobRunId"])
    assert run["status"] == "COMPLETED" and run["source"] == "INTEGRATION"
    assert (run["completedJobs"], run["failedJobs"]) == (2, 3)
    jobs = await children(client, user["headers"], run["id"])
    assert [j["status"] for j in jobs] == ["COMPLETED", "FAILED", "FAILED", "FAILED", "COMPLETED"]
    assert [j["errorCode"] for j in jobs[1:4]] == [
        "SOURCE_NOT_FOUND",
        "SOURCE_ACCESS_DENIED",
        "FILE_TOO_LARGE",
    ]
    assert [j["externalRef"] for j in jobs] == [None, "row-2", "row-3", None, "row-5"]
    assert jobs[0]["source"] == {
        "kind": "INTEGRATION",
        "integrationId": integration["id"],
        "fileId": "invoices/a.pdf",
    }
    assert jobs[4]["document"]["fileName"] == "b.pdf"
    batch = await client.get(
        f"/api/import-batches/{created['importBatchId']}", headers=user["headers"]
    )
    assert batch.status_code == 200, batch.text
    counts = batch.json()
    assert (counts["jobRunId"], counts["totalFiles"]) == (run["id"], 5)
    assert (counts["fetchedFiles"], counts["failedFiles"], counts["pendingFiles"]) == (2, 3, 0)
    async with runtime.db.session() as session:
        events = list(await session.scalars(select(Event).where(Event.run_id == run["id"])))
    refs = {e.data["job"]["externalRef"] for e in events if e.job_id == jobs[4]["id"]}
    assert refs == {"row-5"} and len([e for e in events if e.job_id == jobs[4]["id"]]) >= 3
    again = await client.get(f"/api/integrations/{integration['id']}", headers=user["headers"])
    assert again.json()["status"] == "ACTIVE"  # one forbidden file is not a broken integration


async def test_a_whole_folder_is_imported(
    client: httpx.AsyncClient, user: User, s3: MotoS3, keys: tuple[str, str]
) -> None:
    integration = await create_s3(client, user, s3, keys)
    schema_id = await create_schema(client, user["headers"])
    base = {"integrationId": integration["id"], "schemaId": schema_id, "jobType": "EXTRACTION"}
    flat = await from_sources(client, user, {**base, "folderId": "invoices/"})
    assert flat.status_code == 201 and flat.json()["totalFiles"] == 2
    deep = await from_sources(client, user, {**base, "folderId": "invoices", "recursive": True})
    assert deep.status_code == 201 and deep.json()["totalFiles"] == 3
    run = await wait_run(client, user["headers"], deep.json()["jobRunId"])
    assert run["completedJobs"] == 3
    jobs = await children(client, user["headers"], run["id"])
    assert [j["source"]["fileId"] for j in jobs] == [
        "invoices/a.pdf",
        "invoices/b.pdf",
        "invoices/2026/c.pdf",
    ]
    empty = await from_sources(client, user, {**base, "folderId": "nothing/"})
    assert empty.status_code == 400 and empty.json()["details"][0]["field"] == "folderId"


async def test_the_trigger_mixes_urls_and_integration_files(
    client: httpx.AsyncClient, user: User, s3: MotoS3, keys: tuple[str, str], files_url: str
) -> None:
    integration = await create_s3(client, user, s3, keys)
    schema_id = await create_schema(client, user["headers"])
    body = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "files": [
            {"url": f"{files_url}/docs/invoice2data-AzureInterior.pdf", "externalRef": "n8n-1"},
            {
                "integrationId": integration["id"],
                "fileId": "invoices/b.pdf",
                "externalRef": "n8n-2",
            },
            {"url": f"{files_url}/missing.pdf", "externalRef": "n8n-3"},
        ],
    }
    headers = {**user["headers"], "Idempotency-Key": "trigger-1"}
    answer = await client.post("/api/integrations/trigger", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["totalFiles"] == 3 and created["importBatchId"]
    replay = await client.post("/api/integrations/trigger", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json() == created
    changed = {**body, "files": body["files"][:1]}
    reused = await client.post("/api/integrations/trigger", json=changed, headers=headers)
    assert reused.status_code == 409 and reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    run = await wait_run(client, user["headers"], created["jobRunId"])
    assert run["source"] == "MIXED" and run["status"] == "COMPLETED"
    jobs = await children(client, user["headers"], run["id"])
    assert [(j["externalRef"], j["status"]) for j in jobs] == [
        ("n8n-1", "COMPLETED"),
        ("n8n-2", "COMPLETED"),
        ("n8n-3", "FAILED"),
    ]
    assert jobs[1]["source"]["kind"] == "INTEGRATION" and jobs[0]["source"]["kind"] == "URL"
    batch = await client.get(
        f"/api/import-batches/{created['importBatchId']}", headers=user["headers"]
    )
    assert (batch.json()["fetchedFiles"], batch.json()["failedFiles"]) == (2, 1)


async def test_bad_items_reject_the_whole_request_with_their_index(
    client: httpx.AsyncClient, user: User, s3: MotoS3, keys: tuple[str, str]
) -> None:
    integration = await create_s3(client, user, s3, keys, prefix="invoices/")
    schema_id = await create_schema(client, user["headers"])
    base = {"integrationId": integration["id"], "schemaId": schema_id, "jobType": "EXTRACTION"}
    answer = await from_sources(
        client, user, {**base, "fileIds": ["invoices/a.pdf", "private/x.pdf"]}
    )
    assert answer.status_code == 400 and answer.json()["code"] == "INVALID_SOURCE"
    assert [d["field"] for d in answer.json()["details"]] == ["fileIds[1]"]
    both = await from_sources(
        client, user, {**base, "fileIds": ["invoices/a.pdf"], "folderId": "x/"}
    )
    assert both.status_code == 400
    many = await from_sources(client, user, {**base, "fileIds": ["invoices/a.pdf"] * 21})
    assert many.status_code == 400 and many.json()["details"][0]["field"] == "fileIds"
    trigger = {
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
        "files": [
            {"url": "https://example.com/a.pdf"},
            {"url": "not a url"},
            {"integrationId": "int_nope", "fileId": "invoices/a.pdf"},
            {"url": "https://example.com/b.pdf", "fileId": "invoices/a.pdf"},
            {"integrationId": integration["id"], "fileId": "other/a.pdf"},
        ],
    }
    answer = await client.post("/api/integrations/trigger", json=trigger, headers=user["headers"])
    assert answer.status_code == 400 and answer.json()["code"] == "INVALID_SOURCE"
    assert [d["field"] for d in answer.json()["details"]] == [
        "files[1].url",
        "files[2].integrationId",
        "files[3]",
        "files[4].fileId",
    ]
    listed = await client.get("/api/job-runs", headers=user["headers"])
    assert listed.json()["total"] == 0


async def test_credentials_that_stop_working_mark_the_integration_error(
    client: httpx.AsyncClient, user: User, s3: MotoS3, keys: tuple[str, str]
) -> None:
    wrong = await create_s3(client, user, s3, (keys[0], "not-the-secret"))
    assert wrong["status"] == "ERROR" and "SignatureDoesNotMatch" in wrong["statusMessage"]
    doomed_keys = s3.user_denied("doomed", BUCKET, "private/", using=keys)
    integration = await create_s3(client, user, s3, doomed_keys)
    assert integration["status"] == "ACTIVE"
    s3.client(*keys, service="iam").delete_access_key(UserName="doomed", AccessKeyId=doomed_keys[0])
    schema_id = await create_schema(client, user["headers"])
    body = {
        "integrationId": integration["id"],
        "fileIds": ["invoices/a.pdf"],
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
    }
    created = (await from_sources(client, user, body)).json()
    run = await wait_run(client, user["headers"], created["jobRunId"])
    assert run["status"] == "FAILED"
    job = (await children(client, user["headers"], run["id"]))[0]
    assert job["errorCode"] == "SOURCE_ACCESS_DENIED" and job["attempts"] == 1
    shown = (
        await client.get(f"/api/integrations/{integration['id']}", headers=user["headers"])
    ).json()
    assert shown["status"] == "ERROR" and "InvalidAccessKeyId" in shown["statusMessage"]
    browse = await client.get(
        f"/api/integrations/{integration['id']}/files", headers=user["headers"]
    )
    assert browse.status_code == 409 and browse.json()["code"] == "INTEGRATION_ERROR"
    deleted = await client.delete(f"/api/integrations/{integration['id']}", headers=user["headers"])
    assert deleted.status_code == 204
    gone = await client.get(f"/api/integrations/{integration['id']}", headers=user["headers"])
    assert gone.status_code == 404


async def test_invalid_configs_are_refused_with_their_field(
    client: httpx.AsyncClient, user: User
) -> None:
    body = {
        "provider": "S3",
        "name": "x",
        "config": {"bucket": "UPPER", "endpointUrl": "ftp://x"},
        "credentials": {"accessKeyId": "a"},
    }
    answer = await client.post("/api/integrations", json=body, headers=user["headers"])
    assert answer.status_code == 400
    assert {d["field"] for d in answer.json()["details"]} == {"config.bucket"}
    body["config"] = {"bucket": "fine-bucket", "endpointUrl": "ftp://x"}
    answer = await client.post("/api/integrations", json=body, headers=user["headers"])
    assert [d["field"] for d in answer.json()["details"]] == ["credentials.secretAccessKey"]
    body["credentials"] = {"accessKeyId": "a", "secretAccessKey": "b"}
    answer = await client.post("/api/integrations", json=body, headers=user["headers"])
    assert [d["field"] for d in answer.json()["details"]] == ["config.endpointUrl"]
    drive = {"provider": "GOOGLE_DRIVE", "name": "d", "credentials": {}}
    answer = await client.post("/api/integrations", json=drive, headers=user["headers"])
    assert [d["field"] for d in answer.json()["details"]] == ["credentials.refreshToken"]
