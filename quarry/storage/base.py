"""What every blob store offers. Keys are opaque strings chosen by the store."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha256: str
    size: int


class BlobTooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class BlobStore(Protocol):
    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_size: int) -> StoredBlob:
        """Store a stream under its sha256; raise BlobTooLarge past `max_size` bytes."""
        ...

    async def put_file(self, path: Path, *, sha256: str, size: int) -> StoredBlob:
        """Store a local file whose hash is known; the file is moved or copied, not kept."""
        ...

    def local_path(self, key: str) -> AbstractAsyncContextManager[Path]:
        """A readable local file with the blob's bytes, for as long as the context lasts."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def staged_put_url(self, staging_key: str, *, content_type: str | None) -> str | None:
        """A presigned PUT URL for direct uploads, or None when the API receives the bytes."""
        ...

    async def put_staged(
        self, staging_key: str, chunks: AsyncIterator[bytes], *, max_size: int
    ) -> int:
        """Receive a direct upload into the staging area; returns its size."""
        ...

    async def promote_staged(self, staging_key: str, *, max_size: int) -> StoredBlob | None:
        """Move a staged upload into the content-addressed store; None if it is missing."""
        ...

    async def delete_staged(self, staging_key: str) -> None:
        """Drop a staged upload that was never confirmed; a missing one is not an error."""
        ...

    async def check(self) -> None:
        """Raise if the store cannot be written (readiness)."""
        ...


async def spool_to_file(chunks: AsyncIterator[bytes], path: Path, max_size: int) -> tuple[str, int]:
    """Write a stream to `path`, hashing it on the way; BlobTooLarge past `max_size` bytes."""
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as handle:
        async for chunk in chunks:
            size += len(chunk)
            if size > max_size:
                raise BlobTooLarge(max_size)
            digest.update(chunk)
            await asyncio.to_thread(handle.write, chunk)
    return digest.hexdigest(), size
