"""Idempotency-Key: the first answer to a creating request is kept 24 h and replayed.

A placeholder row is inserted at the start of the request's transaction. A concurrent request
with the same key waits on that row until the first commits, then replays its answer; if the
first rolled back, the second proceeds as the first. The same key with a different request
(another route or another body fingerprint) → 409 IDEMPOTENCY_KEY_REUSED.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.errors import BadRequest, Conflict
from quarry.core.time import utcnow
from quarry.idempotency.models import IdempotencyRecord

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_once(
    session: AsyncSession,
    *,
    user_id: str,
    key: str | None,
    route: str,
    request_fingerprint: str,
    create: Callable[[], Awaitable[dict[str, Any]]],
    status_code: int = 201,
) -> Answer:
    """Run `create` unless the key already has an answer; keep the answer in this transaction."""
    if key is None:
        return Answer(status_code, await create())
    if not key or len(key) > MAX_KEY_LENGTH:
        raise BadRequest("Idempotency-Key must be 1-255 characters", code="INVALID_IDEMPOTENCY_KEY")
    await _forget_expired(session, user_id, key)
    if not await _claim(session, user_id, key, route, request_fingerprint):
        return await _replay(session, user_id, key, route, request_fingerprint)
    body = await create()
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        .values(status_code=status_code, body=body)
    )
    return Answer(status_code, body)


async def _forget_expired(session: AsyncSession, user_id: str, key: str) -> None:
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at < utcnow() - TTL,
        )
    )


async def _claim(session: AsyncSession, user_id: str, key: str, route: str, fp: str) -> bool:
    inserted = await session.scalar(
        insert(IdempotencyRecord)
        .values(
            user_id=user_id,
            key=key,
            route=route,
            fingerprint=fp,
            status_code=0,
            body={},
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.key)
    )
    return inserted is not None


async def _replay(session: AsyncSession, user_id: str, key: str, route: str, fp: str) -> Answer:
    record = await session.scalar(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    )
    if record is None or record.route != route or record.fingerprint != fp:
        raise Conflict(
            "This Idempotency-Key was already used with a different request",
            code="IDEMPOTENCY_KEY_REUSED",
        )
    return Answer(record.status_code, record.body, replayed=True)
