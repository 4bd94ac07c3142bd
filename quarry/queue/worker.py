"""Run the queue worker: inside `quarry serve` (as a task) or as `quarry worker` (a process)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quarry.queue.app import JOBS_QUEUE, MAINTENANCE_QUEUE

if TYPE_CHECKING:
    from quarry.runtime import Runtime


async def run_worker(runtime: Runtime, *, install_signal_handlers: bool) -> None:
    """Process jobs until cancelled (or, with signal handlers, until SIGTERM/SIGINT).

    On stop the worker takes no new job and waits for the running ones (up to the
    extraction time limit plus a margin) before giving up on them; a job given up on is
    found stalled and re-run by another worker.
    """
    settings = runtime.settings
    await runtime.open_queue()
    await runtime.queue.run_worker_async(
        queues=[JOBS_QUEUE, MAINTENANCE_QUEUE],
        concurrency=settings.worker_concurrency,
        install_signal_handlers=install_signal_handlers,
        additional_context={"runtime": runtime},
        update_heartbeat_interval=max(1.0, settings.stalled_after_seconds / 4),
        stalled_worker_timeout=settings.stalled_after_seconds,
        shutdown_graceful_timeout=settings.extraction_timeout_seconds + 30,
        fetch_job_polling_interval=1.0,
        delete_jobs="successful",
    )
