"""Queue tasks. Payloads are ids; every task is safe to run twice."""

from __future__ import annotations

import procrastinate


def register(app: procrastinate.App) -> None:
    """Attach Quarry's tasks to a procrastinate app (placeholder)."""
