"""`quarry serve`: the API with in-process workers (unless --no-workers)."""

from __future__ import annotations

import uvicorn

from quarry.app import create_app
from quarry.core.config import Settings


def serve(settings: Settings) -> int:
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=int(settings.extraction_timeout_seconds) + 30,
    )
    return 0
