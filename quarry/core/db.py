"""The database: one async SQLAlchemy engine on PostgreSQL (psycopg 3), sessions, the ORM base."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import psycopg
from sqlalchemy import DateTime, Enum, MetaData, Select, func, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from quarry.core.errors import DatabaseUnavailable, QuarryError, StorageFull, is_disk_full
from quarry.core.time import utcnow

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def text_enum(enum: type[StrEnum], length: int = 20) -> Enum:
    """A StrEnum column stored as plain text (no database enum type to migrate)."""
    return Enum(
        enum,
        native_enum=False,
        length=length,
        create_constraint=False,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
    }


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


async def fetch_page(
    session: AsyncSession, query: Select[T], *order_by: Any, offset: int, limit: int
) -> tuple[list[T], int]:
    """One page of a query's rows in the given order, and how many rows there are in all."""
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(*order_by).offset(offset).limit(limit))
    return list(rows), int(total or 0)


def sqlalchemy_url(database_url: str) -> str:
    """Accept `postgres://`, `postgresql://` or an explicit driver; always use psycopg 3."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://...)")


def libpq_url(database_url: str) -> str:
    """The same URL in the form psycopg and libpq accept."""
    return "postgresql://" + sqlalchemy_url(database_url)[len("postgresql+psycopg://") :]


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, database_url: str, *, pool_size: int = 10) -> None:
        self.url = database_url
        self.engine: AsyncEngine = create_async_engine(
            sqlalchemy_url(database_url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any exception."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def translate_failure(exc: BaseException) -> QuarryError | None:
    """The coded error behind a database or disk failure, or None when it is a real bug.

    PostgreSQL out of disk (SQLSTATE 53100) and ENOSPC/EDQUOT are `StorageFull`; a connection
    that cannot be made, was cut (server killed, restarting, shutting down) or a pool with no
    free connection is `DatabaseUnavailable`.
    """
    if is_disk_full(exc):
        return StorageFull()
    original = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    if isinstance(original, psycopg.errors.DiskFull):
        return StorageFull("The database's disk is full; nothing was kept")
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return DatabaseUnavailable()
    if isinstance(original, psycopg.OperationalError | psycopg.InterfaceError):
        return DatabaseUnavailable()
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return DatabaseUnavailable()
    return None
