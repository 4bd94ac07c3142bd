"""Every API call the client makes, built once for both the sync and the async client."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from quarry_client._core import Call, FileInput, Uploads, segment
from quarry_client.models import Extraction, Job, JobRun, Page, RunCreated, Schema

RUNS = "/api/job-runs"


def _body(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _idempotent(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


def _none(_: Any) -> None:
    return None


# schemas


def schema_create(
    name: str,
    fields: Sequence[Mapping[str, Any]],
    description: str | None,
    webhook_endpoint_ids: Sequence[str] | None,
    engine: str | None,
) -> Call[Schema]:
    body = _body(
        name=name,
        fields=[dict(f) for f in fields],
        description=description,
        webhookEndpointIds=list(webhook_endpoint_ids) if webhook_endpoint_ids else None,
        engine=engine,
    )
    return Call("POST", "/api/schema", Schema.from_json, json=body)


def schema_update(schema_id: str, changes: Mapping[str, Any]) -> Call[Schema]:
    names = {"webhook_endpoint_ids": "webhookEndpointIds"}
    body = {names.get(key, key): value for key, value in changes.items()}
    return Call("PATCH", f"/api/schema/{segment(schema_id)}", Schema.from_json, json=body)


def schema_get(schema_id: str) -> Call[Schema]:
    return Call("GET", f"/api/schema/{segment(schema_id)}", Schema.from_json)


def schema_list(search: str | None, page: int, limit: int) -> Call[Page[Schema]]:
    params = {"search": search, "page": page, "limit": limit}
    return Call("GET", "/api/schema", lambda d: Page.from_json(d, Schema.from_json), params=params)


def schema_delete(schema_id: str) -> Call[None]:
    return Call("DELETE", f"/api/schema/{segment(schema_id)}", _none)


# runs


def run_create(
    files: Sequence[FileInput],
    schema_id: str,
    external_refs: Sequence[str | None] | None,
    callback_url: str | None,
    idempotency_key: str | None,
) -> Call[JobRun]:
    uploads = Uploads(files)
    data = {"schemaId": schema_id, "jobType": "EXTRACTION"}
    if callback_url:
        data["callbackUrl"] = callback_url
    if external_refs is not None:
        if len(external_refs) != len(files):
            raise ValueError("external_refs needs one entry (or None) per file")
        data["externalRefs"] = json.dumps(list(external_refs))
    return Call(
        "POST",
        RUNS,
        JobRun.from_json,
        data=data,
        uploads=uploads,
        headers=_idempotent(idempotency_key),
    )


def run_from_urls(
    urls: Sequence[str | tuple[str, str | None] | Mapping[str, Any]],
    schema_id: str,
    callback_url: str | None,
    idempotency_key: str | None,
) -> Call[RunCreated]:
    items = [_url_item(u) for u in urls]
    body = _body(schemaId=schema_id, jobType="EXTRACTION", urls=items, callbackUrl=callback_url)
    return Call(
        "POST",
        f"{RUNS}/from-urls",
        RunCreated.from_json,
        json=body,
        headers=_idempotent(idempotency_key),
    )


def _url_item(item: str | tuple[str, str | None] | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(item, str):
        return {"url": item}
    if isinstance(item, tuple):
        return _body(url=item[0], externalRef=item[1])
    return {("externalRef" if k == "external_ref" else k): v for k, v in item.items()}


def run_get(run_id: str) -> Call[JobRun]:
    return Call("GET", f"{RUNS}/{segment(run_id)}", JobRun.from_json)


def run_list(
    status: str | None, schema_id: str | None, page: int, limit: int
) -> Call[Page[JobRun]]:
    params = {"status": status, "schemaId": schema_id, "page": page, "limit": limit}
    return Call("GET", RUNS, lambda d: Page.from_json(d, JobRun.from_json), params=params)


def run_jobs(run_id: str, status: str | None, page: int, limit: int) -> Call[Page[Job]]:
    params = {"status": status, "page": page, "limit": limit}
    path = f"{RUNS}/{segment(run_id)}/jobs"
    return Call("GET", path, lambda d: Page.from_json(d, Job.from_json), params=params)


def run_cancel(run_id: str) -> Call[JobRun]:
    return Call("POST", f"{RUNS}/{segment(run_id)}/cancel", JobRun.from_json)


def run_retry_failed(run_id: str) -> Call[JobRun]:
    return Call("POST", f"{RUNS}/{segment(run_id)}/retry-failed", JobRun.from_json)


def run_results(run_id: str, fmt: str, status: str | None) -> Call[None]:
    params = {"format": fmt, "status": status}
    return Call("GET", f"{RUNS}/{segment(run_id)}/results", _none, params=params)


def run_stream(run_id: str, resume: dict[str, str]) -> Call[None]:
    headers = {"Accept": "text/event-stream", **resume}
    return Call("GET", f"{RUNS}/{segment(run_id)}/stream", _none, headers=headers)


# jobs


def job_get(job_id: str) -> Call[Job]:
    return Call("GET", f"/api/jobs/{segment(job_id)}", Job.from_json)


def job_extraction(job_id: str) -> Call[Extraction]:
    return Call("GET", f"/api/jobs/{segment(job_id)}/extraction", Extraction.from_json)


def job_correct(job_id: str, fields: Mapping[str, Any]) -> Call[Extraction]:
    path = f"/api/jobs/{segment(job_id)}/extraction"
    return Call("PATCH", path, Extraction.from_json, json={"fields": dict(fields)})


def job_restart(job_id: str) -> Call[Job]:
    return Call("POST", f"/api/jobs/{segment(job_id)}/restart", Job.from_json)


def job_cancel(job_id: str) -> Call[Job]:
    return Call("POST", f"/api/jobs/{segment(job_id)}/cancel", Job.from_json)
