"""`/api/health` (liveness: the process answers) and `/api/ready` (readiness: database, storage,
free disk, workers). An orchestrator restarts on a failing health check and stops sending
traffic on a failing ready check; while the database restarts, only `/api/ready` fails."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from quarry import __version__
from quarry.auth.deps import AdminUser
from quarry.http.deps import RuntimeDep
from quarry.ops import service

router = APIRouter(prefix="/api", tags=["operations"])
metrics_router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/ready", responses={503: {"description": "a dependency is not ready"}})
async def ready(runtime: RuntimeDep) -> JSONResponse:
    found = await service.readiness(runtime)
    body = {
        "status": "ready" if found.ok else "not ready",
        "checks": found.checks,
        "liveWorkers": found.live_workers,
    }
    return JSONResponse(body, status_code=200 if found.ok else 503)


@metrics_router.get("/metrics", response_class=PlainTextResponse)
async def metrics(runtime: RuntimeDep, admin: AdminUser) -> PlainTextResponse:
    """Prometheus metrics: jobs and runs by status, queue entries, live workers (all users'
    counts, so an ADMIN's token or API key is needed: Prometheus' `authorization` setting)."""
    body = await service.metrics_page(runtime)
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4")
