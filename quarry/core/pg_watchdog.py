"""Keep the embedded PostgreSQL running: notice its death, restart it, drop dead connections.

`quarry serve` in the zero-setup mode owns the server, so it also watches it: every
`interval` seconds it checks that the postmaster lives (a pid-file read, no connection). When
the server is gone (killed, crashed, stopped by hand) it is started again on the same folder,
retrying until it comes up, and the connection pool is emptied so no request gets a socket to
the dead server. While it is down, requests answer 503 DATABASE_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from quarry.core.embedded_pg import EmbeddedPostgres

log = logging.getLogger(__name__)


class PostgresWatchdog:
    def __init__(
        self,
        embedded: EmbeddedPostgres,
        on_restart: Callable[[], Awaitable[None]],
        *,
        interval: float = 1.0,
    ) -> None:
        self.embedded = embedded
        self.on_restart = on_restart
        self.interval = interval
        self.restarts = 0

    async def run(self) -> None:
        """Watch until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            if not await asyncio.to_thread(self.embedded.is_alive):
                await self._restart()

    async def _restart(self) -> None:
        died_at = time.monotonic()
        log.error("the embedded PostgreSQL in %s is not running; restarting it", self.embedded.root)
        while True:
            try:
                await asyncio.to_thread(self.embedded.start)
                break
            except Exception as exc:  # any failure: log it, try again
                log.error("could not restart the embedded PostgreSQL (%s); retrying", exc)
                await asyncio.sleep(self.interval)
        await self.on_restart()
        self.restarts += 1
        log.warning(
            "the embedded PostgreSQL is running again (down for %.1f s)",
            time.monotonic() - died_at,
        )
