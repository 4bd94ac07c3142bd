"""Run the queue workers: inside `quarry serve` (as a task) or as `quarry worker` (a process).

Two procrastinate workers share the process: one for documents and maintenance
(`WORKER_CONCURRENCY`), one for webhook deliveries (`WEBHOOK_DELIVERY_CONCURRENCY`), so a slow
receiver never takes a slot from extraction and a long extraction never delays a webhook.

Each worker is restarted when it stops on its own: procrastinate stops a worker whose database
connection broke (PostgreSQL killed or restarting), and the process must go on working once
the database is back. Only cancelling (or SIGTERM/SIGINT) stops them for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from quarry.queue.defer import JOBS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE
from quarry.queue.tasks import register

if TYPE_CHECKING:
    from quarry.runtime import Runtime

log = logging.getLogger(__name__)
RESTART_DELAYS = (0.5, 1.0, 2.0, 4.0)  # seconds before restarting a stopped worker, growing
HEALTHY_RUN_SECONDS = 30.0  # a worker that ran this long restarts after the shortest pause


async def run_worker(runtime: Runtime, *, install_signal_handlers: bool) -> None:
    """Process jobs until cancelled (or, with signal handlers, until SIGTERM/SIGINT).

    On stop the workers take no new job and wait for the running ones (up to the extraction
    time limit plus a margin) before giving up on them; a job given up on is found stalled
    and re-run by another worker.
    """
    settings = runtime.settings
    register(runtime.queue)  # the tasks are wired here, when a worker starts, and only here
    await runtime.open_queue()
    common: dict[str, Any] = {
        "additional_context": {"runtime": runtime},
        "update_heartbeat_interval": max(1.0, settings.stalled_after_seconds / 4),
        "stalled_worker_timeout": settings.stalled_after_seconds,
        "fetch_job_polling_interval": 1.0,
        "delete_jobs": "successful",
        "install_signal_handlers": False,
    }
    documents = asyncio.create_task(
        kept_running(
            "documents",
            lambda: runtime.queue.run_worker_async(
                queues=[JOBS_QUEUE, MAINTENANCE_QUEUE],
                name="documents",
                concurrency=settings.worker_concurrency,
                shutdown_graceful_timeout=settings.extraction_timeout_seconds + 30,
                **common,
            ),
        )
    )
    webhooks = asyncio.create_task(
        kept_running(
            "webhooks",
            lambda: runtime.queue.run_worker_async(
                queues=[WEBHOOKS_QUEUE],
                name="webhooks",
                concurrency=settings.webhook_delivery_concurrency,
                shutdown_graceful_timeout=2 * settings.webhook_timeout_seconds + 5,
                **common,
            ),
        )
    )
    with _stop_on_signals(enabled=install_signal_handlers) as stop:
        await _until_first_stops(documents, webhooks, asyncio.create_task(stop.wait()))


async def kept_running(name: str, start: Callable[[], Awaitable[None]]) -> None:
    """Run a worker; whenever it stops or fails, start it again after a short, growing pause."""
    failures = 0
    loop = asyncio.get_running_loop()
    while True:
        started_at = loop.time()
        try:
            await start()
            log.warning("the %s worker stopped; restarting it", name)
        except Exception as exc:  # whatever stopped it, keep working
            log.warning(
                "the %s worker stopped (%s: %s); restarting it", name, type(exc).__name__, exc
            )
        failures = failures + 1 if loop.time() - started_at < HEALTHY_RUN_SECONDS else 0
        await asyncio.sleep(RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)])


@contextlib.contextmanager
def _stop_on_signals(*, enabled: bool) -> Iterator[asyncio.Event]:
    """An event set by SIGTERM/SIGINT (when enabled): the workers then drain and stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if enabled else ()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def _until_first_stops(*tasks: asyncio.Task[Any]) -> None:
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled():
            task.result()
