"""Wire models of job runs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from quarry.core.api_model import ApiModel, StrictInput, Timestamp
from quarry.jobs.schemas import JobType
from quarry.runs.models import RunSource, RunStatus


class JobRunOut(ApiModel):
    id: str
    status: RunStatus
    job_type: str
    schema_id: str
    schema_version: int
    source: RunSource
    import_batch_id: str | None
    total_jobs: int
    completed_jobs: int
    failed_jobs: int
    cancelled_jobs: int
    progress: int
    callback_url: str | None
    created_at: Timestamp
    started_at: Timestamp | None
    completed_at: Timestamp | None
    updated_at: Timestamp


class UrlItem(StrictInput):
    url: str = Field(min_length=1, max_length=8192)
    external_ref: str | None = Field(None, max_length=500)


class FromUrlsIn(StrictInput):
    schema_id: str = Field(min_length=1)
    job_type: JobType = "EXTRACTION"
    urls: list[UrlItem] = Field(min_length=1)
    callback_url: str | None = Field(None, max_length=8192)


class RunCreatedOut(ApiModel):
    job_run_id: str
    import_batch_id: str | None
    total_files: int


def run_wire(run: Any) -> dict[str, Any]:
    return JobRunOut.model_validate(run).model_dump(mode="json", by_alias=True)
