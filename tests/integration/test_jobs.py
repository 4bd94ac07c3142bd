"""Standalone jobs over the API: upload, process, read, review, restart, cancel, idempotency."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.helpers import INVOICE_SCHEMA, create_schema, pdf, wait_job

User = dict[str, Any]


async def upload_job(
    client: httpx.AsyncClient,
    user: User,
    schema_id: str,
    content: bytes | None = None,
    name: str = "invoice.pdf",
    **extra: str,
) -> httpx.Response:
    return await client.post(
        "/api/jobs",
        headers=user["headers"],
        data={"type": "EXTRACTION", "schemaId": schema_id, **extra},
        files={"file": (name, content if content is not None else pdf())},
    )


async def test_an_uploaded_invoice_is_extracted(client: httpx.AsyncClient, user: User) -> None:
    schema_id = await create_schema(client, user["headers"])
    answer = await upload_job(client, user, schema_id, externalRef="row-7")
    assert answer.status_code == 201, answer.text
    job = answer.json()
    assert job["status"] == "QUEUED" and job["parentRunId"] is None
    assert job["externalRef"] == "row-7" and job["source"] == {"kind": "UPLOAD"}
    assert job["document"]["mimeType"] == "application/pdf"
    assert job["document"]["sha256"] and job["schemaVersion"] == 1
    done = await wait_job(client, user["headers"], job["id"])
    assert done["status"] == "COMPLETED", done
    assert done["attempts"] == 1 and done["startedAt"] and done["completedAt"]
    extraction = (
        await client.get(f"/api/jobs/{job['id']}/extraction", headers=user["headers"])
    ).json()
    assert extraction["fields"]["invoice_number"] == "INV/2023/03/0008"
    assert extraction["fields"]["total"] == 279.84
    assert set(extraction["fields"]) == {f["name"] for f in _schema_fields()}
    assert extraction["engine"]["name"] == "offline" and extraction["reviewed"] is False
    assert extraction["createdAt"] <= extraction["updatedAt"]
    detail = extraction["fieldDetails"]["total"]
    assert detail["grounded"] is True and detail["page"] == 1 and len(detail["bbox"]) == 4


def _schema_fields() -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = INVOICE_SCHEMA["fields"]
    return fields


async def test_review_validates_against_the_pinned_schema_version(
    client: httpx.AsyncClient, user: User
) -> None:
    schema_id = await create_schema(client, user["headers"])
    job = (await upload_job(client, user, schema_id)).json()
    await wait_job(client, user["headers"], job["id"])
    # a new schema version must not change what this job is validated against
    await client.patch(
        f"/api/schema/{schema_id}",
        headers=user["headers"],
        json={"fields": [{"name": "other", "type": "text"}]},
    )
    url = f"/api/jobs/{job['id']}/extraction"
    bad = await client.patch(url, headers=user["headers"], json={"fields": {"total": "lots"}})
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "total"
    good = await client.patch(
        url, headers=user["headers"], json={"fields": {"total": 300.5, "date": "2023-03-21"}}
    )
    assert good.status_code == 200, good.text
    body = good.json()
    assert body["fields"]["total"] == 300.5 and body["fields"]["date"] == "2023-03-21"
    assert body["fields"]["invoice_number"] == "INV/2023/03/0008"
    assert body["reviewed"] is True and body["reviewedAt"]
    assert body["fieldDetails"]["total"]["confidence"] == 1.0


async def test_a_restarted_job_runs_again(client: httpx.AsyncClient, user: User) -> None:
    schema_id = await create_schema(client, user["headers"])
    job = (await upload_job(client, user, schema_id)).json()
    assert (await wait_job(client, user["headers"], job["id"]))["status"] == "COMPLETED"
    refused = await client.post(f"/api/jobs/{job['id']}/restart", headers=user["headers"])
    assert refused.status_code == 409 and refused.json()["code"] == "JOB_STATE_CONFLICT"


async def test_a_job_from_a_stored_document(client: httpx.AsyncClient, user: User) -> None:
    schema_id = await create_schema(client, user["headers"])
    first = (await upload_job(client, user, schema_id)).json()
    answer = await client.post(
        f"/api/jobs/from-document/{first['document']['id']}",
        headers=user["headers"],
        json={"type": "EXTRACTION", "schemaId": schema_id},
    )
    assert answer.status_code == 201, answer.text
    second = answer.json()
    assert second["document"] == first["document"] and second["source"] == {"kind": "DOCUMENT"}
    assert (await wait_job(client, user["headers"], second["id"]))["status"] == "COMPLETED"


async def test_upload_url_then_confirm(client: httpx.AsyncClient, user: User) -> None:
    schema_id = await create_schema(client, user["headers"])
    ticket = (
        await client.post(
            "/api/jobs/upload-url", headers=user["headers"], json={"filename": "inv.pdf"}
        )
    ).json()
    assert ticket["uploadUrl"].startswith("http") and ticket["expiresAt"].endswith("Z")
    put = await client.put(ticket["uploadUrl"], content=pdf())
    assert put.status_code == 204, put.text
    tampered = await client.put(
        ticket["uploadUrl"].replace("signature=", "signature=0"), content=b"x"
    )
    assert tampered.status_code == 403
    answer = await client.post(
        "/api/jobs/confirm-upload",
        headers=user["headers"],
        json={
            "key": ticket["key"],
            "filename": "inv.pdf",
            "type": "EXTRACTION",
            "schemaId": schema_id,
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["document"]["fileName"] == "inv.pdf"
    missing = await client.post(
        "/api/jobs/confirm-upload",
        headers=user["headers"],
        json={
            "key": ticket["key"],
            "filename": "inv.pdf",
            "type": "EXTRACTION",
            "schemaId": schema_id,
        },
    )
    assert missing.status_code == 404 and missing.json()["code"] == "UPLOAD_NOT_FOUND"


async def test_idempotency_key_replays_and_refuses_other_bodies(
    client: httpx.AsyncClient, user: User
) -> None:
    schema_id = await create_schema(client, user["headers"])
    headers = {**user["headers"], "Idempotency-Key": "key-1"}
    first = await client.post(
        "/api/jobs",
        headers=headers,
        data={"type": "EXTRACTION", "schemaId": schema_id},
        files={"file": ("a.pdf", pdf())},
    )
    second = await client.post(
        "/api/jobs",
        headers=headers,
        data={"type": "EXTRACTION", "schemaId": schema_id},
        files={"file": ("a.pdf", pdf())},
    )
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second.headers.get("idempotent-replayed") == "true"
    other = await client.post(
        "/api/jobs",
        headers=headers,
        data={"type": "EXTRACTION", "schemaId": schema_id},
        files={"file": ("b.pdf", pdf("docs/invoice2data-QualityHosting.pdf"))},
    )
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    listed = (
        await client.get("/api/jobs", headers=user["headers"], params={"schemaId": schema_id})
    ).json()
    assert listed["total"] == 1


async def test_bad_uploads_are_refused_clearly(client: httpx.AsyncClient, user: User) -> None:
    schema_id = await create_schema(client, user["headers"])
    empty = await upload_job(client, user, schema_id, content=b"", name="empty.pdf")
    assert empty.status_code == 400 and empty.json()["code"] == "UNSUPPORTED_FILE_TYPE"
    wrong_type = await client.post(
        "/api/jobs",
        headers=user["headers"],
        data={"type": "OCR", "schemaId": schema_id},
        files={"file": ("a.pdf", pdf())},
    )
    assert wrong_type.status_code == 400 and wrong_type.json()["details"][0]["field"] == "type"
    no_schema = await upload_job(client, user, "sch_missing")
    assert no_schema.status_code == 404 and no_schema.json()["code"] == "SCHEMA_NOT_FOUND"
    not_multipart = await client.post("/api/jobs", headers=user["headers"], json={})
    assert not_multipart.status_code == 415
    assert not_multipart.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_list_filters_and_pagination(client: httpx.AsyncClient, user: User) -> None:
    schema_id = await create_schema(client, user["headers"])
    ids = [
        (await upload_job(client, user, schema_id, externalRef=f"r{i}")).json()["id"]
        for i in range(3)
    ]
    page = (
        await client.get(
            "/api/jobs", headers=user["headers"], params={"schemaId": schema_id, "limit": 2}
        )
    ).json()
    assert page["total"] == 3 and page["totalPages"] == 2 and len(page["data"]) == 2
    assert page["data"][0]["id"] == ids[-1]  # newest first
    by_ref = (
        await client.get("/api/jobs", headers=user["headers"], params={"externalRef": "r1"})
    ).json()
    assert [j["id"] for j in by_ref["data"]] == [ids[1]]
    bad = await client.get("/api/jobs", headers=user["headers"], params={"limit": 500})
    assert bad.status_code == 400
