"""Queue tasks. Payloads are ids; every task is safe to run twice.

- `quarry.process_job(job_id)`: one attempt at one job (see jobs/processing.py).
- `quarry.retry_stalled` (every 5 s): jobs whose worker stopped sending heartbeats go back to
  the queue; the next attempt finds the job PROCESSING and starts it again.
- `quarry.reconcile` (every 30 s): a job QUEUED or PROCESSING with no queue entry left (its
  task crashed past procrastinate) is enqueued again, so no job waits forever.
- `quarry.deliver_webhook(delivery_id)`: one attempt at one webhook delivery
  (see webhooks/delivery.py); `quarry.sweep_webhooks` (every 15 s) re-enqueues open
  deliveries left without a queue entry.
- `quarry.run_progress(run_id)`: the trailing, throttled `job_run.progress` of a run.
- `quarry.expire_uploads` (every minute): staged bytes of upload URLs not confirmed within
  `UPLOAD_EXPIRY_SECONDS` are deleted, and the user's pending count goes down.

A task cut short because the database went away (killed, restarting) is run again a second
later (`DATABASE_RETRY`), as soon as the queue can record that, instead of waiting for
`reconcile`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import procrastinate
import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from quarry.jobs.processing import process_job as run_job
from quarry.jobs.transitions import flush_progress
from quarry.jobs.uploads import expire_uploads as expire
from quarry.queue.defer import (
    DELIVER_WEBHOOK_TASK,
    JOBS_QUEUE,
    MAINTENANCE_QUEUE,
    PROCESS_JOB_TASK,
    RUN_PROGRESS_TASK,
    WEBHOOKS_QUEUE,
    defer_job_processing,
)
from quarry.webhooks.delivery import deliver, sweep

if TYPE_CHECKING:
    from quarry.runtime import Runtime

log = logging.getLogger(__name__)

_ORPHANS = text(
    """
    SELECT j.id FROM job j
    WHERE j.status IN ('QUEUED', 'PROCESSING')
      AND j.updated_at < now() - make_interval(secs => :grace)
      AND NOT EXISTS (
        SELECT 1 FROM procrastinate_jobs p
        WHERE p.lock = j.id AND p.status IN ('todo', 'doing'))
    ORDER BY j.updated_at LIMIT 500
    """
)


DATABASE_RETRY = procrastinate.RetryStrategy(
    max_attempts=30,
    wait=1,
    retry_exceptions={
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        psycopg.OperationalError,
        psycopg.InterfaceError,
    },
)


def _runtime(context: procrastinate.JobContext) -> Runtime:
    runtime: Runtime = context.additional_context["runtime"]
    return runtime


def register(app: procrastinate.App) -> None:
    """Attach Quarry's tasks to a procrastinate app (once; a second call changes nothing)."""
    if PROCESS_JOB_TASK in app.tasks:
        return

    @app.task(name=PROCESS_JOB_TASK, queue=JOBS_QUEUE, pass_context=True, retry=DATABASE_RETRY)
    async def process_job(context: procrastinate.JobContext, job_id: str) -> None:
        await run_job(_runtime(context), job_id)

    @app.periodic(cron="* * * * * */5")
    @app.task(
        name="quarry.retry_stalled",
        queue=MAINTENANCE_QUEUE,
        queueing_lock="quarry.retry_stalled",
        pass_context=True,
    )
    async def retry_stalled(context: procrastinate.JobContext, timestamp: int) -> None:
        settings = _runtime(context).settings
        manager = context.app.job_manager
        for job in await manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.stalled_after_seconds
        ):
            log.warning("re-queueing stalled queue job %s (%s)", job.id, job.task_kwargs)
            await manager.retry_job(job)

    @app.periodic(cron="* * * * * */30")
    @app.task(
        name="quarry.reconcile",
        queue=MAINTENANCE_QUEUE,
        queueing_lock="quarry.reconcile",
        pass_context=True,
    )
    async def reconcile(context: procrastinate.JobContext, timestamp: int) -> None:
        runtime = _runtime(context)
        grace = runtime.settings.stalled_after_seconds * 4
        async with runtime.db.transaction() as session:
            ids = list(await session.scalars(_ORPHANS, {"grace": grace}))
            if ids:
                log.warning("re-enqueueing %d jobs with no queue entry", len(ids))
                await defer_job_processing(session, ids)

    @app.periodic(cron="* * * * *")
    @app.task(
        name="quarry.expire_uploads",
        queue=MAINTENANCE_QUEUE,
        queueing_lock="quarry.expire_uploads",
        pass_context=True,
    )
    async def expire_uploads(context: procrastinate.JobContext, timestamp: int) -> None:
        runtime = _runtime(context)
        dropped = await expire(runtime.db, runtime.blobs)
        if dropped:
            log.info("dropped %d upload(s) never confirmed", dropped)

    _register_webhook_tasks(app)


def _register_webhook_tasks(app: procrastinate.App) -> None:
    @app.task(
        name=DELIVER_WEBHOOK_TASK, queue=WEBHOOKS_QUEUE, pass_context=True, retry=DATABASE_RETRY
    )
    async def deliver_webhook(context: procrastinate.JobContext, delivery_id: str) -> None:
        await deliver(_runtime(context), delivery_id)

    @app.task(name=RUN_PROGRESS_TASK, queue=WEBHOOKS_QUEUE, pass_context=True, retry=DATABASE_RETRY)
    async def run_progress(context: procrastinate.JobContext, run_id: str) -> None:
        async with _runtime(context).db.transaction() as session:
            await flush_progress(session, run_id)

    @app.periodic(cron="* * * * * */15")
    @app.task(
        name="quarry.sweep_webhooks",
        queue=WEBHOOKS_QUEUE,
        queueing_lock="quarry.sweep_webhooks",
        pass_context=True,
    )
    async def sweep_webhooks(context: procrastinate.JobContext, timestamp: int) -> None:
        await sweep(_runtime(context))
