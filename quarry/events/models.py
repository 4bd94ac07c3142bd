"""One row per event; written in the same transaction as the change that causes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from quarry.core.db import Base
from quarry.core.time import utcnow


class Event(Base):
    __tablename__ = "event"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    job_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    run_id: Mapped[str | None] = mapped_column(String(40), default=None)
    seq: Mapped[int | None] = mapped_column(default=None)
    data: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index(
            "uq_event_run_seq", "run_id", "seq", unique=True, postgresql_where="run_id IS NOT NULL"
        ),
        Index("ix_event_user_occurred", "user_id", "occurred_at"),
    )
