"""The composition root: settings, database, blob store and queue, started and stopped together.

`quarry serve` and `quarry worker` both build a Runtime. In the zero-setup mode (no
DATABASE_URL) `serve` starts the embedded PostgreSQL in the data folder and `worker --data-dir`
attaches to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

import procrastinate

import quarry.models  # noqa: F401 - every table known to the ORM, whatever the process imports
from quarry.core import migrate
from quarry.core.config import Settings
from quarry.core.crypto import SecretBox
from quarry.core.db import Database
from quarry.core.embedded_pg import EmbeddedPostgres
from quarry.core.pg_watchdog import PostgresWatchdog
from quarry.jobs.transitions import PROGRESS_INTERVAL_KEY
from quarry.queue.app import make_queue_app
from quarry.storage.base import BlobStore
from quarry.storage.factory import blob_store

log = logging.getLogger(__name__)


class Role(StrEnum):
    SERVER = "server"
    WORKER = "worker"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    blobs: BlobStore
    queue: procrastinate.App
    embedded: EmbeddedPostgres | None = None
    _queue_open: bool = field(default=False, repr=False)

    @property
    def secrets(self) -> SecretBox:
        """Seals secrets at rest with WEBHOOK_ENCRYPTION_KEY."""
        return SecretBox(self.settings.webhook_encryption_key)

    def database_watchdog(self) -> PostgresWatchdog | None:
        """A watchdog restarting the embedded server this process owns; None otherwise."""
        if self.embedded is None:
            return None
        return PostgresWatchdog(self.embedded, self.db.dispose)

    async def open_queue(self) -> None:
        if not self._queue_open:
            await self.queue.open_async()
            self._queue_open = True

    async def close(self) -> None:
        if self._queue_open:
            await self.queue.close_async()
            self._queue_open = False
        await self.db.dispose()
        if self.embedded is not None:
            self.embedded.stop()


def database_url_for(settings: Settings, role: Role) -> tuple[str, EmbeddedPostgres | None]:
    """The URL to use, starting (server) or attaching to (worker) the embedded server if needed."""
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir)
    if role is Role.SERVER:
        url = embedded.start()
        embedded.adopt()
        return url, embedded
    return embedded.attach(), None


def build_runtime(settings: Settings, role: Role, *, migrate_schema: bool = True) -> Runtime:
    url, embedded = database_url_for(settings, role)
    try:
        if migrate_schema:
            migrate.upgrade(url)
        pool = settings.worker_concurrency + settings.webhook_delivery_concurrency + 4
        db = Database(url, pool_size=pool)
        # handed to jobs/transitions.py through every session (it has no settings of its own)
        db.sessions.configure(
            info={PROGRESS_INTERVAL_KEY: settings.webhook_progress_interval_seconds}
        )
        return Runtime(
            settings=settings,
            db=db,
            blobs=blob_store(settings.storage_url, settings.data_dir),
            queue=make_queue_app(url, pool_size=pool),
            embedded=embedded,
        )
    except Exception:
        if embedded is not None:
            embedded.stop()
        raise
