"""`quarry worker`: a worker process; SIGTERM drains (finishes running jobs, takes no new ones)."""

from __future__ import annotations

import asyncio
import logging

from quarry.core.config import Settings
from quarry.ops.startup import startup_report
from quarry.queue.worker import run_worker
from quarry.runtime import Role, build_runtime

log = logging.getLogger(__name__)


async def worker(settings: Settings) -> int:
    log.info(startup_report(settings, role="worker", workers_here=True))
    runtime = await asyncio.to_thread(build_runtime, settings, Role.WORKER, migrate_schema=False)
    try:
        await run_worker(runtime, install_signal_handlers=True)
    finally:
        await runtime.close()
    return 0
