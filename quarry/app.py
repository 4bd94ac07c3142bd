"""create_app(settings): wires routers, lifespan (database, queue, in-process workers), errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from quarry import __version__
from quarry.auth.router import router as auth_router
from quarry.core.config import Settings
from quarry.documents.router import router as documents_router
from quarry.events.router import router as events_router
from quarry.extraction_schemas.router import router as schemas_router
from quarry.http.deps import json_media_type
from quarry.http.errors import install_error_handlers
from quarry.http.middleware import InputGuardMiddleware, RequestIdMiddleware
from quarry.http.openapi import build_openapi
from quarry.integrations.router import router as integrations_router
from quarry.jobs.router import router as jobs_router
from quarry.ops.router import metrics_router
from quarry.ops.router import router as ops_router
from quarry.ops.sealed import log_unreadable_secrets
from quarry.ops.startup import startup_report
from quarry.queue.worker import run_worker
from quarry.runs.router import router as runs_router
from quarry.runtime import Role, Runtime, build_runtime
from quarry.web.router import install_web
from quarry.webhooks.router import router as webhooks_router

log = logging.getLogger(__name__)


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """The ASGI app. A given `runtime` is used as is (tests); otherwise one is built on start."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        log.info(startup_report(settings, role="server", workers_here=settings.workers_in_server))
        rt = (
            runtime
            if runtime is not None
            else await asyncio.to_thread(build_runtime, settings, Role.SERVER)
        )
        app.state.runtime = rt
        await log_unreadable_secrets(rt.db, rt.secrets)
        await rt.open_queue()
        watchdog = rt.database_watchdog()
        watching = asyncio.create_task(watchdog.run()) if watchdog is not None else None
        worker = _start_worker(rt) if settings.workers_in_server else None
        try:
            yield
        finally:
            if worker is not None:
                await _stop_task(worker)
            if watching is not None:
                await _stop_task(watching)
            if own:
                await rt.close()

    app = FastAPI(
        title="Quarry",
        version=__version__,
        description="Documents in, schema-shaped JSON out. ExtractForm-compatible API.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    _configure(app, settings)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        app.openapi_schema = build_openapi(app)
    return app.openapi_schema


def _configure(app: FastAPI, settings: Settings) -> None:
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    app.router.redirect_slashes = False
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(RequestIdMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    if settings.trusted_proxies:
        # outermost: the client address and scheme are the forwarded ones from here on, but only
        # when the connection comes from a trusted proxy (`quarry serve` leaves them untouched)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    routers = (
        ops_router,
        metrics_router,
        auth_router,
        schemas_router,
        jobs_router,
        documents_router,
        runs_router,
        events_router,
        webhooks_router,
        integrations_router,
    )
    for router in routers:
        app.include_router(router, dependencies=[Depends(json_media_type)])
    install_web(app)


def _start_worker(runtime: Runtime) -> asyncio.Task[None]:
    return asyncio.create_task(run_worker(runtime, install_signal_handlers=False))


async def _stop_task(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
