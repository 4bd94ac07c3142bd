"""Connected storage accounts (S3 buckets, Google Drive, Dropbox) of a user."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quarry.core.db import Base, Timestamped, text_enum


class Provider(StrEnum):
    S3 = "S3"
    GOOGLE_DRIVE = "GOOGLE_DRIVE"
    DROPBOX = "DROPBOX"


class IntegrationStatus(StrEnum):
    ACTIVE = "ACTIVE"  # the last check or use worked (or nothing failed yet)
    ERROR = "ERROR"  # the provider refused the credentials; `status_message` says why


class Integration(Timestamped, Base):
    __tablename__ = "integration"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    provider: Mapped[Provider] = mapped_column(text_enum(Provider))
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]]
    # the credentials as JSON, sealed with WEBHOOK_ENCRYPTION_KEY (core/crypto.py); never sent
    credentials_sealed: Mapped[str] = mapped_column(Text)
    status: Mapped[IntegrationStatus] = mapped_column(text_enum(IntegrationStatus))
    status_message: Mapped[str | None] = mapped_column(Text, default=None)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_integration_user_created", "user_id", "created_at"),)
