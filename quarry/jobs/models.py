"""Jobs and their extractions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quarry.core.db import Base, Timestamped, text_enum
from quarry.core.time import utcnow
from quarry.documents.models import Document
from quarry.jobs.states import JobStatus


class Job(Timestamped, Base):
    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[JobStatus] = mapped_column(text_enum(JobStatus))
    schema_id: Mapped[str] = mapped_column(ForeignKey("extraction_schema.id"))
    schema_version: Mapped[int]
    parent_run_id: Mapped[str | None] = mapped_column(
        ForeignKey("job_run.id", ondelete="CASCADE"), default=None
    )
    position: Mapped[int] = mapped_column(default=0)
    external_ref: Mapped[str | None] = mapped_column(String(500), default=None)
    source: Mapped[dict[str, Any]]
    document_id: Mapped[str | None] = mapped_column(ForeignKey("document.id"), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    queued_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # LLM token usage of the attempt that completed the job (null for the offline engine)
    usage: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    document: Mapped[Document | None] = relationship(lazy="selectin")

    __table_args__ = (
        Index("ix_job_user_created", "user_id", "created_at"),
        Index("ix_job_run_status", "parent_run_id", "status"),
        Index("ix_job_user_external_ref", "user_id", "external_ref"),
    )


class Extraction(Timestamped, Base):
    __tablename__ = "extraction"

    job_id: Mapped[str] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    schema_id: Mapped[str] = mapped_column(String(40))
    schema_version: Mapped[int]
    fields: Mapped[dict[str, Any]]
    field_details: Mapped[dict[str, Any]]
    engine: Mapped[dict[str, Any]]
    usage: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    reviewed: Mapped[bool] = mapped_column(default=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)


class PendingUpload(Base):
    """An upload URL that was handed out and not confirmed yet (`POST /api/jobs/upload-url`).

    Its staged bytes are dropped by the `quarry.expire_uploads` task after `expires_at`;
    confirming deletes the row. A user may hold `MAX_PENDING_UPLOADS_PER_USER` of them.
    """

    __tablename__ = "pending_upload"
    __table_args__ = (Index("ix_pending_upload_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
