"""`quarry db upgrade`: apply migrations to DATABASE_URL or the zero-setup database."""

from __future__ import annotations

from quarry.core import migrate
from quarry.core.config import Settings
from quarry.runtime import Role, database_url_for


def upgrade(settings: Settings) -> int:
    url, embedded = database_url_for(settings, Role.SERVER)
    try:
        migrate.upgrade(url)
    finally:
        if embedded is not None:
            embedded.stop()
    print("database is up to date")
    return 0
