"""Bad or careless input answers a clean 4xx (issue 9, items 3, 4, 9, 12): documented fields take
effect, misspelt ones are refused with a hint, NUL characters and out-of-range integers are 400
everywhere, reviews have a size cap, and HTTP details (405 `Allow`, trailing slashes, `jobType`
defaults, AUTOMATIC webhooks without events) behave."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from quarry.core.config import Settings
from quarry.jobs.models import Job
from quarry.runtime import Runtime
from tests.conftest import make_settings
from tests.integration.helpers import create_schema, pdf, wait_job

User = dict[str, Any]
REVIEW_CAP = 2048


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"), max_review_bytes=REVIEW_CAP)


def details(answer: httpx.Response) -> list[dict[str, str]]:
    body: dict[str, Any] = answer.json()
    assert set(body) >= {"statusCode", "error", "code", "message"}, body
    found: list[dict[str, str]] = body.get("details", [])
    return found


def refused(answer: httpx.Response, field: str, code: str = "VALIDATION_ERROR") -> str:
    """Assert a 400 with `code` naming `field`; returns that detail's message."""
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == code, answer.text
    messages = [d["message"] for d in details(answer) if d["field"] == field]
    assert messages, answer.text
    return messages[0]


async def staged_upload(client: httpx.AsyncClient, user: User) -> str:
    ticket = await client.post(
        "/api/jobs/upload-url", headers=user["headers"], json={"filename": "inv.pdf"}
    )
    assert ticket.status_code == 201, ticket.text
    put = await client.put(ticket.json()["uploadUrl"], content=pdf())
    assert put.status_code == 204, put.text
    key: str = ticket.json()["key"]
    return key


async def test_confirm_upload_honours_every_documented_field(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await create_schema(client, user["headers"])
    body = {
        "key": await staged_upload(client, user),
        "filename": "inv.pdf",
        "schemaId": schema_id,
        "externalRef": "row-7",
        "callbackUrl": "https://hooks.example.com/done",
    }
    answer = await client.post("/api/jobs/confirm-upload", headers=user["headers"], json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["externalRef"] == "row-7"
    found = await client.get("/api/jobs", headers=user["headers"], params={"externalRef": "row-7"})
    assert [job["id"] for job in found.json()["data"]] == [answer.json()["id"]]
    async with runtime.db.session() as session:
        stored = await session.scalar(select(Job.callback_url).where(Job.id == answer.json()["id"]))
    assert stored == "https://hooks.example.com/done"
    private = {**body, "key": await staged_upload(client, user), "callbackUrl": "ftp://x"}
    bad = await client.post("/api/jobs/confirm-upload", headers=user["headers"], json=private)
    assert bad.status_code == 400 and details(bad)[0]["field"] == "callbackUrl"
    unnamed = {"key": await staged_upload(client, user), "schemaId": schema_id}
    named = await client.post("/api/jobs/confirm-upload", headers=user["headers"], json=unnamed)
    assert named.status_code == 201, named.text
    assert named.json()["document"]["fileName"] == "inv.pdf"  # the name given to upload-url


async def test_misspelt_known_fields_are_refused_with_a_hint(
    client: httpx.AsyncClient, user: User
) -> None:
    schema_id = await create_schema(client, user["headers"])
    headers = user["headers"]
    confirm = {"key": "up_" + "a" * 32, "filename": "a.pdf", "schemaId": schema_id}
    typo = await client.post(
        "/api/jobs/confirm-upload", headers=headers, json={**confirm, "externalref": "r1"}
    )
    assert refused(typo, "externalref") == "unknown field; did you mean `externalRef`?"
    snake = {"schema_id": schema_id, "urls": [{"url": "https://example.com/a.pdf"}]}
    answer = await client.post("/api/job-runs/from-urls", headers=headers, json=snake)
    assert "`schemaId`" in refused(answer, "schema_id")
    nested = {"schemaId": schema_id, "urls": [{"url": "https://x.example/a.pdf", "externlRef": 1}]}
    answer = await client.post("/api/job-runs/from-urls", headers=headers, json=nested)
    assert "`externalRef`" in refused(answer, "urls[0].externlRef")
    form = await client.post(
        "/api/jobs",
        headers=headers,
        data={"schemaid": schema_id},
        files={"file": ("a.pdf", pdf())},
    )
    assert "`schemaId`" in refused(form, "schemaid")


async def test_unknown_fields_are_still_tolerated(client: httpx.AsyncClient, user: User) -> None:
    schema_id = await create_schema(client, user["headers"])
    headers = user["headers"]
    body = {
        "schemaId": schema_id,
        "urls": [{"url": "https://example.com/a.pdf", "rowColour": "red"}],
        "priority": 5,
    }
    answer = await client.post("/api/job-runs/from-urls", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    form = await client.post(
        "/api/jobs",
        headers=headers,
        data={"schemaId": schema_id, "uploadedBy": "n8n"},
        files={"file": ("a.pdf", pdf())},
    )
    assert form.status_code == 201, form.text


async def test_nul_characters_are_refused_everywhere(client: httpx.AsyncClient, user: User) -> None:
    login = await client.post(
        "/api/auth/login", json={"email": "a\u0000@example.com", "password": "x"}
    )
    refused(login, "email")
    headers = user["headers"]
    fields = [{"name": "total", "type": "number", "description": "the \u0000 total"}]
    schema = await client.post("/api/schema", headers=headers, json={"name": "s", "fields": fields})
    refused(schema, "fields[0].description")
    review = await client.patch(
        "/api/jobs/job_x/extraction", headers=headers, json={"fields": {"a": ["ok", "b\u0000"]}}
    )
    refused(review, "fields.a[1]")
    refused(await client.get("/api/jobs?externalRef=a%00b", headers=headers), "externalRef")
    refused(await client.get("/api/jobs/job_%00", headers=headers), "path")
    with_header = await client.get("/api/jobs", headers={**headers, "X-Client": "n8n\u0000"})
    refused(with_header, "x-client")
    form = await client.post(
        "/api/jobs",
        headers=headers,
        data={"schemaId": "sch_\u0000"},
        files={"file": ("a.pdf", pdf())},
    )
    refused(form, "schemaId")


async def test_integers_past_their_columns_are_400(client: httpx.AsyncClient, user: User) -> None:
    headers = user["headers"]
    schema_id = await create_schema(client, headers)
    refused(await client.get("/api/jobs?page=2147483648", headers=headers), "page")
    assert (await client.get("/api/jobs?page=2147483647", headers=headers)).status_code == 200
    far = await client.get(f"/api/schema/{schema_id}/versions/99999999999", headers=headers)
    refused(far, "version")
    run = await client.post(
        "/api/job-runs/from-urls",
        headers=headers,
        json={"schemaId": schema_id, "urls": [{"url": "https://example.com/a.pdf"}]},
    )
    events = f"/api/job-runs/{run.json()['jobRunId']}"
    refused(await client.get(f"{events}/events?after=2147483648", headers=headers), "after")
    refused(await client.get(f"{events}/stream?after=2147483648", headers=headers), "after")
    resumed = await client.get(
        f"{events}/stream", headers={**headers, "Last-Event-ID": "99999999999"}
    )
    refused(resumed, "Last-Event-ID")


async def test_malformed_multipart_and_upload_keys_are_400(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = user["headers"]
    boundary = "b" * 300
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="schemaId"\r\n\r\nx\r\n'
    long_boundary = await client.post(
        "/api/jobs",
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=(body + f"--{boundary}--\r\n").encode(),
    )
    assert long_boundary.status_code == 400
    assert long_boundary.json()["code"] == "INVALID_MULTIPART"
    confirm = {"key": "../../etc/passwd", "filename": "a.pdf", "schemaId": "sch_x"}
    bad_key = await client.post("/api/jobs/confirm-upload", headers=headers, json=confirm)
    refused(bad_key, "key")
    put = await client.put("/api/uploads/up_..?u=x&expires=1&signature=x", content=b"x")
    refused(put, "key")
    as_text = await client.post(
        "/api/schema", headers={**headers, "Content-Type": "text/plain"}, content=b"{}"
    )
    assert as_text.status_code == 415 and as_text.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_a_review_over_the_size_cap_is_413(client: httpx.AsyncClient, user: User) -> None:
    headers = user["headers"]
    schema_id = await create_schema(client, headers)
    created = await client.post(
        "/api/jobs",
        headers=headers,
        data={"schemaId": schema_id},
        files={"file": ("a.pdf", pdf())},
    )
    job = await wait_job(client, headers, created.json()["id"])
    assert job["status"] == "COMPLETED", job
    url = f"/api/jobs/{job['id']}/extraction"
    big = await client.patch(url, headers=headers, json={"fields": {"vendor": "x" * REVIEW_CAP}})
    assert big.status_code == 413 and big.json()["code"] == "REVIEW_TOO_LARGE"
    assert (await client.get(url, headers=headers)).json()["reviewed"] is False
    small = await client.patch(url, headers=headers, json={"fields": {"vendor": "ACME"}})
    assert small.status_code == 200 and small.json()["fields"]["vendor"] == "ACME"


async def test_405_names_the_allowed_methods(client: httpx.AsyncClient, user: User) -> None:
    answer = await client.delete("/api/jobs", headers=user["headers"])
    assert answer.status_code == 405 and answer.json()["code"] == "METHOD_NOT_ALLOWED"
    assert {m.strip() for m in answer.headers["allow"].split(",")} >= {"GET", "POST"}
    one = await client.put("/api/jobs/job_x/cancel", headers=user["headers"])
    assert one.status_code == 405 and "POST" in one.headers["allow"]


async def test_a_trailing_slash_reaches_the_route(client: httpx.AsyncClient, user: User) -> None:
    headers = user["headers"]
    plain = await client.get("/api/jobs", headers=headers)
    slashed = await client.get("/api/jobs/", headers=headers)
    assert slashed.status_code == 200 and slashed.json() == plain.json()
    body = {"name": "s", "fields": [{"name": "total", "type": "number"}]}
    assert (await client.post("/api/schema/", headers=headers, json=body)).status_code == 201
    missing = await client.get("/api/nothing/", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


async def test_job_type_is_optional_and_checked_on_every_route(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = user["headers"]
    schema_id = await create_schema(client, headers)
    files = {"file": ("a.pdf", pdf())}
    job = await client.post("/api/jobs", headers=headers, data={"schemaId": schema_id}, files=files)
    assert job.status_code == 201 and job.json()["type"] == "EXTRACTION"
    run = await client.post(
        "/api/job-runs",
        headers=headers,
        data={"schemaId": schema_id},
        files={"files": files["file"]},
    )
    assert run.status_code == 201 and run.json()["jobType"] == "EXTRACTION"
    urls = {"schemaId": schema_id, "urls": [{"url": "https://example.com/a.pdf"}]}
    assert (await client.post("/api/job-runs/from-urls", headers=headers, json=urls)).is_success
    wrong_form = await client.post(
        "/api/job-runs",
        headers=headers,
        data={"schemaId": schema_id, "jobType": "OCR"},
        files={"files": files["file"]},
    )
    refused(wrong_form, "jobType")
    wrong_json = await client.post(
        "/api/job-runs/from-urls", headers=headers, json={**urls, "jobType": "OCR"}
    )
    refused(wrong_json, "jobType")


async def test_an_automatic_webhook_needs_events(client: httpx.AsyncClient, user: User) -> None:
    headers = user["headers"]
    url = "https://hooks.example.com/in"
    refused(await client.post("/api/webhooks", headers=headers, json={"url": url}), "events")
    manual = await client.post(
        "/api/webhooks", headers=headers, json={"url": url, "deliveryMode": "MANUAL"}
    )
    assert manual.status_code == 201, manual.text
    switched = await client.patch(
        f"/api/webhooks/{manual.json()['id']}", headers=headers, json={"deliveryMode": "AUTOMATIC"}
    )
    refused(switched, "events")
    auto = await client.post(
        "/api/webhooks", headers=headers, json={"url": url, "events": ["job.completed"]}
    )
    emptied = await client.patch(
        f"/api/webhooks/{auto.json()['id']}", headers=headers, json={"events": []}
    )
    refused(emptied, "events")
    kept = await client.get(f"/api/webhooks/{auto.json()['id']}", headers=headers)
    assert kept.json()["events"] == ["job.completed"]
