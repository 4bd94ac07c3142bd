"""Abandoned uploads (issue 9, item 6): upload URLs not confirmed in time lose their staged bytes,
and a user may hold only MAX_PENDING_UPLOADS_PER_USER of them at once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from quarry.core.config import Settings
from quarry.core.time import utcnow
from quarry.jobs.models import PendingUpload
from quarry.jobs.uploads import expire_uploads
from quarry.queue.app import make_queue_app
from quarry.queue.tasks import register
from quarry.runtime import Runtime
from tests.conftest import make_settings
from tests.integration.helpers import create_schema, pdf

User = dict[str, Any]
CAP = 3


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(
        database_url, tmp_path_factory.mktemp("data"), max_pending_uploads_per_user=CAP
    )


async def new_upload(client: httpx.AsyncClient, user: User) -> httpx.Response:
    return await client.post(
        "/api/jobs/upload-url", headers=user["headers"], json={"filename": "a.pdf"}
    )


def staged_files(settings: Settings) -> list[Path]:
    return [p for p in settings.data_dir.rglob("*") if p.is_file() and "-up_" in p.name]


async def age(runtime: Runtime, key: str) -> None:
    """Make an upload look older than UPLOAD_EXPIRY_SECONDS."""
    async with runtime.db.transaction() as session:
        await session.execute(
            update(PendingUpload)
            .where(PendingUpload.key == key)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


async def test_a_user_holds_at_most_the_cap_of_pending_uploads(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    tickets = [(await new_upload(client, user)).json() for _ in range(CAP)]
    over = await new_upload(client, user)
    assert over.status_code == 409 and over.json()["code"] == "UPLOAD_LIMIT_REACHED"
    assert (await new_upload(client, other_user)).status_code == 201  # per user
    await client.put(tickets[0]["uploadUrl"], content=pdf())
    schema_id = await create_schema(client, user["headers"])
    confirm = {"key": tickets[0]["key"], "filename": "a.pdf", "schemaId": schema_id}
    done = await client.post("/api/jobs/confirm-upload", headers=user["headers"], json=confirm)
    assert done.status_code == 201, done.text
    assert (await new_upload(client, user)).status_code == 201  # a confirmed one frees a place


async def test_unconfirmed_uploads_expire(
    client: httpx.AsyncClient, user: User, runtime: Runtime, settings: Settings
) -> None:
    schema_id = await create_schema(client, user["headers"])
    ticket = (await new_upload(client, user)).json()
    kept = (await new_upload(client, user)).json()
    for upload in (ticket, kept):
        assert (await client.put(upload["uploadUrl"], content=pdf())).status_code == 204
    before = len(staged_files(settings))
    await age(runtime, ticket["key"])
    assert await expire_uploads(runtime.db, runtime.blobs) == 1
    assert len(staged_files(settings)) == before - 1
    assert not [p for p in staged_files(settings) if ticket["key"] in p.name]
    confirm = {"key": ticket["key"], "filename": "a.pdf", "schemaId": schema_id}
    gone = await client.post("/api/jobs/confirm-upload", headers=user["headers"], json=confirm)
    assert gone.status_code == 404 and gone.json()["code"] == "UPLOAD_NOT_FOUND"
    alive = await client.post(
        "/api/jobs/confirm-upload", headers=user["headers"], json={**confirm, "key": kept["key"]}
    )
    assert alive.status_code == 201, alive.text
    assert await expire_uploads(runtime.db, runtime.blobs) == 0


async def test_an_expired_but_unswept_upload_cannot_be_confirmed(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    schema_id = await create_schema(client, user["headers"])
    ticket = (await new_upload(client, user)).json()
    assert (await client.put(ticket["uploadUrl"], content=pdf())).status_code == 204
    await age(runtime, ticket["key"])
    confirm = {"key": ticket["key"], "filename": "a.pdf", "schemaId": schema_id}
    late = await client.post("/api/jobs/confirm-upload", headers=user["headers"], json=confirm)
    assert late.status_code == 404 and late.json()["code"] == "UPLOAD_NOT_FOUND"


def test_the_sweep_is_a_periodic_task(settings: Settings) -> None:
    app = make_queue_app(str(settings.database_url))
    register(app)
    periodic = {task.task.name for task in app.periodic_registry.periodic_tasks.values()}
    assert "quarry.expire_uploads" in periodic
