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
        # uvicorn would trust X-Forwarded-For from 127.0.0.1; the app trusts only TRUSTED_PROXIES
        proxy_headers=False,
        timeout_graceful_shutdown=int(settings.extraction_timeout_seconds) + 30,
    )
    return 0
