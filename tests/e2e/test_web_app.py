"""The web app in a real browser (Debian's headless Chromium driven by Playwright) against a real
`quarry serve`: sign in, write a schema, run two PDFs and watch them finish live, review a
document's boxes and correct a value, API keys and webhooks screens, the offline API docs.

Every request any page makes is recorded: one to another origin fails the module. A screenshot
of every screen goes to `tests/artifacts/web/` (git-ignored) for people to look at.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Api, new_user
from tests.e2e.server import file_server
from tests.fakes.http_fake import Answer, Request, serve
from tests.fakes.s3_server import moto_s3
from tests.fakes.webhook_receiver import webhook_receiver

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
PDFS = [DOCS / "invoice2data-AzureInterior.pdf", DOCS / "invoice2data-QualityHosting.pdf"]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "correct horse battery"

if not CHROMIUM.exists():
    pytest.skip(
        "the browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")


@dataclass
class Browser:
    base_url: str
    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def go(self, route: str) -> None:
        self.page.goto(f"{self.base_url}/#/{route}")

    def shot(self, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def testid(self, name: str) -> Any:
        return self.page.get_by_test_id(name)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        context.set_default_timeout(20_000)
        page = context.new_page()
        seen = Browser(server, page)
        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("pageerror", lambda error: seen.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                seen.errors.append(message.text)
                if message.type == "error"
                and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        try:
            yield seen
        finally:
            context.close()
            chromium.close()
    foreign = [
        url
        for url in seen.requests
        if not (url.startswith(server + "/") or url.startswith(("data:", "blob:")))
    ]
    assert not foreign, f"pages requested other origins: {foreign}"


@pytest.fixture(scope="module")
def user(browser: Browser) -> dict[str, str]:
    return {"name": "Rita Reviewer", "email": f"rita-{time.time_ns()}@example.com"}


def token_of(browser: Browser) -> str:
    stored = browser.page.evaluate("localStorage.getItem('quarry.session')")
    assert stored, "no session stored after signing in"
    return str(
        browser.page.evaluate("JSON.parse(localStorage.getItem('quarry.session')).accessToken")
    )


def api_json(browser: Browser, path: str) -> Any:
    with Api(browser.base_url, token_of(browser)) as api:
        answer = api.http.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()


def test_register_sign_out_and_sign_in(browser: Browser, user: dict[str, str]) -> None:
    page = browser.page
    page.goto(browser.base_url + "/")
    page.wait_for_url(re.compile(r"#/login$"))
    browser.shot("01-sign-in")
    browser.testid("go-register").click()
    browser.testid("register-name").fill(user["name"])
    browser.testid("login-email").fill(user["email"])
    browser.testid("login-password").fill(PASSWORD)
    browser.shot("02-register")
    browser.testid("login-submit").click()
    page.wait_for_url(re.compile(r"#/runs$"))
    sync_api.expect(page.get_by_text("No runs yet")).to_be_visible()
    browser.shot("03-runs-empty")

    browser.testid("sign-out").click()
    page.wait_for_url(re.compile(r"#/login$"))
    browser.testid("login-email").fill(user["email"])
    browser.testid("login-password").fill("wrong password")
    browser.testid("login-submit").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("email or password is wrong")
    browser.testid("login-password").fill(PASSWORD)
    browser.testid("login-submit").click()
    page.wait_for_url(re.compile(r"#/runs$"))
    me = httpx.get(
        browser.base_url + "/api/auth/me",
        headers={"Authorization": f"Bearer {token_of(browser)}"},
    ).json()
    assert me["email"] == user["email"]


def add_field(browser: Browser, index: int, name: str, type_: str, description: str) -> None:
    if index > 0:
        browser.testid("field-add").click()
    card = browser.testid("field-card").nth(index)
    card.get_by_test_id("field-name").fill(name)
    card.get_by_test_id("field-type").select_option(type_)
    card.get_by_test_id("field-description").fill(description)


def test_create_a_schema_in_the_editor(browser: Browser) -> None:
    page = browser.page
    browser.testid("nav-schemas").click()
    sync_api.expect(page.get_by_text("No schemas yet")).to_be_visible()
    browser.testid("schema-new").click()
    browser.testid("schema-name").fill("Supplier invoices")
    add_field(browser, 0, "vendor", "text", "Name of the seller")
    add_field(browser, 1, "invoice_number", "text", "Invoice number as printed")
    add_field(browser, 2, "date", "date", "Invoice date")
    add_field(browser, 3, "total", "number", "Grand total to pay, including tax")
    browser.testid("field-card").nth(3).get_by_test_id("field-required").check()
    add_field(browser, 4, "purchase_order", "text", "Purchase order number")
    browser.testid("field-add").click()
    browser.testid("field-card").nth(5).get_by_test_id("field-name").fill("total")
    browser.testid("schema-save").click()
    alert = page.locator(".notice.error")
    sync_api.expect(alert).to_contain_text("fields[5].name")  # the API's detail, shown
    sync_api.expect(browser.testid("field-card").nth(5)).to_have_class(re.compile("has-error"))
    browser.shot("04-schema-editor-error")
    browser.testid("field-card").nth(5).get_by_role("button", name=re.compile("^Remove")).click()
    sync_api.expect(alert).to_have_count(0)
    page.evaluate("window.scrollTo(0, 0)")
    browser.shot("04-schema-editor")
    browser.testid("schema-save").click()
    page.wait_for_url(re.compile(r"#/schemas/sch_"))

    schemas = api_json(browser, "/api/schema")["data"]
    assert [s["name"] for s in schemas] == ["Supplier invoices"]
    fields = {f["name"]: f for f in schemas[0]["fields"]}
    assert list(fields) == ["vendor", "invoice_number", "date", "total", "purchase_order"]
    assert fields["total"]["type"] == "number" and fields["total"]["required"] is True
    assert fields["date"]["type"] == "date"

    browser.testid("nav-schemas").click()
    sync_api.expect(browser.testid("schema-row")).to_have_count(1)
    browser.shot("05-schemas")


def test_run_two_pdfs_and_watch_it_complete_live(browser: Browser) -> None:
    page = browser.page
    browser.testid("nav-runs").click()
    browser.testid("run-new").click()
    schema_id = api_json(browser, "/api/schema")["data"][0]["id"]
    browser.testid("run-schema").select_option(schema_id)
    browser.testid("run-files").set_input_files([str(p) for p in PDFS])
    sync_api.expect(page.get_by_text("2 files")).to_be_visible()
    browser.shot("06-new-run")
    browser.testid("run-submit").click()
    page.wait_for_url(re.compile(r"#/runs/run_"))
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    sync_api.expect(browser.testid("job-row")).to_have_count(2)
    sync_api.expect(browser.testid("run-status")).to_contain_text("COMPLETED", timeout=120_000)
    sync_api.expect(browser.testid("count-completed")).to_have_text("2")
    assert page.evaluate("window.__sameDocument") is True, "the run page reloaded"
    table = browser.testid("results-table")
    headings = table.locator("thead th").all_inner_texts()
    assert [h.lower() for h in headings[-5:]] == [
        "vendor",
        "invoice_number",
        "date",
        "total",
        "purchase_order",
    ]
    sync_api.expect(browser.testid("job-row").first).to_contain_text("COMPLETED")
    browser.shot("07-run-completed")

    with page.expect_download() as download:
        browser.testid("export-csv").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("jobId,externalRef,fileName,status")
    assert len(lines) == 3 and all(",COMPLETED," in line for line in lines[1:])

    page.set_viewport_size({"width": 420, "height": 800})
    browser.shot("08-run-narrow", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_review_boxes_and_save_a_correction(browser: Browser) -> None:
    page = browser.page
    browser.testid("job-row").first.click()
    page.wait_for_url(re.compile(r"#/jobs/job_"))
    job_id = page.url.split("#/jobs/")[1].split("?")[0]
    first_page = browser.testid("doc-page").first
    sync_api.expect(first_page.locator("img")).to_be_visible()
    assert first_page.locator("img").evaluate("img => img.naturalWidth") > 500
    sync_api.expect(browser.testid("bbox").first).to_be_attached()
    assert browser.testid("bbox").count() >= 2
    assert browser.testid("field-row").count() == 5
    missing = page.locator('[data-testid="field-row"][data-path="purchase_order"]')
    sync_api.expect(missing.get_by_test_id("null-reason")).to_have_text("not in the document")
    sync_api.expect(missing.get_by_text("low confidence")).to_have_count(0)

    # every box sits inside its page
    frame = first_page.bounding_box()
    for box in browser.testid("bbox").all():
        b = box.bounding_box()
        assert b is not None and frame is not None
        assert frame["x"] - 1 <= b["x"] and b["x"] + b["width"] <= frame["x"] + frame["width"] + 1
        assert frame["y"] - 1 <= b["y"] and b["y"] + b["height"] <= frame["y"] + frame["height"] + 1

    row = page.locator('[data-testid="field-row"][data-path="total"]')
    row.click()
    sync_api.expect(row).to_have_class(re.compile("selected"))
    sync_api.expect(page.locator('[data-testid="bbox"][data-path="total"]')).to_have_class(
        re.compile("selected")
    )
    page.wait_for_timeout(800)  # the smooth scroll to the selected box
    viewer = browser.testid("doc-pages").bounding_box()
    chosen = page.locator('[data-testid="bbox"][data-path="total"]').bounding_box()
    assert viewer is not None and chosen is not None
    assert viewer["y"] <= chosen["y"] <= viewer["y"] + viewer["height"], "box scrolled into view"
    browser.shot("09-review")

    value = page.locator('[data-testid="field-row"][data-path="invoice_number"]').get_by_test_id(
        "field-value"
    )
    value.fill("CORRECTED-42")
    browser.testid("save-corrections").click()
    sync_api.expect(page.get_by_text("Saved 1 field")).to_be_visible()
    extraction = api_json(browser, f"/api/jobs/{job_id}/extraction")
    assert extraction["fields"]["invoice_number"] == "CORRECTED-42"
    assert extraction["reviewed"] is True
    assert extraction["fieldDetails"]["invoice_number"]["reviewed"] is True
    sync_api.expect(
        page.locator('[data-path="invoice_number"]').get_by_text("reviewed")
    ).to_be_visible()

    page.set_viewport_size({"width": 420, "height": 800})
    browser.shot("10-review-narrow")
    page.set_viewport_size({"width": 1280, "height": 800})
    browser.testid("save-corrections").focus()
    page.keyboard.press("n")  # the next document, from the keyboard
    page.wait_for_function(f"!location.hash.includes('{job_id}')")
    sync_api.expect(browser.testid("doc-page").first.locator("img")).to_be_visible()
    browser.testid("review-prev").click()
    sync_api.expect(
        page.locator('[data-path="invoice_number"]').get_by_test_id("field-value")
    ).to_have_value("CORRECTED-42")


def test_a_run_from_pasted_urls_keeps_each_reference(browser: Browser) -> None:
    page = browser.page
    with file_server(DOCS) as files_url:
        browser.testid("nav-runs").click()
        browser.testid("run-new").click()
        browser.testid("run-tab-urls").click()
        browser.testid("run-urls").fill(
            f"{files_url}/{PDFS[0].name}, PO-1001\n{files_url}/{PDFS[1].name}\tPO-1002"
        )
        browser.shot("06-new-run-urls")
        browser.testid("run-submit").click()
        page.wait_for_url(re.compile(r"#/runs/run_"))
        sync_api.expect(browser.testid("run-status")).to_contain_text("COMPLETED", timeout=120_000)
    rows = browser.testid("job-row")
    sync_api.expect(rows.nth(0)).to_contain_text("PO-1001")
    sync_api.expect(rows.nth(1)).to_contain_text("PO-1002")
    browser.testid("job-status-filter").select_option("FAILED")
    sync_api.expect(rows.locator("visible=true")).to_have_count(0)
    browser.testid("job-status-filter").select_option("COMPLETED")
    sync_api.expect(rows.locator("visible=true")).to_have_count(2)


class SlowPdf:
    """A URL server that takes its time, so a run is still going when it is cancelled."""

    def handle(self, request: Request) -> Answer:
        time.sleep(2)
        return Answer(200, PDFS[0].read_bytes(), {"Content-Type": "application/pdf"})


def test_cancel_a_run_from_its_page(browser: Browser) -> None:
    page = browser.page
    with serve(SlowPdf()) as slow_url:
        browser.testid("nav-runs").click()
        browser.testid("run-new").click()
        browser.testid("run-tab-urls").click()
        browser.testid("run-urls").fill("\n".join(f"{slow_url}/{n}.pdf" for n in range(8)))
        browser.testid("run-submit").click()
        page.wait_for_url(re.compile(r"#/runs/run_"))
        sync_api.expect(browser.testid("run-status")).to_contain_text("PROCESSING")
        page.once("dialog", lambda dialog: dialog.accept())
        browser.testid("run-cancel").click()
        sync_api.expect(browser.testid("run-status")).to_contain_text("CANCELLED")
        sync_api.expect(browser.testid("run-cancel")).to_be_hidden()
    assert int(browser.testid("count-cancelled").inner_text()) > 0


def test_api_keys_screen(browser: Browser) -> None:
    page = browser.page
    browser.testid("nav-keys").click()
    sync_api.expect(page.get_by_text("No API keys")).to_be_visible()
    browser.testid("key-name").fill("n8n production")
    browser.testid("key-create").click()
    secret = browser.testid("secret-value")
    sync_api.expect(secret).to_have_value(re.compile(r"^ef_live_"))
    key = secret.input_value()
    sync_api.expect(browser.testid("key-row")).to_have_count(1)
    browser.shot("11-api-keys")
    me = httpx.get(browser.base_url + "/api/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200

    page.once("dialog", lambda dialog: dialog.accept())
    browser.testid("key-revoke").click()
    sync_api.expect(page.get_by_text("No API keys")).to_be_visible()
    me = httpx.get(browser.base_url + "/api/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 401


def test_webhooks_screen(browser: Browser) -> None:
    page = browser.page
    with webhook_receiver() as receiver:
        browser.testid("nav-webhooks").click()
        sync_api.expect(page.get_by_text("No endpoints")).to_be_visible()
        browser.testid("webhook-url").fill(receiver.url)
        browser.testid("webhook-description").fill("Accounting system")
        browser.testid("webhook-create").click()
        sync_api.expect(browser.testid("secret-value")).to_have_value(re.compile(r"^whsec_"))
        sync_api.expect(browser.testid("webhook-row")).to_have_count(1)
        browser.shot("12-webhooks")

        browser.testid("webhook-row").get_by_role("link").click()
        browser.testid("webhook-ping").click()
        receiver.wait_for(lambda got: any(r.json()["type"] == "webhook.ping" for r in got))
        sync_api.expect(browser.testid("delivery-row")).to_have_count(1)
        sync_api.expect(browser.testid("delivery-row")).to_contain_text("webhook.ping")
        deadline = time.monotonic() + 20
        while "SUCCEEDED" not in browser.testid("delivery-row").inner_text():
            assert time.monotonic() < deadline, "the ping never showed as SUCCEEDED"
            page.get_by_role("button", name="Refresh").click()
            page.wait_for_timeout(300)
        browser.testid("redeliver").click()
        receiver.wait_for(lambda got: len(got) >= 2)
        browser.testid("webhook-toggle").click()
        sync_api.expect(browser.testid("webhook-toggle")).to_have_text("Enable")
        browser.shot("13-webhook-deliveries")
    endpoints = api_json(browser, "/api/webhooks")["data"]
    assert endpoints[0]["enabled"] is False
    deliveries = receiver.received
    assert {r.delivery_id for r in deliveries} == {deliveries[0].delivery_id}


def test_schema_history_and_a_schema_suggested_from_a_sample(browser: Browser) -> None:
    page = browser.page
    browser.testid("nav-schemas").click()
    browser.testid("schema-row").get_by_role("link", name="Supplier invoices").click()
    browser.testid("field-add").click()
    items = browser.testid("field-card").nth(5)
    items.get_by_test_id("field-name").fill("line_items")
    items.get_by_test_id("field-type").select_option("object")
    items.locator(":scope > .field-main").get_by_test_id("field-array").check()
    items.get_by_test_id("property-add").click()
    properties = items.locator(":scope > .nested").get_by_test_id("field-card")
    properties.nth(0).get_by_test_id("field-name").fill("description")
    properties.nth(1).get_by_test_id("field-name").fill("amount")
    properties.nth(1).get_by_test_id("field-type").select_option("number")
    status = browser.testid("field-card").nth(0)
    status.locator("summary").click()
    status.get_by_test_id("field-possible-values").fill("Azure Interior\nQualityHosting AG")
    status.get_by_role("checkbox", name="Accept near misses").check()
    browser.testid("schema-save").click()
    sync_api.expect(page.get_by_text("Saved — version 2")).to_be_visible()
    schema = api_json(browser, "/api/schema")["data"][0]
    lines = schema["fields"][5]
    assert (lines["type"], lines["isArray"]) == ("object", True)
    assert [(p["name"], p["type"]) for p in lines["properties"]] == [
        ("description", "text"),
        ("amount", "number"),
    ]
    vendor = schema["fields"][0]
    assert [v["label"] for v in vendor["possibleValues"]] == ["Azure Interior", "QualityHosting AG"]
    assert vendor["fuzzyMatch"] is True
    page.get_by_role("link", name="History").click()
    sync_api.expect(browser.testid("schema-versions").locator("li")).to_have_count(2)
    sync_api.expect(page.locator("pre.json")).to_contain_text("line_items")
    browser.shot("14-schema-history")

    browser.testid("nav-schemas").click()
    browser.testid("schema-suggest").click()
    browser.testid("suggest-name").fill("Suggested from a sample")
    browser.testid("suggest-file").set_input_files(str(PDFS[1]))
    browser.shot("15-schema-suggest")
    browser.testid("suggest-submit").click()
    page.wait_for_url(re.compile(r"#/schemas/sch_"))
    sync_api.expect(browser.testid("schema-name")).to_have_value("Suggested from a sample")
    assert browser.testid("field-card").count() >= 3
    schemas = api_json(browser, "/api/schema")["data"]
    assert {s["name"] for s in schemas} == {"Supplier invoices", "Suggested from a sample"}


def test_connected_storage_browse_and_run_a_selected_file(browser: Browser) -> None:
    page = browser.page
    with moto_s3() as s3:
        s3.bucket("web-app-invoices", {f"invoices/{p.name}": p.read_bytes() for p in PDFS})
        browser.testid("nav-storage").click()
        sync_api.expect(page.get_by_text("No connected storage")).to_be_visible()
        browser.testid("s3-name").fill("Invoices bucket")
        browser.testid("s3-bucket").fill("web-app-invoices")
        browser.testid("s3-endpoint").fill(s3.endpoint_url)
        browser.testid("s3-key-id").fill("testing")
        browser.testid("s3-secret").fill("testing")
        browser.testid("s3-create").click()
        sync_api.expect(browser.testid("integration-row")).to_contain_text("ACTIVE")
        browser.shot("16-storage")
        browser.testid("integration-row").get_by_role("link", name="Invoices bucket").click()
        sync_api.expect(browser.testid("storage-entry")).to_have_count(1)  # the folder
        browser.testid("storage-entry").get_by_role("link", name="invoices").click()
        sync_api.expect(browser.testid("storage-entry")).to_have_count(2)
        browser.testid("storage-entry").first.get_by_role("checkbox").check()
        browser.shot("17-storage-browse")
        browser.testid("storage-run-selected").click()
        page.wait_for_url(re.compile(r"#/runs/run_"))
        sync_api.expect(browser.testid("job-row")).to_have_count(1)
        sync_api.expect(browser.testid("run-status")).to_contain_text("COMPLETED", timeout=120_000)


def test_api_docs_come_from_this_server(browser: Browser) -> None:
    page = browser.page
    page.goto(browser.base_url + "/api/docs")
    sync_api.expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    browser.shot("18-api-docs")
    page.goto(browser.base_url + "/")


def test_no_script_errors(browser: Browser) -> None:
    assert not browser.errors, browser.errors


def test_app_pages_carry_a_content_security_policy(server: str) -> None:
    answer = httpx.get(server + "/")
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(server + "/assets/js/main.js").status_code == 200


def test_page_images_belong_to_their_owner(server: str) -> None:
    with new_user(server) as owner, new_user(server) as stranger:
        schema_id = owner.schema()
        with PDFS[0].open("rb") as handle:
            answer = owner.http.post(
                "/api/jobs",
                data={"type": "EXTRACTION", "schemaId": schema_id},
                files={"file": (PDFS[0].name, handle, "application/pdf")},
            )
        assert answer.status_code == 201, answer.text
        job = owner.wait_job(answer.json()["id"])
        path = f"/api/documents/{job['document']['id']}/pages/1"

        image = owner.http.get(path, params={"width": 600})
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")
        assert stranger.http.get(path).status_code == 404
        assert httpx.get(server + path).status_code == 401
        missing = owner.http.get(f"/api/documents/{job['document']['id']}/pages/9")
        assert (missing.status_code, missing.json()["code"]) == (404, "PAGE_NOT_FOUND")
        assert owner.http.get(path, params={"width": 99_999}).status_code == 400
