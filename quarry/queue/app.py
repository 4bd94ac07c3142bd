"""The procrastinate app, without tasks: `queue/tasks.py` wires them when a worker starts."""

from __future__ import annotations

import procrastinate

from quarry.core.db import libpq_url


def make_queue_app(database_url: str, *, pool_size: int = 4) -> procrastinate.App:
    # procrastinate's pool checks each connection before handing it out, so the dead ones a
    # database restart leaves behind are replaced, not used
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url), min_size=1, max_size=pool_size
    )
    return procrastinate.App(connector=connector)
