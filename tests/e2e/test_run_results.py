"""A real `quarry serve`: the results export streamed over HTTP, and retry of failed jobs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl

from tests.e2e.conftest import Api

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run_with_a_broken_file(api: Api) -> str:
    files = [
        ("files", ("a.pdf", (FIXTURES / "docs/invoice2data-AzureInterior.pdf").read_bytes())),
        ("files", ("broken.pdf", b"")),
    ]
    answer = api.http.post(
        "/api/job-runs", files=files, data={"schemaId": api.schema(), "jobType": "EXTRACTION"}
    )
    assert answer.status_code == 201, answer.text
    run = api.wait_run(str(answer.json()["id"]))
    assert (run["completedJobs"], run["failedJobs"]) == (1, 1), run
    return str(run["id"])


def test_the_export_is_a_streamed_download_in_every_format(api: Api, tmp_path: Path) -> None:
    run_id = run_with_a_broken_file(api)
    url = f"/api/job-runs/{run_id}/results"
    with api.http.stream("GET", url) as answer:
        assert answer.status_code == 200
        assert answer.headers["transfer-encoding"] == "chunked"  # streamed, not buffered
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="run-{run_id}-results.json"'
        )
        body = answer.read()
    records = json.loads(body)
    assert [(r["fileName"], r["status"]) for r in records] == [
        ("a.pdf", "COMPLETED"),
        ("broken.pdf", "FAILED"),
    ]
    rows = list(csv.reader(io.StringIO(api.http.get(url, params={"format": "csv"}).text)))
    assert rows[0][:6] == ["jobId", "externalRef", "fileName", "status", "errorCode", "vendor"]
    assert rows[1][0] == records[0]["jobId"] and rows[2][4] == "UNSUPPORTED_FILE_TYPE"
    xlsx = api.http.get(url, params={"format": "xlsx", "status": "COMPLETED"})
    (tmp_path / "r.xlsx").write_bytes(xlsx.content)
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["Results", "line_items"] and book["Results"].max_row == 2


def test_retry_failed_reopens_the_run_and_it_settles_again(api: Api) -> None:
    run_id = run_with_a_broken_file(api)
    answer = api.http.post(f"/api/job-runs/{run_id}/retry-failed")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "PROCESSING" and answer.json()["failedJobs"] == 0
    run = api.wait_run(run_id)
    assert (run["status"], run["completedJobs"], run["failedJobs"]) == ("COMPLETED", 1, 1)
    events = api.http.get(f"/api/job-runs/{run_id}/events", params={"limit": 1000}).json()
    types = [e["type"] for e in events["data"]]
    assert types.count("job_run.completed") == 2 and types[-1] == "job_run.completed"
    assert types.count("job.queued") == 3  # two at creation, one for the retried job
