"""Deferring queue work inside the caller's own transaction: queue and task names, enqueue helpers.

A leaf module: it knows the queue's SQL functions and nothing of the domain, so any service can
enqueue work without importing the task handlers (those are wired in `queue/tasks.py`, at worker
start-up only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

JOBS_QUEUE = "jobs"
MAINTENANCE_QUEUE = "maintenance"
PROCESS_JOB_TASK = "quarry.process_job"
WEBHOOKS_QUEUE = "webhooks"
DELIVER_WEBHOOK_TASK = "quarry.deliver_webhook"
RUN_PROGRESS_TASK = "quarry.run_progress"

_DEFER_MANY = text(
    """
    SELECT procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(:queue, :task, 0, j.id, NULL::text, jsonb_build_object('job_id', j.id),
                   CAST(:scheduled_at AS timestamptz))::procrastinate_job_to_defer_v1
        FROM unnest(CAST(:ids AS text[])) AS j(id)
    ))
    """
)


async def defer_job_processing(
    session: AsyncSession, job_ids: list[str], *, scheduled_at: datetime | None = None
) -> None:
    """Enqueue `process_job` for each job id in the session's transaction (transactional enqueue).

    The procrastinate `lock` is the job id, so two queue entries of one job never run at once.
    """
    if not job_ids:
        return
    params: dict[str, Any] = {
        "queue": JOBS_QUEUE,
        "task": PROCESS_JOB_TASK,
        "ids": job_ids,
        "scheduled_at": scheduled_at,
    }
    await session.execute(_DEFER_MANY, params)


_DEFER_DELIVERIES = text(
    """
    SELECT procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(:queue, :task, 0, d.id, NULL::text, jsonb_build_object('delivery_id', d.id),
                   CAST(:scheduled_at AS timestamptz))::procrastinate_job_to_defer_v1
        FROM unnest(CAST(:ids AS text[])) AS d(id)
    ))
    """
)
_BRING_FORWARD = text(
    "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE lock = :lock AND status = 'todo'"
)
_DEFER_PROGRESS = text(
    """
    SELECT procrastinate_defer_jobs_v1(ARRAY[
        ROW(:queue, :task, 0, NULL::text, NULL::text,
            jsonb_build_object('run_id', CAST(:run_id AS text)),
            CAST(:scheduled_at AS timestamptz))::procrastinate_job_to_defer_v1
    ])
    """
)


async def defer_deliveries(
    session: AsyncSession, delivery_ids: list[str], *, scheduled_at: datetime | None = None
) -> None:
    """Enqueue `deliver_webhook` for each delivery in the session's transaction.

    The `lock` is the delivery id: two attempts at one delivery never run at once, and they
    run in the order they were enqueued.
    """
    if not delivery_ids:
        return
    params: dict[str, Any] = {
        "queue": WEBHOOKS_QUEUE,
        "task": DELIVER_WEBHOOK_TASK,
        "ids": delivery_ids,
        "scheduled_at": scheduled_at,
    }
    await session.execute(_DEFER_DELIVERIES, params)


async def deliver_now(session: AsyncSession, delivery_id: str) -> None:
    """Run a delivery's waiting attempt now, or enqueue one if none waits (redeliver)."""
    result = await session.execute(_BRING_FORWARD, {"lock": delivery_id})
    if getattr(result, "rowcount", 0) == 0:
        await defer_deliveries(session, [delivery_id])


async def defer_run_progress(session: AsyncSession, run_id: str, scheduled_at: datetime) -> None:
    """Enqueue the trailing `job_run.progress` of a run, due at `scheduled_at`."""
    params = {
        "queue": WEBHOOKS_QUEUE,
        "task": RUN_PROGRESS_TASK,
        "run_id": run_id,
        "scheduled_at": scheduled_at,
    }
    await session.execute(_DEFER_PROGRESS, params)
