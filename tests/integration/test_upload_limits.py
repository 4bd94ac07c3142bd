"""A file past MAX_FILE_SIZE is refused with 413 as it arrives, and leaves nothing behind."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from quarry.core.config import Settings
from tests.conftest import make_settings
from tests.integration.helpers import create_schema, pdf

User = dict[str, Any]
LIMIT = 20_000


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"), max_file_size=LIMIT)


def leftovers(settings: Settings) -> list[str]:
    tmp = settings.data_dir / "tmp"
    return [p.name for p in tmp.iterdir()] if tmp.exists() else []


@pytest.mark.parametrize(
    "route, field, extra",
    [
        ("/api/jobs", "file", {"type": "EXTRACTION"}),
        ("/api/job-runs", "files", {"jobType": "EXTRACTION"}),
    ],
)
async def test_a_file_over_the_limit_is_413(
    client: httpx.AsyncClient,
    user: User,
    settings: Settings,
    route: str,
    field: str,
    extra: dict[str, str],
) -> None:
    schema_id = await create_schema(client, user["headers"])
    big = pdf()
    assert len(big) > LIMIT
    answer = await client.post(
        route,
        headers=user["headers"],
        files={field: ("big.pdf", big)},
        data={"schemaId": schema_id, **extra},
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "FILE_TOO_LARGE"
    assert leftovers(settings) == []
    listed = (
        await client.get("/api/jobs", headers=user["headers"], params={"schemaId": schema_id})
    ).json()
    assert listed["total"] == 0


async def test_a_staged_upload_over_the_limit_is_413(client: httpx.AsyncClient, user: User) -> None:
    ticket = (
        await client.post(
            "/api/jobs/upload-url", headers=user["headers"], json={"filename": "big.pdf"}
        )
    ).json()
    answer = await client.put(ticket["uploadUrl"], content=pdf())
    assert answer.status_code == 413 and answer.json()["code"] == "FILE_TOO_LARGE"
