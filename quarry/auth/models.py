"""Users, refresh-token families, API keys and rate-limit windows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from quarry.core.db import Base, Timestamped, text_enum
from quarry.core.time import utcnow


class Role(StrEnum):
    USER = "USER"
    ADMIN = "ADMIN"


class User(Timestamped, Base):
    __tablename__ = "user_account"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role, 10))
    callback_secret: Mapped[str | None] = mapped_column(String(200), default=None)
    # access tokens issued before this instant are refused (logout-all)
    sessions_revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("uq_user_account_email_lower", func.lower(email), unique=True),)


class RefreshToken(Base):
    """One issued refresh token; a login starts a family, each refresh adds a member."""

    __tablename__ = "refresh_token"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[str] = mapped_column(String(40), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role, 10))
    prefix: Mapped[str] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RateLimitWindow(Base):
    """Requests counted per (bucket, client, minute); shared by every API process."""

    __tablename__ = "rate_limit_window"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
