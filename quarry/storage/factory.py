"""Pick the blob store from STORAGE_URL (`file:///path` or unset for the data folder)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from quarry.storage.base import BlobStore
from quarry.storage.local import LocalBlobStore


def blob_store(storage_url: str | None, data_dir: Path) -> BlobStore:
    if not storage_url:
        return LocalBlobStore(data_dir / "blobs")
    parsed = urlparse(storage_url)
    if parsed.scheme == "file":
        return LocalBlobStore(Path(parsed.path))
    raise ValueError(f"unsupported STORAGE_URL scheme {parsed.scheme!r} (use file://)")
