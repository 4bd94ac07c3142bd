"""The procrastinate app, and deferring tasks inside the caller's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import procrastinate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.db import libpq_url

JOBS_QUEUE = "jobs"
MAINTENANCE_QUEUE = "maintenance"
PROCESS_JOB_TASK = "quarry.process_job"

_DEFER_MANY = text(
    """
    SELECT procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(:queue, :task, 0, j.id, NULL::text, jsonb_build_object('job_id', j.id),
                   CAST(:scheduled_at AS timestamptz))::procrastinate_job_to_defer_v1
        FROM unnest(CAST(:ids AS text[])) AS j(id)
    ))
    """
)


def make_queue_app(database_url: str, *, pool_size: int = 4) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url), min_size=1, max_size=pool_size
    )
    app = procrastinate.App(connector=connector)
    from quarry.queue.tasks import register

    register(app)
    return app


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
