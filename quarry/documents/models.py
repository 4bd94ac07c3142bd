"""Stored documents: the bytes live in the blob store, addressed by sha256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from quarry.core.db import Base
from quarry.core.time import utcnow


class Document(Base):
    __tablename__ = "document"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    mime_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int | None] = mapped_column(default=None)
    # each page's quarter turn (degrees clockwise) the OCR made to read it upright; null when
    # no page was turned (or the document was read before this was recorded)
    page_rotations: Mapped[list[int] | None] = mapped_column(JSONB, default=None)
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
