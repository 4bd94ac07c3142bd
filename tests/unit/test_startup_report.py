"""The start-up block names what the process runs with and never prints a secret."""

from __future__ import annotations

from pathlib import Path

from quarry.core.config import Settings
from quarry.ops.startup import describe_private_urls, startup_report, without_password


def settings(**values: object) -> Settings:
    base: dict[str, object] = {
        "QUARRY_DATA_DIR": Path("/srv/quarry"),
        "jwt_access_secret": "j" * 40,
        "webhook_encryption_key": "w" * 40,
        "database_url": None,  # whatever the environment says
        "storage_url": None,
        "allow_private_urls": False,
    }
    return Settings(**{**base, **values})  # type: ignore[arg-type]


def test_database_passwords_are_hidden_in_the_user_part_and_the_query() -> None:
    assert without_password("postgresql://quarry:hunter2@db:5432/quarry?sslmode=require") == (
        "postgresql://quarry:***@db:5432/quarry?sslmode=require"
    )
    assert "hunter2" not in without_password("postgresql://db/quarry?user=q&password=hunter2")
    assert without_password("postgresql://db/quarry") == "postgresql://db/quarry"


def test_s3_storage_shows_the_bucket_and_endpoint_but_not_the_keys() -> None:
    report = startup_report(
        settings(
            storage_url="s3://AKIAEXAMPLE:sup3rsecret@blobs/prod?endpoint=http://minio:9000",
            database_url="postgresql://quarry:hunter2@db/quarry",
            workers_in_server=False,
        ),
        role="server",
        workers_here=False,
    )
    assert "S3 bucket blobs, prefix prod/, endpoint http://minio:9000" in report
    for secret in ("AKIAEXAMPLE", "sup3rsecret", "hunter2", "j" * 40, "w" * 40):
        assert secret not in report
    assert "workers:           none in this process (--no-workers)" in report


def test_the_block_names_every_part_once() -> None:
    report = startup_report(settings(), role="worker", workers_here=True)
    lines = report.splitlines()
    assert lines[0].startswith("Quarry ") and "worker starting (development mode)" in lines[0]
    names = [line.split(":")[0].strip() for line in lines[1:]]
    assert names == [
        "data folder",
        "database",
        "storage",
        "OCR engine",
        "extraction engine",
        "private addresses",
        "workers",
    ]
    assert "embedded PostgreSQL in /srv/quarry/postgres" in report
    assert "local folder /srv/quarry/blobs" in report


def test_the_private_address_allowlist_is_named() -> None:
    line = describe_private_urls(settings(private_url_allowlist="10.0.0.5,192.168.1.0/24:9000"))
    assert line.startswith("blocked")
    assert "10.0.0.5" in line and "192.168.1.0/24:9000" in line
