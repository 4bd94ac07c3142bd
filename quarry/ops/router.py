"""`/api/health` (liveness: the process answers) and `/api/ready` (readiness: database, storage,
free disk, workers). An orchestrator restarts on a failing health check and stops sending
traffic on a failing ready check; while the database restarts, only `/api/ready` fails."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from quarry import __version__
from quarry.auth.deps import AdminUser
from quarry.http.deps import RuntimeDep
from quarry.ops.disk import free_space_check
from quarry.ops.metrics import exposition

router = APIRouter(prefix="/api", tags=["operations"])
metrics_router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/ready", responses={503: {"description": "a dependency is not ready"}})
async def ready(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    checks["database"] = await _check(runtime.db.ping())
    checks["storage"] = await _check(runtime.blobs.check())
    checks["disk"] = await asyncio.to_thread(free_space_check, runtime.settings)
    workers = await _live_workers(runtime) if checks["database"] == "ok" else 0
    checks["workers"] = "ok" if workers > 0 else "no live worker"
    ok = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ok else "not ready", "checks": checks, "liveWorkers": workers}
    return JSONResponse(body, status_code=200 if ok else 503)


@metrics_router.get("/metrics", response_class=PlainTextResponse)
async def metrics(runtime: RuntimeDep, admin: AdminUser) -> PlainTextResponse:
    """Prometheus metrics: jobs and runs by status, queue entries, live workers (all users'
    counts, so an ADMIN's token or API key is needed: Prometheus' `authorization` setting)."""
    async with runtime.db.session() as session:
        body = await exposition(
            session, stalled_after_seconds=runtime.settings.stalled_after_seconds
        )
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4")


async def _check(probe: Any) -> str:
    try:
        await probe
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


async def _live_workers(runtime: RuntimeDep) -> int:
    query = text(
        "SELECT count(*) FROM procrastinate_workers "
        "WHERE last_heartbeat > now() - make_interval(secs => :secs)"
    )
    async with runtime.db.session() as session:
        count = await session.scalar(query, {"secs": runtime.settings.stalled_after_seconds})
    return int(count or 0)
