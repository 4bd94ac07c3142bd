"""At start-up: which secrets sealed at rest the configured WEBHOOK_ENCRYPTION_KEY cannot open.

A changed key makes every value sealed with the old one unreadable: webhook endpoints' signing
secrets (and a previous secret still in its grace period), users' callback secrets, and
integrations' credentials. Nothing breaks at start, so the log says which ones, by kind, count
and id, and what to do; each is also reported where it is used (a DEAD delivery, 409
`SECRET_UNREADABLE` on the callback secret, an integration in ERROR).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from quarry.auth.models import User
from quarry.core.crypto import SealedValueError, SecretBox
from quarry.core.db import Database
from quarry.core.time import utcnow
from quarry.integrations.models import Integration
from quarry.integrations.providers import PURPOSE as CREDENTIALS_SEAL
from quarry.webhooks.models import WebhookEndpoint
from quarry.webhooks.service import CALLBACK_SEAL, ENDPOINT_SEAL

log = logging.getLogger(__name__)
_IDS_SHOWN = 20


@dataclass
class SealedReport:
    """Ids of the sealed values that cannot be opened, by kind; and how many were checked."""

    checked: int = 0
    unreadable: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total_unreadable(self) -> int:
        return sum(len(ids) for ids in self.unreadable.values())


def _sources() -> Sequence[tuple[str, str, Any]]:
    """(kind, purpose, a query of (id, sealed value)) of everything sealed at rest."""
    live = WebhookEndpoint.deleted_at.is_(None)
    return (
        (
            "webhook endpoint secrets",
            ENDPOINT_SEAL,
            select(WebhookEndpoint.id, WebhookEndpoint.secret_sealed).where(live),
        ),
        (
            "webhook endpoint previous secrets",
            ENDPOINT_SEAL,
            select(WebhookEndpoint.id, WebhookEndpoint.previous_secret_sealed).where(
                live, WebhookEndpoint.previous_secret_expires_at > utcnow()
            ),
        ),
        ("callback secrets", CALLBACK_SEAL, select(User.id, User.callback_secret)),
        (
            "integration credentials",
            CREDENTIALS_SEAL,
            select(Integration.id, Integration.credentials_sealed),
        ),
    )


async def check_sealed(db: Database, box: SecretBox) -> SealedReport:
    """Try to open every sealed value with `box`."""
    report = SealedReport()
    async with db.transaction() as session:
        for kind, purpose, query in _sources():
            rows = await session.stream(query.execution_options(yield_per=500))
            async for row in rows:
                row_id, sealed = str(row[0]), row[1]
                if sealed is None:
                    continue
                report.checked += 1
                if not _opens(box, sealed, purpose):
                    report.unreadable.setdefault(kind, []).append(row_id)
    return report


def _opens(box: SecretBox, sealed: str, purpose: str) -> bool:
    try:
        box.open(sealed, purpose=purpose)
    except SealedValueError:
        return False
    return True


async def log_unreadable_secrets(db: Database, box: SecretBox) -> SealedReport:
    report = await check_sealed(db, box)
    if not report.total_unreadable:
        log.info("sealed secrets: all %d open with WEBHOOK_ENCRYPTION_KEY", report.checked)
        return report
    parts = [f"{kind}: {len(ids)} ({_shown(ids)})" for kind, ids in report.unreadable.items()]
    log.warning(
        "WEBHOOK_ENCRYPTION_KEY cannot open %d of %d sealed secrets (was the key changed?): "
        "%s. Rotate the endpoints' and callback secrets, reconnect or re-create the "
        "integrations, or restore the previous key",
        report.total_unreadable,
        report.checked,
        "; ".join(parts),
    )
    return report


def _shown(ids: list[str]) -> str:
    shown = ", ".join(ids[:_IDS_SHOWN])
    return shown if len(ids) <= _IDS_SHOWN else f"{shown}, and {len(ids) - _IDS_SHOWN} more"
