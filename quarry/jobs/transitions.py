"""The one writer of job status.

Every change of a job's status goes through `move` (one job) or `queue_new`, `cancel_children`
and `requeue_failed` (many jobs at once). Each locks the run row first and then the job rows
(always in that order, so concurrent writers cannot deadlock), refuses transitions the table in
`states.py` does not allow, adjusts the run's counters and status, writes the events and fans
them out to their webhooks (`webhooks/outbox.py`), all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.errors import Conflict, NotFound
from quarry.core.time import utcnow
from quarry.events import service as events
from quarry.jobs.models import Job
from quarry.jobs.schemas import job_wire
from quarry.jobs.states import EVENT_FOR, TERMINAL, JobStatus, can_move
from quarry.queue.defer import defer_job_processing, defer_run_progress
from quarry.runs.models import JobRun, RunStatus
from quarry.runs.schemas import run_wire
from quarry.webhooks import outbox

_COUNTER = {
    JobStatus.COMPLETED: "completed_jobs",
    JobStatus.FAILED: "failed_jobs",
    JobStatus.CANCELLED: "cancelled_jobs",
}
ACTIVE = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING)
# `Session.info` key of the minimum seconds between two job_run.progress events of a run
# (set by the runtime from WEBHOOK_PROGRESS_INTERVAL_SECONDS)
PROGRESS_INTERVAL_KEY = "quarry.progress_interval_seconds"
DEFAULT_PROGRESS_INTERVAL = 2.0


class IllegalTransition(Conflict):
    """The job's current status does not allow the requested change."""

    def __init__(self, job: Job, target: JobStatus) -> None:
        super().__init__(
            f"Job {job.id} is {job.status}; it cannot become {target}",
            code="JOB_STATE_CONFLICT",
        )
        self.current = job.status


@dataclass(frozen=True)
class Failure:
    code: str
    message: str


async def move(
    session: AsyncSession,
    job_id: str,
    target: JobStatus,
    *,
    attempt: int | None = None,
    failure: Failure | None = None,
    event_extra: dict[str, Any] | None = None,
) -> Job:
    """Move one job to `target`. `attempt` fences out a worker whose attempt was superseded."""
    run = await _lock_run_of(session, job_id)
    job = await session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None:
        raise NotFound(f"Job {job_id} not found", code="JOB_NOT_FOUND")
    if not can_move(job.status, target) or (attempt is not None and job.attempts != attempt):
        raise IllegalTransition(job, target)
    previous = job.status
    _apply(job, target, failure, utcnow())
    await session.flush()
    data = {"job": job_wire(job), **(event_extra or {})}
    event = await events.record(
        session,
        user_id=job.user_id,
        type=EVENT_FOR[target],
        data=data,
        job_id=job.id,
        run_id=run.id if run else None,
    )
    await outbox.fan_out(session, job.user_id, [event], schema_id=job.schema_id)
    if run is not None:
        await _settle_run(session, run, [(previous, target)])
    return job


async def queue_new(session: AsyncSession, jobs: list[Job], run: JobRun | None) -> None:
    """Queue jobs just created (PENDING) in this transaction, and enqueue their processing."""
    now = utcnow()
    for job in jobs:
        _apply(job, JobStatus.QUEUED, None, now)
    await session.flush()
    user_id = jobs[0].user_id
    if run is None:
        for job in jobs:
            event = await events.record(
                session,
                user_id=user_id,
                type="job.queued",
                data={"job": job_wire(job)},
                job_id=job.id,
            )
            await outbox.fan_out(session, user_id, [event], schema_id=job.schema_id)
    else:
        items = [("job.queued", job.id, {"job": job_wire(job)}) for job in jobs]
        await _record_for_run(session, run, items)
    await defer_job_processing(session, [job.id for job in jobs])


async def cancel_children(session: AsyncSession, run: JobRun) -> int:
    """Cancel every unfinished child of a locked run; returns how many were cancelled."""
    now = utcnow()
    ids = list(
        await session.scalars(
            update(Job)
            .where(Job.parent_run_id == run.id, Job.status.in_(ACTIVE))
            .values(status=JobStatus.CANCELLED, completed_at=now, updated_at=now)
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
    )
    if ids:
        jobs = await session.scalars(
            select(Job)
            .where(Job.id.in_(ids))
            .order_by(Job.position)
            .execution_options(populate_existing=True)
        )
        items = [("job.cancelled", job.id, {"job": job_wire(job)}) for job in jobs]
        await _record_for_run(session, run, items)
    run.cancelled_jobs += len(ids)
    await _settle_run(session, run, [])
    return len(ids)


async def requeue_failed(session: AsyncSession, run: JobRun) -> list[Job]:
    """Queue again every FAILED child of a locked run with a fresh set of attempts (a
    `job.queued` event each), reopen the run, and enqueue their processing."""
    jobs = list(
        await session.scalars(
            select(Job)
            .where(Job.parent_run_id == run.id, Job.status == JobStatus.FAILED)
            .order_by(Job.position)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not jobs:
        return []
    now = utcnow()
    for job in jobs:
        _apply(job, JobStatus.QUEUED, None, now)
    await session.flush()
    items = [("job.queued", job.id, {"job": job_wire(job)}) for job in jobs]
    await _record_for_run(session, run, items)
    await _settle_run(session, run, [(JobStatus.FAILED, JobStatus.QUEUED)] * len(jobs))
    await defer_job_processing(session, [job.id for job in jobs])
    return jobs


async def lock_run(session: AsyncSession, run_id: str) -> JobRun | None:
    return await session.get(JobRun, run_id, with_for_update=True, populate_existing=True)


async def lock_job(session: AsyncSession, job_id: str) -> Job | None:
    """Lock a job for a change that is not a status change (run first, as everywhere)."""
    await _lock_run_of(session, job_id)
    return await session.get(Job, job_id, with_for_update=True, populate_existing=True)


async def _lock_run_of(session: AsyncSession, job_id: str) -> JobRun | None:
    run_id = await session.scalar(select(Job.parent_run_id).where(Job.id == job_id))
    return await lock_run(session, run_id) if run_id else None


def _apply(job: Job, target: JobStatus, failure: Failure | None, now: datetime) -> None:
    if not can_move(job.status, target):
        raise IllegalTransition(job, target)
    if target is JobStatus.QUEUED:
        if job.status in TERMINAL:  # a restart begins a fresh set of attempts
            job.attempts = 0
        job.queued_at, job.started_at, job.completed_at = now, None, None
        job.error_code = job.error_message = None
    elif target is JobStatus.PROCESSING:
        job.attempts += 1
        job.started_at = now
    else:
        job.completed_at = now
    if failure is not None:
        job.error_code, job.error_message = failure.code, failure.message
    job.status = target
    job.updated_at = now


async def _settle_run(
    session: AsyncSession, run: JobRun, changes: list[tuple[JobStatus, JobStatus]]
) -> None:
    """Apply counter changes, derive the run's status, write the run's own events."""
    now = utcnow()
    for previous, target in changes:
        if previous in _COUNTER:
            setattr(run, _COUNTER[previous], getattr(run, _COUNTER[previous]) - 1)
        if target in _COUNTER:
            setattr(run, _COUNTER[target], getattr(run, _COUNTER[target]) + 1)
        if target is JobStatus.PROCESSING and run.started_at is None:
            run.started_at = now
    before = run.status
    run.status = _derive_status(run)
    run.completed_at = (run.completed_at or now) if run.status is not RunStatus.PROCESSING else None
    run.updated_at = now
    await session.flush()
    if before is RunStatus.PROCESSING and run.status is not RunStatus.PROCESSING:
        kind = "job_run.failed" if run.status is RunStatus.FAILED else "job_run.completed"
        await _record_for_run(session, run, [(kind, None, {"jobRun": run_wire(run)})])
    elif run.status is RunStatus.PROCESSING and any(
        previous in _COUNTER or target in _COUNTER for previous, target in changes
    ):
        await _progress(session, run, now)


async def _progress(session: AsyncSession, run: JobRun, now: datetime) -> None:
    """`job_run.progress`, at most one per interval; a throttled one is sent when due."""
    interval = float(session.info.get(PROGRESS_INTERVAL_KEY, DEFAULT_PROGRESS_INTERVAL))
    last = run.progress_event_at
    due = last + timedelta(seconds=interval) if last is not None else now
    if now >= due:
        await _write_progress(session, run, now)
    elif not run.progress_pending:
        run.progress_pending = True
        await defer_run_progress(session, run.id, due)


async def _write_progress(session: AsyncSession, run: JobRun, now: datetime) -> None:
    run.progress_event_at, run.progress_pending = now, False
    await _record_for_run(session, run, [("job_run.progress", None, {"jobRun": run_wire(run)})])


async def _record_for_run(
    session: AsyncSession, run: JobRun, items: Sequence[tuple[str, str | None, dict[str, Any]]]
) -> None:
    """Record events of a run (and of its jobs) and fan them out to their webhooks."""
    recorded = await events.record_many(session, user_id=run.user_id, run_id=run.id, items=items)
    await outbox.fan_out(session, run.user_id, recorded, schema_id=run.schema_id)


async def flush_progress(session: AsyncSession, run_id: str) -> None:
    """Write the throttled (trailing) `job_run.progress` of a run that is still processing."""
    run = await lock_run(session, run_id)
    if run is None or not run.progress_pending:
        return
    run.progress_pending = False
    if run.status is RunStatus.PROCESSING:
        await _write_progress(session, run, utcnow())


def _derive_status(run: JobRun) -> RunStatus:
    if run.terminal_jobs < run.total_jobs:
        return RunStatus.PROCESSING
    if run.cancel_requested_at is not None:
        return RunStatus.CANCELLED
    return RunStatus.COMPLETED if run.completed_jobs > 0 else RunStatus.FAILED
