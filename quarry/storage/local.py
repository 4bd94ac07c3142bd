"""Blobs in a local folder: `<root>/sha256/ab/abcdef...`, written via a temp file and rename.

A write that fails (a full disk: ENOSPC/EDQUOT) removes its temp file, so a blob's final
path only ever holds complete bytes.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from quarry.storage.base import StoredBlob, spool_to_file

_STAGING_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._tmp = self.root / "tmp"
        self._staging = self.root / "staging"
        for folder in (self.root, self._tmp, self._staging):
            folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        kind, _, digest = key.partition("/")
        if kind != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / "sha256" / digest[:2] / digest

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_size: int) -> StoredBlob:
        tmp = self._tmp / secrets.token_hex(16)
        try:
            digest, size = await spool_to_file(chunks, tmp, max_size)
            key = f"sha256/{digest}"
            final = self._path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(os.replace, tmp, final)
            return StoredBlob(key=key, sha256=digest, size=size)
        finally:
            tmp.unlink(missing_ok=True)

    async def put_file(self, path: Path, *, sha256: str, size: int) -> StoredBlob:
        key = f"sha256/{sha256}"
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            await asyncio.to_thread(os.replace, path, final)
        except OSError:  # another filesystem: copy through a temp file, then rename
            tmp = self._tmp / secrets.token_hex(16)
            try:
                await asyncio.to_thread(shutil.copyfile, path, tmp)
                await asyncio.to_thread(os.replace, tmp, final)
            finally:  # a disk that filled up mid-copy keeps no half-written blob
                tmp.unlink(missing_ok=True)
        return StoredBlob(key=key, sha256=sha256, size=size)

    @asynccontextmanager
    async def local_path(self, key: str) -> AsyncIterator[Path]:
        path = self._path(key)
        if not path.exists():
            raise FileNotFoundError(key)
        yield path

    async def exists(self, key: str) -> bool:
        return self._path(key).exists()

    async def staged_put_url(self, staging_key: str, *, content_type: str | None) -> str | None:
        return None

    async def put_staged(
        self, staging_key: str, chunks: AsyncIterator[bytes], *, max_size: int
    ) -> int:
        target = self._staged(staging_key)
        tmp = self._tmp / secrets.token_hex(16)
        try:
            _, size = await spool_to_file(chunks, tmp, max_size)
            await asyncio.to_thread(os.replace, tmp, target)
            return size
        finally:
            tmp.unlink(missing_ok=True)

    async def promote_staged(self, staging_key: str, *, max_size: int) -> StoredBlob | None:
        staged = self._staged(staging_key)
        if not staged.exists():
            return None
        blob = await self.put_stream(_read(staged), max_size=max_size)
        staged.unlink(missing_ok=True)
        return blob

    async def delete_staged(self, staging_key: str) -> None:
        await asyncio.to_thread(self._staged(staging_key).unlink, missing_ok=True)

    async def check(self) -> None:
        probe = self._tmp / f"ready-{secrets.token_hex(4)}"
        await asyncio.to_thread(probe.write_bytes, b"ok")
        probe.unlink()

    def _staged(self, staging_key: str) -> Path:
        if not _STAGING_KEY.fullmatch(staging_key):
            raise ValueError(f"not a staging key: {staging_key!r}")
        return self._staging / staging_key


async def _read(path: Path, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, chunk_size):
            yield chunk
