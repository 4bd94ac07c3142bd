"""Every curl of the Batch Runs guide, run as written against a real server.

The commands are read from the guide itself (`tests/fixtures/batch-runs.txt`, a copy of the
seed guide); only the placeholders are replaced: the host, YOUR_TOKEN, the schema id, the run
id, and `https://example.com/...` by a local file server. The connected-storage commands
(`from-sources`, `integrations/trigger`) run against an S3 integration on a local S3 server
(moto), with INTEGRATION_ID, the file ids and DRIVE_FILE_ID replaced by its id and keys.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.e2e.server import file_server
from tests.fakes.s3_server import moto_s3

GUIDE = Path(__file__).resolve().parents[1] / "fixtures" / "batch-runs.txt"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NEEDS_INTEGRATION = ("from-sources", "integrations/trigger")


def guide_commands() -> list[str]:
    """The curl commands of the guide, continuation lines and quoted bodies joined."""
    commands: list[str] = []
    current: list[str] = []
    for line in GUIDE.read_text().splitlines():
        if not current and not line.startswith("curl "):
            continue
        current.append(line)
        text = "\n".join(current)
        if not line.rstrip().endswith("\\") and text.count("'") % 2 == 0:
            commands.append(text)
            current = []
    return commands


def run_curl(command: str, cwd: Path, replacements: dict[str, str]) -> Any:
    for placeholder, value in replacements.items():
        command = command.replace(placeholder, value)
    result = subprocess.run(
        ["bash", "-c", command + " --silent --show-error --fail-with-body"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "docs/invoice2data-AzureInterior.pdf", tmp_path / "invoice1.pdf")
    shutil.copy(FIXTURES / "docs/invoice2data-QualityHosting.pdf", tmp_path / "invoice2.pdf")
    shutil.copy(FIXTURES / "docs/invoice2data-AzureInterior.pdf", tmp_path / "doc.pdf")
    return tmp_path


def test_the_guide_has_the_commands_we_run() -> None:
    commands = guide_commands()
    assert len(commands) == 8
    assert sum(any(n in c for n in NEEDS_INTEGRATION) for c in commands) == 2


def test_every_guide_command_works_as_written(api: Api, workdir: Path) -> None:
    schema_id = api.schema()
    with file_server(workdir) as files_url:
        values = {
            "http://localhost:4000": api.base_url,
            "YOUR_TOKEN": api.token,
            "YOUR_SCHEMA_ID": schema_id,
            "SCHEMA_ID": schema_id,
            "https://example.com": files_url,
        }
        commands = [c for c in guide_commands() if not any(n in c for n in NEEDS_INTEGRATION)]
        upload, from_urls, status, children, cancel, listing = commands

        run = run_curl(upload, workdir, values)
        assert run["status"] == "PROCESSING" and run["totalJobs"] == 2
        assert run["completedJobs"] == 0 and run["failedJobs"] == 0

        created = run_curl(from_urls, workdir, values)
        assert set(created) == {"jobRunId", "importBatchId", "totalFiles"}
        assert created["totalFiles"] == 2

        for run_id in (run["id"], created["jobRunId"]):
            values["JOB_RUN_ID"] = run_id
            finished = api.wait_run(run_id)
            assert finished["status"] == "COMPLETED", finished
            polled = run_curl(status, workdir, values)
            assert polled["completedJobs"] == 2 and polled["progress"] == 100
            jobs = run_curl(children, workdir, values)["data"]
            assert {j["status"] for j in jobs} == {"COMPLETED"}
            assert all(j["parentRunId"] == run_id for j in jobs)
        assert [j["externalRef"] for j in jobs] == ["row-1", "row-2"]

        values["JOB_RUN_ID"] = run_curl(upload, workdir, values)["id"]
        cancelled = run_curl(cancel, workdir, values)
        assert cancelled["status"] in ("CANCELLED", "COMPLETED")

        listed = run_curl(listing, workdir, values)
        assert listed["page"] == 1 and listed["limit"] == 10 and listed["total"] == 3
        assert len(listed["data"]) == 3


def test_results_carry_values_read_off_the_documents(api: Api, workdir: Path) -> None:
    schema_id = api.schema()
    with (workdir / "invoice1.pdf").open("rb") as one, (workdir / "invoice2.pdf").open("rb") as two:
        answer = api.http.post(
            "/api/job-runs",
            data={"schemaId": schema_id, "jobType": "EXTRACTION"},
            files=[("files", ("azure.pdf", one)), ("files", ("qualityhosting.pdf", two))],
        )
    assert answer.status_code == 201, answer.text
    run = api.wait_run(answer.json()["id"])
    assert run["completedJobs"] == 2
    results = {}
    for job in api.children(run["id"]):
        extraction = api.http.get(f"/api/jobs/{job['id']}/extraction").json()
        results[job["document"]["fileName"]] = extraction
    azure = results["azure.pdf"]
    assert azure["fields"]["invoice_number"] == "INV/2023/03/0008"
    assert azure["fields"]["total"] == 279.84
    assert azure["fieldDetails"]["total"]["grounded"] is True
    assert results["qualityhosting.pdf"]["fields"]["invoice_number"] == "30064443"


def test_the_connected_storage_commands_work_as_written(api: Api, workdir: Path) -> None:
    schema_id = api.schema()
    objects = {
        "invoices/invoice1.pdf": (workdir / "invoice1.pdf").read_bytes(),
        "invoices/invoice2.pdf": (workdir / "invoice2.pdf").read_bytes(),
        "drive/doc.pdf": (workdir / "doc.pdf").read_bytes(),
    }
    with moto_s3() as s3, file_server(workdir) as files_url:
        s3.bucket("seed-guide", objects)
        answer = api.http.post(
            "/api/integrations",
            json={
                "provider": "S3",
                "name": "Seed guide bucket",
                "config": {"bucket": "seed-guide", "endpointUrl": s3.endpoint_url},
                "credentials": {"accessKeyId": "testing", "secretAccessKey": "testing"},
            },
        )
        assert answer.status_code == 201 and answer.json()["status"] == "ACTIVE", answer.text
        values = {
            "http://localhost:4000": api.base_url,
            "YOUR_TOKEN": api.token,
            "SCHEMA_ID": schema_id,
            "INTEGRATION_ID": answer.json()["id"],
            "file-id-1": "invoices/invoice1.pdf",
            "file-id-2": "invoices/invoice2.pdf",
            "DRIVE_FILE_ID": "drive/doc.pdf",
            "https://example.com": files_url,
        }
        commands = [c for c in guide_commands() if any(n in c for n in NEEDS_INTEGRATION)]
        from_sources, trigger = commands

        imported = run_curl(from_sources, workdir, values)
        assert set(imported) == {"jobRunId", "importBatchId", "totalFiles"}
        assert imported["totalFiles"] == 2
        mixed = run_curl(trigger, workdir, values)
        assert mixed["totalFiles"] == 2

        for created, source in ((imported, "INTEGRATION"), (mixed, "MIXED")):
            run = api.wait_run(created["jobRunId"])
            assert run["status"] == "COMPLETED" and run["completedJobs"] == 2, run
            assert run["source"] == source and run["importBatchId"] == created["importBatchId"]
            batch = api.http.get(f"/api/import-batches/{created['importBatchId']}").json()
            assert (batch["fetchedFiles"], batch["failedFiles"]) == (2, 0)
    jobs = api.children(mixed["jobRunId"])
    assert [j["externalRef"] for j in jobs] == ["n8n-1", "n8n-2"]
    assert [j["source"]["kind"] for j in jobs] == ["URL", "INTEGRATION"]
    names = [j["document"]["fileName"] for j in api.children(imported["jobRunId"])]
    assert names == ["invoice1.pdf", "invoice2.pdf"]
