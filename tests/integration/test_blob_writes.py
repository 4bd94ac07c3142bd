"""Files are written to the blob store while no database transaction is open (a slow store,
such as S3 across a network, must not hold row locks and a pooled connection meanwhile)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from quarry.core.config import Settings
from quarry.core.db import libpq_url
from quarry.runtime import Runtime
from quarry.storage.base import StoredBlob
from tests.conftest import make_settings
from tests.integration.helpers import create_schema, pdf

User = dict[str, Any]
# backends of this test's database waiting inside a transaction (no worker runs here)
OPEN_TRANSACTIONS = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND state LIKE 'idle in transaction%'
"""


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"), workers_in_server=False)


@pytest.fixture
def seen_during_writes(
    runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """Open transactions counted at each blob write."""
    seen: list[int] = []
    put_file = runtime.blobs.put_file

    async def watched(path: Path, *, sha256: str, size: int) -> StoredBlob:
        async with await psycopg.AsyncConnection.connect(
            libpq_url(str(settings.database_url))
        ) as conn:
            row = await (await conn.execute(OPEN_TRANSACTIONS)).fetchone()
        seen.append(int(row[0]) if row else -1)
        return await put_file(path, sha256=sha256, size=size)

    monkeypatch.setattr(runtime.blobs, "put_file", watched)
    return seen


async def test_an_uploaded_job_file_is_stored_outside_a_transaction(
    client: httpx.AsyncClient, user: User, seen_during_writes: list[int]
) -> None:
    schema_id = await create_schema(client, user["headers"])
    answer = await client.post(
        "/api/jobs",
        headers={**user["headers"], "Idempotency-Key": "job-1"},
        data={"type": "EXTRACTION", "schemaId": schema_id},
        files={"file": ("invoice.pdf", pdf())},
    )
    assert answer.status_code == 201, answer.text
    assert seen_during_writes == [0]


async def test_the_files_of_a_run_are_stored_outside_a_transaction(
    client: httpx.AsyncClient, user: User, seen_during_writes: list[int]
) -> None:
    schema_id = await create_schema(client, user["headers"])
    files = [
        ("files", ("a.pdf", pdf())),
        ("files", ("b.pdf", pdf("docs/invoice2data-QualityHosting.pdf"))),
    ]
    answer = await client.post(
        "/api/job-runs",
        headers={**user["headers"], "Idempotency-Key": "run-1"},
        data={"schemaId": schema_id, "jobType": "EXTRACTION"},
        files=files,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["totalJobs"] == 2
    assert seen_during_writes == [0, 0]
