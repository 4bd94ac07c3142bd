"""Operations behind `/api/ready` and `/metrics`: probes of the process's dependencies and the
metrics page. No HTTP here; `ops/router.py` turns the results into responses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text

from quarry.ops.disk import free_space_check
from quarry.ops.metrics import exposition

if TYPE_CHECKING:
    from quarry.core.db import Database
    from quarry.runtime import Runtime

_LIVE_WORKERS = text(
    "SELECT count(*) FROM procrastinate_workers "
    "WHERE last_heartbeat > now() - make_interval(secs => :secs)"
)


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]  # database, storage, disk, workers: "ok" or what is wrong
    live_workers: int

    @property
    def ok(self) -> bool:
        return all(value == "ok" for value in self.checks.values())


async def readiness(runtime: Runtime) -> Readiness:
    """Database, storage, free disk and live queue workers, each "ok" or what is wrong."""
    checks: dict[str, str] = {}
    checks["database"] = await _check(runtime.db.ping())
    checks["storage"] = await _check(runtime.blobs.check())
    checks["disk"] = await asyncio.to_thread(free_space_check, runtime.settings)
    stalled_after = runtime.settings.stalled_after_seconds
    workers = await live_workers(runtime.db, stalled_after) if checks["database"] == "ok" else 0
    checks["workers"] = "ok" if workers > 0 else "no live worker"
    return Readiness(checks, workers)


async def metrics_page(runtime: Runtime) -> str:
    """The Prometheus metrics of every user's jobs, runs, queue entries and workers."""
    async with runtime.db.session() as session:
        return await exposition(
            session, stalled_after_seconds=runtime.settings.stalled_after_seconds
        )


async def live_workers(db: Database, stalled_after_seconds: float) -> int:
    """Queue workers that sent a heartbeat within `stalled_after_seconds`."""
    async with db.session() as session:
        count = await session.scalar(_LIVE_WORKERS, {"secs": stalled_after_seconds})
    return int(count or 0)


async def _check(probe: Awaitable[object]) -> str:
    try:
        await probe
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"
