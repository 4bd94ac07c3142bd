"""The event types Quarry emits, as `GET /api/webhooks/event-catalog` lists them."""

from __future__ import annotations

CATALOG: dict[str, str] = {
    "job.queued": "A job was queued (created, retried after a transient failure, or restarted).",
    "job.started": "A worker started an attempt at a job.",
    "job.completed": "A job finished; `data.extraction.fields` holds the result.",
    "job.failed": "A job failed for good; `data.job.errorCode` says why.",
    "job.cancelled": "A job was cancelled.",
    "job.updated": "A job's extraction was reviewed (PATCH); holds the new fields.",
    "job_run.created": "A batch run was created.",
    "job_run.progress": "A run's counters moved (at most one per run every 2 s by default).",
    "job_run.completed": "A run finished with at least one completed job, or was cancelled.",
    "job_run.failed": "A run finished and none of its jobs completed.",
    "webhook.ping": "A test event sent by POST /api/webhooks/:id/ping.",
    "webhook.send": "An event sent by hand with POST /api/webhooks/:id/send.",
}

RUN_FINAL = frozenset({"job_run.completed", "job_run.failed"})
JOB_FINAL = frozenset({"job.completed", "job.failed", "job.cancelled"})
PROGRESS = "job_run.progress"
# events of one run that must reach an endpoint in order: no progress after the final event
RUN_ORDERED = RUN_FINAL | {PROGRESS}
