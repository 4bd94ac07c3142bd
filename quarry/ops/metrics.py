"""Prometheus metrics, read from the database so every API process reports the same numbers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from quarry import __version__

_GAUGES: tuple[tuple[str, str, str], ...] = (
    ("quarry_jobs", "Jobs by status.", "SELECT status, count(*) FROM job GROUP BY status"),
    (
        "quarry_job_runs",
        "Job runs by status.",
        "SELECT status, count(*) FROM job_run GROUP BY status",
    ),
    (
        "quarry_queue_entries",
        "Queue entries by procrastinate status.",
        "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status",
    ),
)
_WORKERS = (
    "SELECT count(*) FROM procrastinate_workers "
    "WHERE last_heartbeat > now() - make_interval(secs => :secs)"
)


async def exposition(session: AsyncSession, *, stalled_after_seconds: float) -> str:
    """The metrics in the Prometheus text format (version 0.0.4)."""
    lines = [
        "# HELP quarry_info Quarry version.",
        "# TYPE quarry_info gauge",
        f'quarry_info{{version="{__version__}"}} 1',
    ]
    for name, help_text, query in _GAUGES:
        rows = (await session.execute(text(query))).all()
        lines += _gauge(name, help_text, ((str(r[0]), int(r[1])) for r in rows))
    alive = await session.scalar(text(_WORKERS), {"secs": stalled_after_seconds})
    lines += [
        "# HELP quarry_workers_alive Queue workers with a recent heartbeat.",
        "# TYPE quarry_workers_alive gauge",
        f"quarry_workers_alive {int(alive or 0)}",
    ]
    return "\n".join(lines) + "\n"


def _gauge(name: str, help_text: str, samples: Iterable[tuple[str, int]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f'{name}{{status="{status}"}} {value}' for status, value in samples]
    return lines
