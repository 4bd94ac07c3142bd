"""OCR through the whole service: an uploaded photo becomes values, inside the child process
(Tesseract runs in that process: it comes from PyPI, no system package), a sideways scan's page
image is turned as the OCR turned it, and a child killed for its time limit takes its OCR with
it."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from PIL import Image, ImageChops, ImageStat

from quarry.core.config import Settings
from quarry.core.errors import JobErrorCode, JobFailure
from quarry.engines.runner import IsolationLimits, extract_isolated
from quarry.parsing.options import OcrOptions
from tests.conftest import make_settings
from tests.integration.helpers import FIXTURES, create_schema, wait_job

RECEIPT = FIXTURES / "docs" / "sroie-train-217.jpg"
AWS_PNG = FIXTURES / "docs" / "invoice2data-AmazonWebServices-png.png"
FIELDS = [{"name": "total", "type": "number"}, {"name": "date", "type": "date"}]


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"), ocr_engine="tesseract")


async def test_an_uploaded_receipt_photo_is_read_by_ocr(client: Any, user: dict[str, Any]) -> None:
    schema_id = await create_schema(client, user["headers"], FIELDS)
    answer = await client.post(
        "/api/jobs",
        data={"type": "EXTRACTION", "schemaId": schema_id},
        files={"file": ("receipt.jpg", RECEIPT.read_bytes(), "image/jpeg")},
        headers=user["headers"],
    )
    assert answer.status_code == 201, answer.text

    job = await wait_job(client, user["headers"], answer.json()["id"])

    assert job["status"] == "COMPLETED", job
    extraction = await client.get(f"/api/jobs/{job['id']}/extraction", headers=user["headers"])
    body = extraction.json()
    assert body["fields"] == {"total": 22.0, "date": "2018-04-25"}
    assert body["fieldDetails"]["total"]["page"] == 1
    assert job["document"]["pages"] == 1


async def test_a_sideways_scan_is_shown_as_the_ocr_read_it(
    client: Any, user: dict[str, Any]
) -> None:
    # the receipt lying on its side, with no EXIF tag saying so: only the OCR finds which way is up
    sideways = io.BytesIO()
    with Image.open(RECEIPT) as receipt:
        receipt.rotate(90, expand=True).save(sideways, format="PNG")
    schema_id = await create_schema(client, user["headers"], FIELDS)
    answer = await client.post(
        "/api/jobs",
        data={"type": "EXTRACTION", "schemaId": schema_id},
        files={"file": ("sideways.png", sideways.getvalue(), "image/png")},
        headers=user["headers"],
    )
    job = await wait_job(client, user["headers"], answer.json()["id"])
    assert job["status"] == "COMPLETED", job
    extraction = await client.get(f"/api/jobs/{job['id']}/extraction", headers=user["headers"])
    details = extraction.json()["fieldDetails"]

    page = await client.get(
        f"/api/documents/{job['document']['id']}/pages/1?width=800", headers=user["headers"]
    )

    assert page.status_code == 200
    picture = Image.open(io.BytesIO(page.content)).convert("L")
    with Image.open(RECEIPT) as receipt:
        photographed = receipt.convert("L").resize(picture.size)
    assert picture.height > picture.width  # upright again, as the receipt was photographed
    assert ImageStat.Stat(ImageChops.difference(picture, photographed)).mean[0] < 6
    for name in ("total", "date"):
        x0, y0, x1, y1 = details[name]["bbox"]
        box = (
            int(x0 * picture.width),
            int(y0 * picture.height),
            int(x1 * picture.width) + 1,
            int(y1 * picture.height) + 1,
        )
        darkest, lightest = picture.crop(box).getextrema()
        assert isinstance(darkest, int) and isinstance(lightest, int)
        assert darkest < 128 < lightest, f"no text under {name} at {box}"


def _document_children() -> list[psutil.Process]:
    """Live processes forked from the fork server: one per document being extracted."""
    found = []
    for server in psutil.Process().children():
        if "forkserver" in " ".join(server.cmdline()):
            found += [p for p in server.children() if p.status() != psutil.STATUS_ZOMBIE]
    return found


async def test_a_timed_out_child_is_gone_with_its_ocr(tmp_path: Path) -> None:
    started = time.monotonic()
    limits = IsolationLimits(
        timeout_seconds=0.7, memory_mb=1024, max_pages=5, ocr=OcrOptions(engine="tesseract")
    )

    with pytest.raises(JobFailure) as caught:
        await extract_isolated(
            AWS_PNG,
            mime_type="image/png",
            file_name="big.png",
            fields=FIELDS,
            engine="offline",
            limits=limits,
        )

    assert caught.value.code is JobErrorCode.EXTRACTION_TIMEOUT
    # This page keeps Tesseract busy for over a second more: a survivor would still be here.
    assert time.monotonic() - started < 5
    assert _document_children() == []
