"""Wire models of jobs and extractions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_serializer

from quarry.core.api_model import ApiModel, StrictInput, Timestamp
from quarry.jobs.states import JobStatus

JobType = Literal["EXTRACTION"]


class DocumentOut(ApiModel):
    id: str
    file_name: str
    mime_type: str
    size: int
    pages: int | None
    sha256: str


class JobOut(ApiModel):
    id: str
    type: str
    status: JobStatus
    schema_id: str
    schema_version: int
    parent_run_id: str | None
    external_ref: str | None
    source: dict[str, Any]
    document: DocumentOut | None
    attempts: int
    usage: dict[str, Any] | None = Field(
        None,
        description="Quarry extension: LLM token usage of the completing attempt "
        "{inputTokens, outputTokens, calls, model}; null for engines that call no model",
    )
    error_code: str | None
    error_message: str | None
    created_at: Timestamp
    queued_at: Timestamp | None
    started_at: Timestamp | None
    completed_at: Timestamp | None
    updated_at: Timestamp

    @field_serializer("source")
    def _source(self, source: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in source.items() if v is not None}


class FieldDetailOut(ApiModel):
    confidence: float
    page: int | None = None
    bbox: list[float] | None = None
    text: str | None = None
    grounded: bool
    null_reason: str | None = None


class EngineOut(ApiModel):
    name: str
    version: str
    model: str | None = None


class ExtractionOut(ApiModel):
    job_id: str
    schema_id: str
    schema_version: int
    fields: dict[str, Any]
    field_details: dict[str, Any]
    engine: dict[str, Any]
    usage: dict[str, Any] | None = Field(
        None,
        description="Quarry extension: LLM token usage {inputTokens, outputTokens, calls, model}; "
        "null for engines that call no model",
    )
    reviewed: bool
    reviewed_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class JobFromDocumentIn(StrictInput):
    type: JobType = "EXTRACTION"
    schema_id: str = Field(min_length=1)


class UploadUrlIn(StrictInput):
    filename: str = Field(min_length=1, max_length=500)
    content_type: str | None = None


class UploadUrlOut(ApiModel):
    upload_url: str
    key: str
    expires_at: Timestamp


class ConfirmUploadIn(StrictInput):
    key: str = Field(pattern=r"^up_[A-Za-z0-9]{32}$", description="the key upload-url answered")
    filename: str | None = Field(
        None, min_length=1, max_length=500, description="default: the upload-url's filename"
    )
    type: JobType = "EXTRACTION"
    schema_id: str = Field(min_length=1)
    external_ref: str | None = Field(None, max_length=500)
    callback_url: str | None = Field(None, max_length=8192)


class ExtractionPatchIn(StrictInput):
    fields: dict[str, Any]


def job_wire(job: Any) -> dict[str, Any]:
    """The JSON of a job as the API and events show it."""
    return JobOut.model_validate(job).model_dump(mode="json", by_alias=True)
