"""OCR through the whole service: an uploaded photo becomes values, inside the child process,
and a child killed for its time limit takes its Tesseract process with it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from quarry.core.config import Settings
from quarry.core.errors import JobErrorCode, JobFailure
from quarry.engines.runner import IsolationLimits, extract_isolated
from quarry.parsing.options import OcrOptions
from tests.conftest import make_settings
from tests.integration.helpers import FIXTURES, create_schema, wait_job

RECEIPT = FIXTURES / "docs" / "sroie-train-217.jpg"
AWS_PNG = FIXTURES / "docs" / "invoice2data-AmazonWebServices-png.png"
FIELDS = [{"name": "total", "type": "number"}, {"name": "date", "type": "date"}]
pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed here"
)


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


def _orphan_tesseracts(since: float) -> list[psutil.Process]:
    """Tesseracts still running after their parent died (a killed one may linger as a zombie)."""
    found = []
    for process in psutil.process_iter(["name", "ppid", "create_time", "status"]):
        info = process.info
        if (
            info["name"] == "tesseract"
            and info["ppid"] == 1
            and info["create_time"] >= since
            and info["status"] != psutil.STATUS_ZOMBIE
        ):
            found.append(process)
    return found


async def test_a_timed_out_child_leaves_no_tesseract_running(tmp_path: Path) -> None:
    started = time.time()
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
    time.sleep(0.3)
    assert _orphan_tesseracts(started) == []
