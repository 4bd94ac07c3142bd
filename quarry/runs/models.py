"""Job runs (batches) and their import batches."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quarry.core.db import Base, Timestamped, text_enum


class RunStatus(StrEnum):
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class RunSource(StrEnum):
    UPLOAD = "UPLOAD"
    URLS = "URLS"
    INTEGRATION = "INTEGRATION"
    MIXED = "MIXED"


class JobRun(Timestamped, Base):
    __tablename__ = "job_run"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    status: Mapped[RunStatus] = mapped_column(text_enum(RunStatus))
    job_type: Mapped[str] = mapped_column(String(20))
    schema_id: Mapped[str] = mapped_column(ForeignKey("extraction_schema.id"))
    schema_version: Mapped[int]
    source: Mapped[RunSource] = mapped_column(text_enum(RunSource))
    import_batch_id: Mapped[str | None] = mapped_column(String(40), default=None)
    total_jobs: Mapped[int] = mapped_column(default=0)
    completed_jobs: Mapped[int] = mapped_column(default=0)
    failed_jobs: Mapped[int] = mapped_column(default=0)
    cancelled_jobs: Mapped[int] = mapped_column(default=0)
    callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(default=None)
    event_seq: Mapped[int] = mapped_column(default=0)
    # job_run.progress throttling: when the last one was written; a trailing one is due
    progress_event_at: Mapped[datetime | None] = mapped_column(default=None)
    progress_pending: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_job_run_user_created", "user_id", "created_at"),
        Index("ix_job_run_user_status", "user_id", "status"),
    )

    @property
    def terminal_jobs(self) -> int:
        return self.completed_jobs + self.failed_jobs + self.cancelled_jobs

    @property
    def progress(self) -> int:
        """Percent of child jobs in a terminal state (0-100, rounded down)."""
        if self.total_jobs == 0:
            return 100
        return self.terminal_jobs * 100 // self.total_jobs


class ImportBatch(Timestamped, Base):
    """The fetch side of a run whose files come from URLs or connected storage."""

    __tablename__ = "import_batch"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(ForeignKey("job_run.id", ondelete="CASCADE"), index=True)
    total_files: Mapped[int] = mapped_column(default=0)
    fetched_files: Mapped[int] = mapped_column(default=0)
    failed_files: Mapped[int] = mapped_column(default=0)
