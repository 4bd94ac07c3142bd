"""Run the queue workers: inside `quarry serve` (as a task) or as `quarry worker` (a process).

Two procrastinate workers share the process: one for documents and maintenance
(`WORKER_CONCURRENCY`), one for webhook deliveries (`WEBHOOK_DELIVERY_CONCURRENCY`), so a slow
receiver never takes a slot from extraction and a long extraction never delays a webhook.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from quarry.queue.app import JOBS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE

if TYPE_CHECKING:
    from quarry.runtime import Runtime


async def run_worker(runtime: Runtime, *, install_signal_handlers: bool) -> None:
    """Process jobs until cancelled (or, with signal handlers, until SIGTERM/SIGINT).

    On stop the workers take no new job and wait for the running ones (up to the extraction
    time limit plus a margin) before giving up on them; a job given up on is found stalled
    and re-run by another worker. When either worker stops, the other is stopped too.
    """
    settings = runtime.settings
    await runtime.open_queue()
    common = {
        "additional_context": {"runtime": runtime},
        "update_heartbeat_interval": max(1.0, settings.stalled_after_seconds / 4),
        "stalled_worker_timeout": settings.stalled_after_seconds,
        "fetch_job_polling_interval": 1.0,
        "delete_jobs": "successful",
    }
    documents = asyncio.create_task(
        runtime.queue.run_worker_async(
            queues=[JOBS_QUEUE, MAINTENANCE_QUEUE],
            name="documents",
            concurrency=settings.worker_concurrency,
            install_signal_handlers=install_signal_handlers,
            shutdown_graceful_timeout=settings.extraction_timeout_seconds + 30,
            **common,  # type: ignore[arg-type]
        )
    )
    webhooks = asyncio.create_task(
        runtime.queue.run_worker_async(
            queues=[WEBHOOKS_QUEUE],
            name="webhooks",
            concurrency=settings.webhook_delivery_concurrency,
            install_signal_handlers=False,
            shutdown_graceful_timeout=2 * settings.webhook_timeout_seconds + 5,
            **common,  # type: ignore[arg-type]
        )
    )
    await _until_first_stops(documents, webhooks)


async def _until_first_stops(*tasks: asyncio.Task[None]) -> None:
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled():
            task.result()
