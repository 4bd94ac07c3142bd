"""One contract for every blob store: the local folder and S3 (moto's real S3 wire protocol)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from quarry.storage.base import BlobStore, BlobTooLarge
from quarry.storage.factory import blob_store
from quarry.storage.local import LocalBlobStore
from quarry.storage.s3 import S3BlobStore, parse_storage_url
from tests.fakes.s3_server import MotoS3, moto_s3

BUCKET = "quarry-contract"
DATA = b"%PDF-1.4 contract bytes " * 1000
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(scope="module")
def s3() -> Iterator[MotoS3]:
    with moto_s3() as server:
        server.bucket(BUCKET)
        yield server


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    server: MotoS3 = request.getfixturevalue("s3")
    url = f"s3://testing:testing@{BUCKET}/{tmp_path.name}?endpoint={server.endpoint_url}"
    return blob_store(url, tmp_path)


async def chunks(data: bytes, size: int = 7000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read(store: BlobStore, key: str) -> bytes:
    async with store.local_path(key) as path:
        return path.read_bytes()


async def test_a_stream_is_stored_under_its_hash(store: BlobStore) -> None:
    blob = await store.put_stream(chunks(DATA), max_size=len(DATA))
    assert (blob.sha256, blob.size, blob.key) == (DIGEST, len(DATA), f"sha256/{DIGEST}")
    assert await store.exists(blob.key)
    assert await read(store, blob.key) == DATA
    again = await store.put_stream(chunks(DATA), max_size=len(DATA))
    assert again == blob


async def test_a_stream_past_the_limit_keeps_nothing(store: BlobStore) -> None:
    with pytest.raises(BlobTooLarge):
        await store.put_stream(chunks(DATA), max_size=len(DATA) - 1)
    assert not await store.exists(f"sha256/{DIGEST}")


async def test_a_file_is_taken_over(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(DATA)
    blob = await store.put_file(source, sha256=DIGEST, size=len(DATA))
    assert not source.exists()
    assert await read(store, blob.key) == DATA


async def test_missing_blobs_are_reported(store: BlobStore) -> None:
    key = "sha256/" + "0" * 64
    assert not await store.exists(key)
    with pytest.raises(FileNotFoundError):
        await read(store, key)
    with pytest.raises(ValueError, match="not a blob key"):
        await store.exists("../../etc/passwd")


async def test_a_staged_upload_is_promoted_once(store: BlobStore) -> None:
    assert await store.put_staged("user-upkey0001", chunks(DATA), max_size=len(DATA)) == len(DATA)
    blob = await store.promote_staged("user-upkey0001", max_size=len(DATA))
    assert blob is not None and blob.sha256 == DIGEST
    assert await read(store, blob.key) == DATA
    assert await store.promote_staged("user-upkey0001", max_size=len(DATA)) is None


async def test_a_staged_upload_over_the_limit_is_refused(store: BlobStore) -> None:
    await store.put_staged("user-upkey0002", chunks(DATA), max_size=len(DATA))
    with pytest.raises(BlobTooLarge):
        await store.promote_staged("user-upkey0002", max_size=100)
    assert not await store.exists(f"sha256/{DIGEST}")


async def test_an_abandoned_staged_upload_can_be_dropped(store: BlobStore) -> None:
    await store.put_staged("user-upkey0003", chunks(DATA), max_size=len(DATA))
    await store.delete_staged("user-upkey0003")
    assert await store.promote_staged("user-upkey0003", max_size=len(DATA)) is None
    await store.delete_staged("user-upkey0003")  # already gone: not an error


async def test_staging_keys_are_checked(store: BlobStore) -> None:
    with pytest.raises(ValueError, match="not a staging key"):
        await store.promote_staged("../escape", max_size=10)


async def test_the_store_reports_ready(store: BlobStore) -> None:
    await store.check()


async def test_direct_uploads_go_where_the_store_says(store: BlobStore) -> None:
    url = await store.staged_put_url("user-upkey0003", content_type="application/pdf")
    if isinstance(store, LocalBlobStore):
        assert url is None  # the API itself receives the bytes (PUT /api/uploads/:key)
        return
    assert url is not None and "X-Amz-Signature" in url
    async with httpx.AsyncClient() as http:
        answer = await http.put(url, content=DATA, headers={"Content-Type": "application/pdf"})
    assert answer.status_code == 200, answer.text
    blob = await store.promote_staged("user-upkey0003", max_size=len(DATA))
    assert blob is not None and await read(store, blob.key) == DATA


def test_storage_urls_are_parsed() -> None:
    target = parse_storage_url("s3://AK%2F1:se%2Bcret@docs/quarry/prod?endpoint=http://m:9000")
    assert (target.bucket, target.prefix) == ("docs", "quarry/prod")
    assert (target.access_key_id, target.secret_access_key) == ("AK/1", "se+cret")
    assert target.endpoint_url == "http://m:9000" and target.path_style
    plain = parse_storage_url("s3://docs")
    assert plain.prefix == "" and plain.endpoint_url is None and not plain.path_style
    with pytest.raises(ValueError, match="unsupported STORAGE_URL"):
        blob_store("ftp://x/y", Path("/tmp"))
    assert isinstance(blob_store("s3://docs?region=eu-west-1", Path("/tmp/q")), S3BlobStore)
