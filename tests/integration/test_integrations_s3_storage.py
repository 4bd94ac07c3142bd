"""The service's own blobs in S3 (`STORAGE_URL=s3://…`, moto): uploads land in the bucket,
`upload-url` answers a presigned S3 PUT URL, and `confirm-upload` checks the object exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from quarry.core.config import Settings
from tests.conftest import make_settings
from tests.fakes.s3_server import MotoS3, moto_s3
from tests.integration.helpers import create_schema, pdf, wait_job

User = dict[str, Any]
BUCKET = "quarry-blobs"


@pytest.fixture(scope="module")
def s3() -> Iterator[MotoS3]:
    with moto_s3() as server:
        server.bucket(BUCKET)
        yield server


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory, s3: MotoS3) -> Settings:
    storage = f"s3://testing:testing@{BUCKET}/prod?endpoint={s3.endpoint_url}"
    return make_settings(database_url, tmp_path_factory.mktemp("data"), storage_url=storage)


def stored_keys(s3: MotoS3) -> list[str]:
    listed = s3.client().list_objects_v2(Bucket=BUCKET, Prefix="prod/")
    return [item["Key"] for item in listed.get("Contents", [])]


async def test_uploads_are_kept_in_the_bucket(
    client: httpx.AsyncClient, user: User, s3: MotoS3
) -> None:
    schema_id = await create_schema(client, user["headers"])
    answer = await client.post(
        "/api/jobs",
        headers=user["headers"],
        files={"file": ("a.pdf", pdf())},
        data={"type": "EXTRACTION", "schemaId": schema_id},
    )
    assert answer.status_code == 201, answer.text
    job = await wait_job(client, user["headers"], answer.json()["id"])
    assert job["status"] == "COMPLETED", job
    digest = job["document"]["sha256"]
    assert f"prod/sha256/{digest[:2]}/{digest}" in stored_keys(s3)
    ready = await client.get("/api/ready")
    assert ready.json()["checks"]["storage"] == "ok"


async def test_a_presigned_upload_is_confirmed_once(
    client: httpx.AsyncClient, user: User, s3: MotoS3
) -> None:
    schema_id = await create_schema(client, user["headers"])
    ticket = await client.post(
        "/api/jobs/upload-url",
        headers=user["headers"],
        json={"filename": "b.pdf", "contentType": "application/pdf"},
    )
    assert ticket.status_code == 201, ticket.text
    upload = ticket.json()
    assert upload["uploadUrl"].startswith(f"{s3.endpoint_url}/{BUCKET}/prod/staging/")
    confirm = {"key": upload["key"], "filename": "b.pdf", "type": "EXTRACTION"}
    early = await client.post(
        "/api/jobs/confirm-upload", headers=user["headers"], json={**confirm, "schemaId": schema_id}
    )
    assert early.status_code == 404 and early.json()["code"] == "UPLOAD_NOT_FOUND"
    async with httpx.AsyncClient() as direct:  # straight to S3, not through the API
        put = await direct.put(
            upload["uploadUrl"],
            content=pdf("docs/invoice2data-QualityHosting.pdf"),
            headers={"Content-Type": "application/pdf"},
        )
    assert put.status_code == 200, put.text
    answer = await client.post(
        "/api/jobs/confirm-upload", headers=user["headers"], json={**confirm, "schemaId": schema_id}
    )
    assert answer.status_code == 201, answer.text
    job = await wait_job(client, user["headers"], answer.json()["id"])
    assert job["status"] == "COMPLETED" and job["document"]["fileName"] == "b.pdf"
    assert not [k for k in stored_keys(s3) if "/staging/" in k]
    again = await client.post(
        "/api/jobs/confirm-upload", headers=user["headers"], json={**confirm, "schemaId": schema_id}
    )
    assert again.status_code == 404
