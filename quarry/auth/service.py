"""Placeholder: authentication is being built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.config import Settings
from quarry.core.errors import Unauthorized

if TYPE_CHECKING:
    from quarry.auth.deps import Principal


async def authenticate(session: AsyncSession, settings: Settings, token: str) -> Principal:
    raise Unauthorized("not implemented yet")
