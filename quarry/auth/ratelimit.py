"""Fixed one-minute windows counted in PostgreSQL, so the limit holds across API processes.

Each request is one `INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits` on
(key, minute), in its own short transaction: the count survives when the request it guards
fails (a wrong password must still count), and the row lock lasts milliseconds, not a request.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.auth.models import RateLimitWindow
from quarry.core.db import Database
from quarry.core.errors import RateLimited
from quarry.core.time import utcnow

WINDOW = timedelta(minutes=1)
_KEY_LENGTH = 300
_CLEANUP_BATCH = 1000


async def hit(db: Database, key: str, limit: int, now: datetime | None = None) -> None:
    """Count one request under `key`; raises RATE_LIMITED past `limit` in this minute."""
    now = now or utcnow()
    window = now.replace(second=0, microsecond=0)
    async with db.transaction() as session:
        hits = await _count(session, key[:_KEY_LENGTH], window)
        if hits == 1:
            await _forget_old_windows(session, window - WINDOW)
    if hits > limit:
        retry_after = max(1, math.ceil((window + WINDOW - now).total_seconds()))
        raise RateLimited(
            f"Too many requests; try again in {retry_after} seconds", retry_after=retry_after
        )


async def _count(session: AsyncSession, key: str, window: datetime) -> int:
    statement = (
        insert(RateLimitWindow)
        .values(key=key, window_start=window, hits=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"hits": RateLimitWindow.hits + 1},
        )
        .returning(RateLimitWindow.hits)
    )
    return int((await session.execute(statement)).scalar_one())


async def _forget_old_windows(session: AsyncSession, before: datetime) -> None:
    """Delete a batch of finished windows; rows another process is deleting are skipped."""
    old = (
        select(RateLimitWindow.key, RateLimitWindow.window_start)
        .where(RateLimitWindow.window_start < before)
        .limit(_CLEANUP_BATCH)
        .with_for_update(skip_locked=True)
    )
    pair = tuple_(RateLimitWindow.key, RateLimitWindow.window_start)
    await session.execute(delete(RateLimitWindow).where(pair.in_(old)))
