"""One result record per document: who it is, how it ended, and its values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IDENTITY = ("jobId", "externalRef", "fileName", "status", "errorCode")


@dataclass(frozen=True)
class ResultRecord:
    """A job's (or, for `quarry extract`, a local file's) outcome, fields in schema order."""

    job_id: str
    external_ref: str | None
    file_name: str | None
    status: str
    error_code: str | None
    fields: dict[str, Any] | None = None
    field_details: dict[str, Any] | None = None

    def identity(self) -> list[Any]:
        """The values of the `IDENTITY` columns."""
        return [self.job_id, self.external_ref, self.file_name, self.status, self.error_code]

    def wire(self) -> dict[str, Any]:
        """The record as the JSON and JSONL exports carry it."""
        return {
            **dict(zip(IDENTITY, self.identity(), strict=True)),
            "fields": self.fields,
            "fieldDetails": self.field_details,
        }
