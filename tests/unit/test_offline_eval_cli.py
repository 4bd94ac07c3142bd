"""`quarry eval`: one Extraction JSON per document of a folder, failures recorded, not fatal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fakes.llm_servers import OPENAI_KEY, running

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
QUARRY_EVAL = [sys.executable, "-m", "quarry", "eval"]


def test_eval_writes_one_result_per_document_and_records_failures(tmp_path: Path) -> None:
    docs = tmp_path / "set" / "docs"
    docs.mkdir(parents=True)
    shutil.copy(FIXTURES / "docs" / "invoice2data-AzureInterior.pdf", docs / "azure.pdf")
    (docs / "note.txt").write_text("Invoice no: 77-A\nTotal due: 12,50 EUR\n")
    (docs / "empty.pdf").write_bytes(b"")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"fields": [{"name": "total", "type": "number"}]}))
    out = tmp_path / "pred"

    done = subprocess.run(
        [*QUARRY_EVAL, str(tmp_path / "set"), "--schema", str(schema), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1  # one document failed; the others were still extracted
    assert sorted(p.name for p in out.iterdir()) == ["azure.json", "empty.json", "note.json"]
    azure = json.loads((out / "azure.json").read_text())
    assert azure["fields"] == {"total": 279.84}
    assert azure["fieldDetails"]["total"]["grounded"] is True
    assert azure["engine"]["name"] == "offline" and azure["pages"] == 1
    assert azure["usage"] is None
    assert json.loads((out / "note.json").read_text())["fields"] == {"total": 12.5}
    empty = json.loads((out / "empty.json").read_text())
    assert empty["fields"] is None and empty["errorCode"] == "UNSUPPORTED_FILE_TYPE"
    assert "3 documents, 2 pages, 1 failed" in done.stderr


def test_eval_refuses_a_bad_schema(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"fields": [{"name": "9bad", "type": "text"}]}))

    done = subprocess.run(
        [*QUARRY_EVAL, str(tmp_path), "--schema", str(schema), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2 and "fields[0].name" in done.stderr


def test_eval_keeps_the_usage_of_an_llm_engine(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.txt").write_text("Invoice no: 77-A\nTotal due: 12,50 EUR\n")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"fields": [{"name": "total", "type": "number"}]}))
    out = tmp_path / "pred"

    with running() as fake:
        fake.answer = lambda request: {"total": 12.5}
        environment = {
            **os.environ,
            "OPENAI_BASE_URL": f"{fake.base_url}/v1",
            "OPENAI_API_KEY": OPENAI_KEY,
            "OPENAI_MODEL": "gpt-fake",
        }
        command = [*QUARRY_EVAL, str(docs), "--schema", str(schema), "--out", str(out)]
        done = subprocess.run(
            [*command, "--engine", "openai"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=environment,
        )

    assert done.returncode == 0, done.stderr
    record = json.loads((out / "note.json").read_text())
    assert record["fields"] == {"total": 12.5}
    assert record["usage"] == {
        "inputTokens": 120,
        "outputTokens": 30,
        "calls": 1,
        "model": "gpt-fake-2026-01-01",
    }
