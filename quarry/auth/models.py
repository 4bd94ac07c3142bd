"""Users, refresh-token families, API keys, rate-limit hits and failed sign-ins."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, func
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


class RateLimitHit(Base):
    """One admitted request of a rate-limited key (bucket and client); shared by every API
    process, and deleted once it leaves the one-minute window."""

    __tablename__ = "rate_limit_hit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (Index("ix_rate_limit_hit_key_at", "key", "at"),)


class LoginFailure(Base):
    """Failed sign-ins of one account (keyed by the SHA-256 of the lower-cased email, so unknown
    emails are counted alike and not stored); a success deletes the row."""

    __tablename__ = "login_failure"

    account_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
