"""Extraction schemas and their immutable field versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quarry.core.db import Base, Timestamped
from quarry.core.time import utcnow


class ExtractionSchema(Timestamped, Base):
    __tablename__ = "extraction_schema"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(default=1)
    fields: Mapped[list[Any]]
    webhook_endpoint_ids: Mapped[list[Any]] = mapped_column(default=list)
    engine: Mapped[str | None] = mapped_column(String(40), default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class ExtractionSchemaVersion(Base):
    __tablename__ = "extraction_schema_version"

    schema_id: Mapped[str] = mapped_column(
        ForeignKey("extraction_schema.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    fields: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
