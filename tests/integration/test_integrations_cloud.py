"""Google Drive and Dropbox integrations against local servers implementing their documented
REST endpoints (tests/fakes): browsing with paging, imports, error codes, retries on 429,
token refresh on expiry and on 401, refused refresh tokens, and the OAuth connect flow."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from quarry.core.config import Settings
from tests.conftest import make_settings
from tests.fakes.dropbox_server import DropboxEntry, FakeDropbox
from tests.fakes.gdrive_server import DOC, FOLDER, SHEET, XLSX, DriveFile, FakeDrive
from tests.fakes.http_fake import serve
from tests.integration.helpers import children, create_schema, pdf, wait_run

User = dict[str, Any]
PDF_A = pdf()
PDF_B = pdf("docs/invoice2data-QualityHosting.pdf")


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def drive() -> FakeDrive:
    fake = FakeDrive()
    fake.add(DriveFile("fInvoices", "Invoices", FOLDER))
    fake.add(DriveFile("fA", "a.pdf", "application/pdf", parent="fInvoices", content=PDF_A))
    fake.add(DriveFile("fB", "b.pdf", "application/pdf", parent="fInvoices", content=PDF_B))
    fake.add(DriveFile("fSub", "2026", FOLDER, parent="fInvoices"))
    fake.add(DriveFile("fC", "c.pdf", "application/pdf", parent="fSub", content=PDF_A))
    fake.add(DriveFile("fDoc", "Quote", DOC, exports={"application/pdf": PDF_B}))
    fake.add(DriveFile("fSheet", "Budget", SHEET, exports={XLSX: xlsx()}))
    fake.add(DriveFile("fSecret", "secret.pdf", "application/pdf", content=PDF_A, forbidden=True))
    fake.add(
        DriveFile("fShared", "team.pdf", "application/pdf", "d1", content=PDF_A, drive_id="d1")
    )
    fake.add(
        DriveFile("fTeam", "t.pdf", "application/pdf", parent="d1", content=PDF_A, drive_id="d1")
    )
    return fake


@pytest.fixture(scope="module")
def dropbox() -> FakeDropbox:
    fake = FakeDropbox()
    fake.add(DropboxEntry("id:inv", "/Invoices"))
    fake.add(DropboxEntry("id:a", "/Invoices/a.pdf", PDF_A))
    fake.add(DropboxEntry("id:b", "/Invoices/b.pdf", PDF_B))
    fake.add(DropboxEntry("id:sub", "/Invoices/2026"))
    fake.add(DropboxEntry("id:c", "/Invoices/2026/c.pdf", PDF_A))
    fake.add(DropboxEntry("id:locked", "/Locked.pdf", PDF_A, restricted=True))
    return fake


@pytest.fixture(scope="module")
def urls(drive: FakeDrive, dropbox: FakeDropbox) -> Iterator[tuple[str, str]]:
    with serve(drive) as drive_url, serve(dropbox) as dropbox_url:
        yield drive_url, dropbox_url


@pytest.fixture(scope="module")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, urls: tuple[str, str]
) -> Settings:
    drive_url, dropbox_url = urls
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        connector_retry_base_seconds=0,
        google_drive_api_url=drive_url,
        google_oauth_token_url=f"{drive_url}/token",
        google_oauth_auth_url=f"{drive_url}/o/oauth2/v2/auth",
        google_client_id="drive-client",
        google_client_secret="drive-secret",
        dropbox_api_url=dropbox_url,
        dropbox_content_url=dropbox_url,
        dropbox_oauth_auth_url=f"{dropbox_url}/oauth2/authorize",
        dropbox_client_id="dropbox-app",
        dropbox_client_secret="dropbox-secret",
    )


async def connect(
    client: httpx.AsyncClient,
    user: User,
    provider: str,
    config: dict[str, Any] | None = None,
    **credentials: Any,
) -> dict[str, Any]:
    body = {
        "provider": provider,
        "name": provider.title(),
        "config": config or {},
        "credentials": credentials,
    }
    answer = await client.post("/api/integrations", json=body, headers=user["headers"])
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def browse_all(
    client: httpx.AsyncClient, user: User, integration_id: str, **params: Any
) -> list[tuple[str, bool]]:
    seen: list[tuple[str, bool]] = []
    while True:
        answer = await client.get(
            f"/api/integrations/{integration_id}/files", params=params, headers=user["headers"]
        )
        assert answer.status_code == 200, answer.text
        seen += [(e["fileId"], e["isFolder"]) for e in answer.json()["data"]]
        if answer.json()["nextCursor"] is None:
            return seen
        params["cursor"] = answer.json()["nextCursor"]


async def import_run(
    client: httpx.AsyncClient, user: User, integration_id: str, file_ids: list[Any]
) -> list[dict[str, Any]]:
    schema_id = await create_schema(client, user["headers"])
    body = {
        "integrationId": integration_id,
        "fileIds": file_ids,
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
    }
    answer = await client.post("/api/job-runs/from-sources", json=body, headers=user["headers"])
    assert answer.status_code == 201, answer.text
    run = await wait_run(client, user["headers"], answer.json()["jobRunId"])
    assert run["status"] != "PROCESSING", run
    return await children(client, user["headers"], run["id"])


async def test_drive_browses_with_paging_and_refreshes_a_missing_access_token(
    client: httpx.AsyncClient, user: User, drive: FakeDrive
) -> None:
    before = drive.oauth.refreshes
    integration = await connect(
        client, user, "GOOGLE_DRIVE", refreshToken=drive.oauth.new_refresh_token()
    )
    assert integration["status"] == "ACTIVE" and drive.oauth.refreshes == before + 1
    seen = await browse_all(client, user, integration["id"], folderId="fInvoices", limit=2)
    assert seen == [("fSub", True), ("fA", False), ("fB", False)]
    assert drive.oauth.refreshes == before + 1  # the refreshed token was kept
    shared = await connect(
        client,
        user,
        "GOOGLE_DRIVE",
        {"driveId": "d1"},
        refreshToken=drive.oauth.new_refresh_token(),
    )
    assert await browse_all(client, user, shared["id"]) == [("fTeam", False), ("fShared", False)]


async def test_drive_imports_files_and_native_documents_and_fails_bad_ones_alone(
    client: httpx.AsyncClient, user: User, drive: FakeDrive
) -> None:
    integration = await connect(
        client,
        user,
        "GOOGLE_DRIVE",
        accessToken=drive.oauth.new_access_token(),
        refreshToken=drive.oauth.new_refresh_token(),
        expiresAt="2099-01-01T00:00:00Z",
    )
    drive.throttle["fB"] = 2
    drive.throttle_403["fA"] = 1
    jobs = await import_run(
        client,
        user,
        integration["id"],
        ["fA", "fB", "fDoc", "fSheet", "fMissing", "fSecret", "fInvoices", "fShared"],
    )
    assert [j["status"] for j in jobs[:3]] == ["COMPLETED"] * 3
    assert [j["attempts"] for j in jobs[:2]] == [1, 1]  # retried inside one attempt
    assert jobs[2]["document"]["fileName"] == "Quote.pdf"
    assert jobs[3]["document"]["fileName"] == "Budget.xlsx"
    assert jobs[3]["document"]["mimeType"] == XLSX
    assert [j["errorCode"] for j in jobs[4:7]] == [
        "SOURCE_NOT_FOUND",
        "SOURCE_ACCESS_DENIED",
        "UNSUPPORTED_FILE_TYPE",
    ]
    assert jobs[7]["status"] == "COMPLETED"  # a file on a shared drive


async def test_drive_tokens_are_refreshed_when_they_expire_and_a_revoked_grant_is_an_error(
    client: httpx.AsyncClient, user: User, drive: FakeDrive
) -> None:
    refresh = drive.oauth.new_refresh_token()
    integration = await connect(
        client,
        user,
        "GOOGLE_DRIVE",
        accessToken="access-long-gone",
        refreshToken=refresh,
        expiresAt="2020-01-01T00:00:00",
    )
    assert integration["status"] == "ACTIVE"
    drive.oauth.expire_access_tokens()  # the provider expires it early: 401, then refresh
    before = drive.oauth.refreshes
    jobs = await import_run(client, user, integration["id"], ["fA"])
    assert jobs[0]["status"] == "COMPLETED" and drive.oauth.refreshes == before + 1
    drive.oauth.refresh_tokens.discard(refresh)
    drive.oauth.expire_access_tokens()
    jobs = await import_run(client, user, integration["id"], ["fB"])
    assert jobs[0]["errorCode"] == "SOURCE_ACCESS_DENIED" and jobs[0]["attempts"] == 1
    shown = await client.get(f"/api/integrations/{integration['id']}", headers=user["headers"])
    assert shown.json()["status"] == "ERROR" and "invalid_grant" in shown.json()["statusMessage"]
    assert refresh not in shown.text


async def test_drive_connects_through_oauth(
    client: httpx.AsyncClient, user: User, other_user: User, drive: FakeDrive
) -> None:
    start = await client.get(
        "/api/integrations/oauth/google-drive/start",
        params={"name": "My Drive"},
        headers=user["headers"],
    )
    assert start.status_code == 200, start.text
    consent = start.json()
    url = urlsplit(consent["authorizationUrl"])
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/o/oauth2/v2/auth" and params["client_id"] == "drive-client"
    assert params["access_type"] == "offline" and params["state"] == consent["state"]
    redirect = consent["redirectUri"]
    assert redirect == "http://quarry.test/api/integrations/oauth/google-drive/callback"
    assert params["redirect_uri"] == redirect
    callback = "/api/integrations/oauth/google-drive/callback"
    tampered = await client.get(
        callback, params={"code": "x", "state": consent["state"][:-2] + "00"}
    )
    assert tampered.status_code == 400 and tampered.json()["code"] == "INVALID_OAUTH_STATE"
    denied = await client.get(
        callback, params={"error": "access_denied", "state": consent["state"]}
    )
    assert denied.status_code == 400 and denied.json()["code"] == "OAUTH_DENIED"
    code = drive.oauth.new_code(redirect)
    answer = await client.get(callback, params={"code": code, "state": consent["state"]})
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert (created["name"], created["provider"], created["status"]) == (
        "My Drive",
        "GOOGLE_DRIVE",
        "ACTIVE",
    )
    # the browser binding is spent by its first use; the app may still try, the provider refuses
    again = await client.get(callback, params={"code": code, "state": consent["state"]})
    assert again.status_code == 403 and again.json()["code"] == "OAUTH_NOT_BOUND"
    again = await client.post(
        "/api/integrations/oauth/google-drive/complete",
        json={"code": code, "state": consent["state"]},
        headers=user["headers"],
    )
    assert again.status_code == 400 and again.json()["code"] == "OAUTH_EXCHANGE_FAILED"
    listed = await client.get("/api/integrations", headers=user["headers"])
    assert created["id"] in [i["id"] for i in listed.json()["data"]]
    assert await browse_all(client, user, created["id"]) == [
        ("fInvoices", True),
        ("fSheet", False),
        ("fDoc", False),
        ("fSecret", False),
    ]
    foreign = await client.get(
        "/api/integrations/oauth/google-drive/start",
        params={"integrationId": created["id"]},
        headers=other_user["headers"],
    )
    assert foreign.status_code == 404
    reconnect = await client.get(
        "/api/integrations/oauth/google-drive/start",
        params={"integrationId": created["id"]},
        headers=user["headers"],
    )
    state = reconnect.json()["state"]
    again = await client.get(
        callback, params={"code": drive.oauth.new_code(redirect), "state": state}
    )
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    s3 = await client.get("/api/integrations/oauth/s3/start", headers=user["headers"])
    assert s3.status_code == 400 and s3.json()["code"] == "OAUTH_NOT_SUPPORTED"


async def test_dropbox_browses_imports_and_retries(
    client: httpx.AsyncClient, user: User, dropbox: FakeDropbox
) -> None:
    integration = await connect(
        client,
        user,
        "DROPBOX",
        accessToken=dropbox.oauth.new_access_token(),
        refreshToken=dropbox.oauth.new_refresh_token(),
        expiresAt="2099-01-01T00:00:00Z",
    )
    assert integration["status"] == "ACTIVE"
    seen = await browse_all(client, user, integration["id"], folderId="/Invoices", limit=1)
    assert seen == [("id:sub", True), ("id:a", False), ("id:b", False)]
    dropbox.throttle["id:b"] = 2
    jobs = await import_run(
        client,
        user,
        integration["id"],
        ["id:a", {"fileId": "/Invoices/b.pdf", "externalRef": "row-2"}, "id:gone", "id:locked"],
    )
    assert [j["status"] for j in jobs[:2]] == ["COMPLETED", "COMPLETED"]
    assert jobs[1]["externalRef"] == "row-2" and jobs[1]["document"]["fileName"] == "b.pdf"
    assert [j["errorCode"] for j in jobs[2:]] == ["SOURCE_NOT_FOUND", "SOURCE_ACCESS_DENIED"]
    schema_id = await create_schema(client, user["headers"])
    body = {
        "integrationId": integration["id"],
        "folderId": "/Invoices",
        "recursive": True,
        "schemaId": schema_id,
        "jobType": "EXTRACTION",
    }
    folder = await client.post("/api/job-runs/from-sources", json=body, headers=user["headers"])
    assert folder.status_code == 201 and folder.json()["totalFiles"] == 3
    run = await wait_run(client, user["headers"], folder.json()["jobRunId"])
    assert run["completedJobs"] == 3


async def test_dropbox_tokens_are_refreshed_and_oauth_connects(
    client: httpx.AsyncClient, user: User, dropbox: FakeDropbox
) -> None:
    integration = await connect(
        client, user, "DROPBOX", refreshToken=dropbox.oauth.new_refresh_token()
    )
    dropbox.oauth.expire_access_tokens()
    before = dropbox.oauth.refreshes
    jobs = await import_run(client, user, integration["id"], ["id:c"])
    assert jobs[0]["status"] == "COMPLETED" and dropbox.oauth.refreshes == before + 1
    start = (
        await client.get("/api/integrations/oauth/dropbox/start", headers=user["headers"])
    ).json()
    params = {k: v[0] for k, v in parse_qs(urlsplit(start["authorizationUrl"]).query).items()}
    assert params["token_access_type"] == "offline" and params["client_id"] == "dropbox-app"
    code = dropbox.oauth.new_code(start["redirectUri"])
    answer = await client.get(
        "/api/integrations/oauth/dropbox/callback",
        params={"code": code, "state": start["state"]},
    )
    assert answer.status_code == 201 and answer.json()["name"] == "Dropbox"
    assert await browse_all(client, user, answer.json()["id"]) == [
        ("id:inv", True),
        ("id:locked", False),
    ]
