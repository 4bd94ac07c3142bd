"""The `quarry` command line."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import psycopg

from tests import pg

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCHEMA = FIXTURES / "invoice-schema.json"
INVOICE = FIXTURES / "docs/invoice2data-AzureInterior.pdf"
NAMES = [f["name"] for f in json.loads(SCHEMA.read_text())["fields"]]
IDENTITY = ["jobId", "externalRef", "fileName", "status", "errorCode"]


def quarry(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quarry", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_db_upgrade_creates_the_schema_and_is_repeatable(pg_server: str) -> None:
    name = "quarry_cli_upgrade"
    with psycopg.connect(pg.with_database(pg_server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg.with_database(pg_server, name)
    try:
        env = {
            "DATABASE_URL": url,
            "JWT_ACCESS_SECRET": "x" * 40,
            "WEBHOOK_ENCRYPTION_KEY": "y" * 40,
            "PATH": "/usr/bin:/bin",
        }
        for _ in range(2):
            result = quarry("db", "upgrade", env=env)
            assert result.returncode == 0, result.stderr
            assert "up to date" in result.stdout
        with psycopg.connect(url) as conn:
            tables = {
                r[0]
                for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
        assert {"job", "job_run", "event", "procrastinate_jobs"} <= tables
    finally:
        with psycopg.connect(pg.with_database(pg_server, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_production_mode_refuses_to_start_without_secrets() -> None:
    result = quarry(
        "serve",
        env={
            "QUARRY_ENV": "production",
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": "postgresql://nowhere/db",
        },
    )
    assert result.returncode == 2
    assert "JWT_ACCESS_SECRET" in result.stderr and "WEBHOOK_ENCRYPTION_KEY" in result.stderr


def test_version_and_help() -> None:
    assert quarry("--version").stdout.startswith("quarry ")
    assert "worker" in quarry("--help").stdout


def test_help_lists_the_commands_and_extract_explains_its_output() -> None:
    top = quarry("--help")
    assert top.returncode == 0
    assert all(name in top.stdout for name in ("serve", "worker", "extract", "eval"))
    extract = quarry("extract", "--help").stdout
    for words in ("--schema FILE", "--out FILE", ".xlsx", "stdout", "Ctrl-C", "130"):
        assert words in extract


def inbox(root: Path) -> Path:
    """A folder with a nested folder, a hidden file and a file Quarry cannot read."""
    (root / "inbox/2024").mkdir(parents=True)
    shutil.copy(INVOICE, root / "inbox/a.pdf")
    shutil.copy(FIXTURES / "docs/invoice2data-QualityHosting.pdf", root / "inbox/2024/b.pdf")
    (root / "inbox/empty.pdf").write_bytes(b"")
    (root / "inbox/.hidden.pdf").write_bytes(b"%PDF-")
    return root / "inbox"


def test_extract_writes_jsonl_to_stdout_and_the_export_formats_to_files(tmp_path: Path) -> None:
    folder = inbox(tmp_path)
    plain = quarry("extract", str(folder), "--schema", str(SCHEMA))
    assert plain.returncode == 1, plain.stderr  # empty.pdf failed
    records = [json.loads(line) for line in plain.stdout.splitlines()]
    assert [r["jobId"] for r in records] == [
        str(folder / "2024/b.pdf"),
        str(folder / "a.pdf"),
        str(folder / "empty.pdf"),
    ]
    assert list(records[0]) == [*IDENTITY, "fields", "fieldDetails"]
    assert list(records[1]["fields"]) == NAMES and records[1]["fields"]["total"] == 279.84
    assert records[2]["status"] == "FAILED" and records[2]["errorCode"] == "UNSUPPORTED_FILE_TYPE"
    assert "3 of 3 documents written (1 failed)" in plain.stderr
    assert "FAILED" in plain.stderr and "empty.pdf" in plain.stderr

    outputs = {ext: tmp_path / f"results.{ext}" for ext in ("json", "csv", "xlsx")}
    for path in outputs.values():
        result = quarry("extract", str(folder), "--schema", str(SCHEMA), "--out", str(path))
        assert result.returncode == 1, result.stderr
        assert f"written to {path}" in result.stderr
    assert json.loads(outputs["json"].read_text()) == records
    rows = list(csv.reader(io.StringIO(outputs["csv"].read_text())))
    assert rows[0] == IDENTITY + NAMES and [r[0] for r in rows[1:]] == [r["jobId"] for r in records]
    book = openpyxl.load_workbook(outputs["xlsx"])
    sheet = [list(row) for row in book["Results"].iter_rows(values_only=True)]
    assert sheet[0] == rows[0] and [r[0] for r in sheet[1:]] == [r["jobId"] for r in records]
    items = list(book["line_items"].iter_rows(values_only=True))
    assert len(items) - 1 == sum(len(r["fields"]["line_items"] or []) for r in records[:2])


def test_extract_refuses_bad_arguments_before_any_work(tmp_path: Path) -> None:
    missing = quarry("extract", str(tmp_path / "nope"), "--schema", str(SCHEMA))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    out = tmp_path / "out.txt"
    bad_out = quarry("extract", str(INVOICE), "--schema", str(SCHEMA), "--out", str(out))
    assert bad_out.returncode == 2 and ".xlsx" in bad_out.stderr and not out.exists()
    engine = quarry("extract", str(INVOICE), "--schema", str(SCHEMA), "--engine", "magic")
    assert engine.returncode == 2 and "unknown engine" in engine.stderr


def test_ctrl_c_stops_extract_and_keeps_a_valid_file_of_what_was_done(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(60):
        shutil.copy(INVOICE, folder / f"doc-{n:02d}.pdf")
    out = tmp_path / "partial.json"
    argv = [sys.executable, "-m", "quarry", "extract", str(folder), "--schema", str(SCHEMA)]
    process = subprocess.Popen(
        [*argv, "--out", str(out), "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("jobId") < 2):
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    records = json.loads(out.read_text())  # closed properly: a valid JSON array
    assert 2 <= len(records) < 60
    assert [r["fileName"] for r in records] == [f"doc-{n:02d}.pdf" for n in range(len(records))]
    assert all(r["status"] == "COMPLETED" for r in records)
    assert f"interrupted: {len(records)} of 60 documents written" in stderr
    assert "Traceback" not in stderr  # the extraction children leave the decision to the parent
