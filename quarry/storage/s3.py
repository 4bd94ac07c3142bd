"""Blobs in an S3 bucket (or any S3-compatible store): `STORAGE_URL=s3://bucket/prefix`.

The layout mirrors the local store: `<prefix>/sha256/ab/abcdef…` for content, and
`<prefix>/staging/<key>` for direct uploads, which arrive through presigned PUT URLs (the bytes
never pass through the API). boto3 is blocking, so every call runs in a thread. Bytes are
spooled through a temporary folder to hash them before they get their content address.

    s3://[ACCESS_KEY_ID:SECRET@]bucket[/prefix][?endpoint=URL&region=NAME&addressing=path]

Without keys in the URL, boto3's usual chain applies (environment, profile, instance role).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from quarry.storage.base import BlobTooLarge, StoredBlob, spool_to_file

PRESIGNED_TTL_SECONDS = 15 * 60
_STAGING_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
_BLOB_KEY = re.compile(r"^sha256/([0-9a-f]{64})$")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class S3Target:
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    path_style: bool = False


def parse_storage_url(storage_url: str) -> S3Target:
    """`s3://[key:secret@]bucket[/prefix][?endpoint=…&region=…&addressing=path]`."""
    parts = urlsplit(storage_url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ValueError("STORAGE_URL for S3 is s3://bucket[/prefix]")
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    endpoint = query.get("endpoint") or None
    return S3Target(
        bucket=parts.hostname,
        prefix=parts.path.strip("/"),
        endpoint_url=endpoint,
        region=query.get("region") or None,
        access_key_id=unquote(parts.username) if parts.username else None,
        secret_access_key=unquote(parts.password) if parts.password else None,
        path_style=query.get("addressing", "path" if endpoint else "auto") == "path",
    )


class S3BlobStore:
    def __init__(self, target: S3Target, tmp_dir: Path) -> None:
        self.bucket = target.bucket
        self._prefix = f"{target.prefix}/" if target.prefix else ""
        self._tmp = tmp_dir
        self._tmp.mkdir(parents=True, exist_ok=True)
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if target.path_style else "auto"},
            retries={"mode": "standard", "max_attempts": 4},
            max_pool_connections=16,
        )
        self._client: Any = boto3.session.Session().client(
            "s3",
            region_name=target.region,
            endpoint_url=target.endpoint_url,
            aws_access_key_id=target.access_key_id,
            aws_secret_access_key=target.secret_access_key,
            config=config,
        )

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_size: int) -> StoredBlob:
        path = self._temp_path()
        try:
            digest, size = await spool_to_file(chunks, path, max_size)
            return await self.put_file(path, sha256=digest, size=size)
        finally:
            path.unlink(missing_ok=True)

    async def put_file(self, path: Path, *, sha256: str, size: int) -> StoredBlob:
        key = f"sha256/{sha256}"
        name = self._object(key)
        try:
            if not await self._head(name):
                await asyncio.to_thread(self._client.upload_file, str(path), self.bucket, name)
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        return StoredBlob(key=key, sha256=sha256, size=size)

    @asynccontextmanager
    async def local_path(self, key: str) -> AsyncIterator[Path]:
        path = self._temp_path()
        try:
            await self._download(self._object(key), path, missing=key)
            yield path
        finally:
            path.unlink(missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await self._head(self._object(key)) is not None

    async def staged_put_url(self, staging_key: str, *, content_type: str | None) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._staged(staging_key)}
        if content_type:
            params["ContentType"] = content_type
        url: str = await asyncio.to_thread(
            self._client.generate_presigned_url,
            "put_object",
            Params=params,
            ExpiresIn=PRESIGNED_TTL_SECONDS,
        )
        return url

    async def put_staged(
        self, staging_key: str, chunks: AsyncIterator[bytes], *, max_size: int
    ) -> int:
        name = self._staged(staging_key)
        path = self._temp_path()
        try:
            _, size = await spool_to_file(chunks, path, max_size)
            await asyncio.to_thread(self._client.upload_file, str(path), self.bucket, name)
            return size
        finally:
            path.unlink(missing_ok=True)

    async def promote_staged(self, staging_key: str, *, max_size: int) -> StoredBlob | None:
        name = self._staged(staging_key)
        head = await self._head(name)
        if head is None:
            return None
        if int(head.get("ContentLength", 0)) > max_size:
            await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=name)
            raise BlobTooLarge(max_size)
        path = self._temp_path()
        try:
            await self._download(name, path, missing=staging_key)
            digest, size = await asyncio.to_thread(_hash_file, path)
            blob = await self.put_file(path, sha256=digest, size=size)
        finally:
            path.unlink(missing_ok=True)
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=name)
        return blob

    async def delete_staged(self, staging_key: str) -> None:
        name = self._staged(staging_key)
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=name)

    async def check(self) -> None:
        name = f"{self._prefix}tmp/ready-{secrets.token_hex(4)}"
        await asyncio.to_thread(self._client.put_object, Bucket=self.bucket, Key=name, Body=b"ok")
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=name)

    def _object(self, key: str) -> str:
        match = _BLOB_KEY.fullmatch(key)
        if match is None:
            raise ValueError(f"not a blob key: {key!r}")
        digest = match.group(1)
        return f"{self._prefix}sha256/{digest[:2]}/{digest}"

    def _staged(self, staging_key: str) -> str:
        if not _STAGING_KEY.fullmatch(staging_key):
            raise ValueError(f"not a staging key: {staging_key!r}")
        return f"{self._prefix}staging/{staging_key}"

    def _temp_path(self) -> Path:
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="s3-", suffix=".blob")
        os.close(fd)
        return Path(name)

    async def _head(self, name: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = await asyncio.to_thread(
                self._client.head_object, Bucket=self.bucket, Key=name
            )
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise
        return head

    async def _download(self, name: str, path: Path, *, missing: str) -> None:
        try:
            await asyncio.to_thread(self._client.download_file, self.bucket, name, str(path))
        except ClientError as exc:
            if _status(exc) == 404:
                raise FileNotFoundError(missing) from exc
            raise


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
