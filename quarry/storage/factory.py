"""Pick the blob store from STORAGE_URL: unset (the data folder), `file:///path` or `s3://bucket`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from quarry.storage.base import BlobStore
from quarry.storage.local import LocalBlobStore
from quarry.storage.s3 import S3BlobStore, parse_storage_url


def blob_store(storage_url: str | None, data_dir: Path) -> BlobStore:
    if not storage_url:
        return LocalBlobStore(data_dir / "blobs")
    parsed = urlparse(storage_url)
    if parsed.scheme == "file":
        return LocalBlobStore(Path(parsed.path))
    if parsed.scheme == "s3":
        return S3BlobStore(parse_storage_url(storage_url), data_dir / "tmp")
    raise ValueError(f"unsupported STORAGE_URL scheme {parsed.scheme!r} (use file:// or s3://)")
