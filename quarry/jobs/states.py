"""The job state machine: a pure transition table, no I/O.

    PENDING ──► QUEUED ──► PROCESSING ──► COMPLETED
       │          │  ▲          │  │
       │          │  └─(retry)──┘  └──► FAILED ──(restart)──► QUEUED
       └──────────┴──────┬─────────┘
                         ▼
                     CANCELLED ──(restart)──► QUEUED

PROCESSING ► PROCESSING is a re-start of a job whose worker died (stalled-job recovery).
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset(
        {JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.PROCESSING: frozenset({JobStatus.QUEUED, JobStatus.PROCESSING}),
    JobStatus.COMPLETED: frozenset({JobStatus.PROCESSING}),
    JobStatus.FAILED: frozenset({JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING}),
    JobStatus.CANCELLED: frozenset({JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING}),
    JobStatus.PENDING: frozenset(),
}

EVENT_FOR: dict[JobStatus, str] = {
    JobStatus.QUEUED: "job.queued",
    JobStatus.PROCESSING: "job.started",
    JobStatus.COMPLETED: "job.completed",
    JobStatus.FAILED: "job.failed",
    JobStatus.CANCELLED: "job.cancelled",
}


def sources_for(target: JobStatus) -> frozenset[JobStatus]:
    """The statuses a job may be in to move to `target`."""
    return ALLOWED[target]


def can_move(current: JobStatus, target: JobStatus) -> bool:
    return current in ALLOWED[target]
