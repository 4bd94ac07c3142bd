"""A sliding one-minute window counted in PostgreSQL, so the limit holds across API processes.

Each admitted request is a row (key, instant). A request is admitted while fewer than `limit`
rows of its key lie in the last 60 seconds, whatever the calendar minute (a burst across a
minute boundary is not let through twice); a refused request is not recorded, and its
Retry-After is exactly when the oldest counted request leaves the window. Each check is one
short transaction of its own, serialised per key by an advisory lock, so the count survives
when the request it guards fails (a wrong password must still count), and concurrent requests
cannot both take the last place.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.auth.models import RateLimitHit
from quarry.core.db import Database
from quarry.core.errors import RateLimited
from quarry.core.time import utcnow

WINDOW = timedelta(minutes=1)
# the two-number advisory locks of this space never meet the one-number ones used elsewhere
_LOCK_SPACE = 0x5251_4C54
_KEY_LENGTH = 300
_CLEANUP_BATCH = 1000


async def hit(db: Database, key: str, limit: int, now: datetime | None = None) -> None:
    """Count one request under `key`; raises RATE_LIMITED when `limit` were admitted in the
    last minute."""
    now = now or utcnow()
    key = key[:_KEY_LENGTH]
    async with db.transaction() as session:
        await session.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, func.hashtext(key))))
        recent = await _recent(session, key, now, limit)
        if len(recent) >= limit:
            retry_after = max(1, math.ceil((recent[-1] + WINDOW - now).total_seconds()))
            message = f"Too many requests; try again in {wait_text(retry_after)}"
            raise RateLimited(message, retry_after=retry_after)
        session.add(RateLimitHit(key=key, at=now))
        await _forget_old_hits(session, now - WINDOW)


def wait_text(seconds: int) -> str:
    return "1 second" if seconds == 1 else f"{seconds} seconds"


async def _recent(session: AsyncSession, key: str, now: datetime, limit: int) -> list[datetime]:
    """The newest `limit` instants of `key` in the window, newest first."""
    rows = await session.scalars(
        select(RateLimitHit.at)
        .where(RateLimitHit.key == key, RateLimitHit.at > now - WINDOW, RateLimitHit.at <= now)
        .order_by(RateLimitHit.at.desc())
        .limit(limit)
    )
    return list(rows)


async def _forget_old_hits(session: AsyncSession, before: datetime) -> None:
    """Delete a batch of hits that left the window; rows another process deletes are skipped."""
    old = (
        select(RateLimitHit.id)
        .where(RateLimitHit.at <= before)
        .limit(_CLEANUP_BATCH)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(RateLimitHit).where(RateLimitHit.id.in_(old)))
