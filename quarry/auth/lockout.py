"""Per-account backoff on failed sign-ins, beside the per-address rate limit.

Every attempt counts as a failure *before* the password is checked, in its own short
transaction (so parallel guesses cannot slip through while argon2 runs); a success then
deletes the account's row. After `login_max_failures` failures in a row the account waits
`login_backoff_seconds` before the next attempt, doubling with each further failure up to
`login_backoff_max_seconds`. Attempts during a wait are refused without being counted. Failures
are forgotten an hour after the last one (rows are then deleted, a batch at each attempt).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.auth.models import LoginFailure
from quarry.auth.ratelimit import wait_text
from quarry.core.config import Settings
from quarry.core.db import Database
from quarry.core.errors import RateLimited
from quarry.core.time import utcnow

FORGET_AFTER = timedelta(hours=1)
_CLEANUP_BATCH = 100


def account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


async def count_attempt(db: Database, settings: Settings, email: str) -> None:
    """Count a sign-in attempt on `email`; raises RATE_LIMITED while the account must wait."""
    now = utcnow()
    key = account_key(email)
    async with db.transaction() as session:
        row = await _locked_row(session, key, now)
        if row.locked_until is not None and row.locked_until > now:
            _refuse(row.locked_until, now)
        if row.last_failed_at < now - FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failed_at = now
        row.locked_until = _lock_end(settings, row.failures, now)
        await _forget_old(session, key, now)


async def forget(session: AsyncSession, email: str) -> None:
    """A successful sign-in: the account's failures are cleared."""
    await session.execute(
        delete(LoginFailure).where(LoginFailure.account_key == account_key(email))
    )


async def _forget_old(session: AsyncSession, key: str, now: datetime) -> None:
    """Delete a batch of other accounts' rows whose failures are forgotten and wait is over."""
    old = (
        select(LoginFailure.account_key)
        .where(
            LoginFailure.account_key != key,
            LoginFailure.last_failed_at < now - FORGET_AFTER,
            or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until < now),
        )
        .limit(_CLEANUP_BATCH)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(LoginFailure).where(LoginFailure.account_key.in_(old)))


def backoff_seconds(settings: Settings, failures: int) -> float:
    """The wait after `failures` failures in a row (0 below the threshold)."""
    over = failures - settings.login_max_failures
    if over < 0:
        return 0.0
    wait = settings.login_backoff_seconds * 2 ** min(over, 32)
    return float(min(wait, settings.login_backoff_max_seconds))


def _lock_end(settings: Settings, failures: int, now: datetime) -> datetime | None:
    wait = backoff_seconds(settings, failures)
    return now + timedelta(seconds=wait) if wait else None


async def _locked_row(session: AsyncSession, key: str, now: datetime) -> LoginFailure:
    await session.execute(
        insert(LoginFailure)
        .values(account_key=key, failures=0, last_failed_at=now)
        .on_conflict_do_nothing(index_elements=["account_key"])
    )
    row = await session.scalar(
        select(LoginFailure).where(LoginFailure.account_key == key).with_for_update()
    )
    assert row is not None
    return row


def _refuse(until: datetime, now: datetime) -> None:
    retry_after = max(1, math.ceil((until - now).total_seconds()))
    raise RateLimited(
        f"Too many failed sign-ins for this account; try again in {wait_text(retry_after)}",
        retry_after=retry_after,
    )
