"""Typed results built from the API's JSON (camelCase on the wire, snake_case here).

Each class has `from_json(data)`; unknown keys a newer server sends are kept in `raw`, so an
older client never fails on them. Timestamps become aware `datetime`s (UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")

FINAL_RUN_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
FINAL_JOB_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


def _ts(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _req_ts(value: Any) -> datetime:
    parsed = _ts(value)
    if parsed is None:
        raise ValueError(f"expected a timestamp, got {value!r}")
    return parsed


@dataclass(frozen=True)
class FieldDetail:
    """Where a value came from: `confidence` 0–1, 1-based `page`, `bbox` in 0–1 page units."""

    confidence: float
    grounded: bool
    page: int | None = None
    bbox: list[float] | None = None
    text: str | None = None
    null_reason: str | None = None
    reviewed: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldDetail:
        return cls(
            confidence=float(data.get("confidence") or 0.0),
            grounded=bool(data.get("grounded")),
            page=data.get("page"),
            bbox=data.get("bbox"),
            text=data.get("text"),
            null_reason=data.get("nullReason"),
            reviewed=bool(data.get("reviewed", False)),
        )


def field_details(data: Any) -> dict[str, FieldDetail]:
    if not isinstance(data, dict):
        return {}
    return {path: FieldDetail.from_json(d) for path, d in data.items() if isinstance(d, dict)}


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str | None
    fields: list[dict[str, Any]]
    version: int
    webhook_endpoint_ids: list[str]
    engine: str | None
    created_at: datetime
    updated_at: datetime
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schema:
        return cls(
            id=data["id"],
            name=data["name"],
            description=data.get("description"),
            fields=list(data.get("fields") or []),
            version=int(data.get("version", 1)),
            webhook_endpoint_ids=list(data.get("webhookEndpointIds") or []),
            engine=data.get("engine"),
            created_at=_req_ts(data["createdAt"]),
            updated_at=_req_ts(data["updatedAt"]),
            raw=data,
        )


@dataclass(frozen=True)
class Document:
    id: str
    file_name: str
    mime_type: str
    size: int
    pages: int | None
    sha256: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        return cls(
            id=data["id"],
            file_name=data["fileName"],
            mime_type=data["mimeType"],
            size=int(data["size"]),
            pages=data.get("pages"),
            sha256=data.get("sha256"),
        )


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    schema_id: str
    schema_version: int
    parent_run_id: str | None
    external_ref: str | None
    source: dict[str, Any]
    document: Document | None
    attempts: int
    error_code: str | None
    error_message: str | None
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime
    usage: dict[str, Any] | None = None
    type: str = "EXTRACTION"
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.status in FINAL_JOB_STATUSES

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        document = data.get("document")
        return cls(
            id=data["id"],
            type=data.get("type", "EXTRACTION"),
            status=data["status"],
            schema_id=data["schemaId"],
            schema_version=int(data["schemaVersion"]),
            parent_run_id=data.get("parentRunId"),
            external_ref=data.get("externalRef"),
            source=dict(data.get("source") or {}),
            document=Document.from_json(document) if isinstance(document, dict) else None,
            attempts=int(data.get("attempts", 0)),
            usage=data.get("usage"),
            error_code=data.get("errorCode"),
            error_message=data.get("errorMessage"),
            created_at=_req_ts(data["createdAt"]),
            queued_at=_ts(data.get("queuedAt")),
            started_at=_ts(data.get("startedAt")),
            completed_at=_ts(data.get("completedAt")),
            updated_at=_req_ts(data["updatedAt"]),
            raw=data,
        )


@dataclass(frozen=True)
class JobRun:
    id: str
    status: str
    schema_id: str
    schema_version: int
    source: str
    import_batch_id: str | None
    total_jobs: int
    completed_jobs: int
    failed_jobs: int
    cancelled_jobs: int
    progress: int
    callback_url: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime
    job_type: str = "EXTRACTION"
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        """The run has settled: COMPLETED, FAILED or CANCELLED."""
        return self.status in FINAL_RUN_STATUSES

    @property
    def done_jobs(self) -> int:
        """Children in a final state."""
        return self.completed_jobs + self.failed_jobs + self.cancelled_jobs

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobRun:
        return cls(
            id=data["id"],
            status=data["status"],
            job_type=data.get("jobType", "EXTRACTION"),
            schema_id=data["schemaId"],
            schema_version=int(data["schemaVersion"]),
            source=data.get("source", ""),
            import_batch_id=data.get("importBatchId"),
            total_jobs=int(data.get("totalJobs", 0)),
            completed_jobs=int(data.get("completedJobs", 0)),
            failed_jobs=int(data.get("failedJobs", 0)),
            cancelled_jobs=int(data.get("cancelledJobs", 0)),
            progress=int(data.get("progress", 0)),
            callback_url=data.get("callbackUrl"),
            created_at=_req_ts(data["createdAt"]),
            started_at=_ts(data.get("startedAt")),
            completed_at=_ts(data.get("completedAt")),
            updated_at=_req_ts(data["updatedAt"]),
            raw=data,
        )


@dataclass(frozen=True)
class RunCreated:
    """The answer of `from-urls`: the new run's id, its import batch and how many items."""

    job_run_id: str
    import_batch_id: str | None
    total_files: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunCreated:
        return cls(data["jobRunId"], data.get("importBatchId"), int(data.get("totalFiles", 0)))


@dataclass(frozen=True)
class Extraction:
    job_id: str
    schema_id: str
    schema_version: int
    fields: dict[str, Any]
    field_details: dict[str, FieldDetail]
    engine: dict[str, Any]
    reviewed: bool
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    usage: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Extraction:
        return cls(
            job_id=data["jobId"],
            schema_id=data["schemaId"],
            schema_version=int(data["schemaVersion"]),
            fields=dict(data.get("fields") or {}),
            field_details=field_details(data.get("fieldDetails")),
            engine=dict(data.get("engine") or {}),
            usage=data.get("usage"),
            reviewed=bool(data.get("reviewed")),
            reviewed_at=_ts(data.get("reviewedAt")),
            created_at=_req_ts(data["createdAt"]),
            updated_at=_req_ts(data["updatedAt"]),
            raw=data,
        )


@dataclass(frozen=True)
class ResultRow:
    """One child job of a run in `runs.results()`: its identity, status and extracted fields
    (`fields` is None for a job that did not complete)."""

    job_id: str
    external_ref: str | None
    file_name: str | None
    status: str
    error_code: str | None
    fields: dict[str, Any] | None
    field_details: dict[str, FieldDetail]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResultRow:
        fields = data.get("fields")
        return cls(
            job_id=data["jobId"],
            external_ref=data.get("externalRef"),
            file_name=data.get("fileName"),
            status=data["status"],
            error_code=data.get("errorCode"),
            fields=dict(fields) if isinstance(fields, dict) else None,
            field_details=field_details(data.get("fieldDetails")),
            raw=data,
        )


@dataclass(frozen=True)
class Event:
    """A run's event from the stream: `job.completed`, `job_run.progress`, …"""

    id: str
    type: str
    occurred_at: datetime | None
    seq: int | None
    data: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return cls(
            id=str(data.get("id", "")),
            type=str(data.get("type", "")),
            occurred_at=_ts(data.get("occurredAt")),
            seq=data.get("seq"),
            data=dict(data.get("data") or {}),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: `data` plus where it sits."""

    data: list[T]
    page: int
    limit: int
    total: int
    total_pages: int

    @classmethod
    def from_json(cls, data: dict[str, Any], item: Callable[[dict[str, Any]], T]) -> Page[T]:
        return cls(
            data=[item(row) for row in data.get("data") or []],
            page=int(data.get("page", 1)),
            limit=int(data.get("limit", 0)),
            total=int(data.get("total", 0)),
            total_pages=int(data.get("totalPages", 0)),
        )
