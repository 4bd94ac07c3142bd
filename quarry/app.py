"""create_app(settings): wires routers, lifespan (database, queue, in-process workers), errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from quarry import __version__
from quarry.auth.router import router as auth_router
from quarry.core.api_model import ErrorOut
from quarry.core.config import Settings
from quarry.documents.router import router as documents_router
from quarry.events.router import router as events_router
from quarry.extraction_schemas.router import router as schemas_router
from quarry.http.errors import install_error_handlers
from quarry.http.middleware import RequestIdMiddleware
from quarry.integrations.router import router as integrations_router
from quarry.jobs.router import router as jobs_router
from quarry.ops.router import metrics_router
from quarry.ops.router import router as ops_router
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
        rt = (
            runtime
            if runtime is not None
            else await asyncio.to_thread(build_runtime, settings, Role.SERVER)
        )
        app.state.runtime = rt
        await rt.open_queue()
        worker = _start_worker(rt) if settings.workers_in_server else None
        try:
            yield
        finally:
            if worker is not None:
                await _stop_worker(worker)
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
    """The OpenAPI document, saying what the API really answers to invalid input: 400."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema["components"]["schemas"]
        error = ErrorOut.model_json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}"
        )
        components.update(error.pop("$defs", {}), ErrorOut=error)
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        invalid = {
            "description": "Invalid input",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
        for operations in schema["paths"].values():
            for operation in operations.values():
                if operation.get("responses", {}).pop("422", None) is not None:
                    operation["responses"]["400"] = invalid
        app.openapi_schema = schema
    return app.openapi_schema


def _configure(app: FastAPI, settings: Settings) -> None:
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
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
        app.include_router(router)
    install_web(app)


def _start_worker(runtime: Runtime) -> asyncio.Task[None]:
    return asyncio.create_task(run_worker(runtime, install_signal_handlers=False))


async def _stop_worker(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
