"""What every connected-storage connector (S3, Google Drive, Dropbox) offers, and what they share.

A connector turns a provider's file id into the same `FetchedFile` as uploads and URLs, lists a
remote folder a page at a time, and checks its credentials live. It knows nothing of users or
the database: tokens it refreshes go to a callback, and every failure is a `JobFailure` with
one of the spec's codes, translated where the provider is called:

    JobFailure(SOURCE_NOT_FOUND)          the file or folder does not exist (or is in the trash)
    JobFailure(SOURCE_ACCESS_DENIED)      the provider refuses this one file or folder
    JobFailure(FILE_TOO_LARGE)            the file is larger than MAX_FILE_SIZE
    JobFailure(UNSUPPORTED_FILE_TYPE)     a folder, or a provider-native file with no export
    JobFailure(URL_BLOCKED)               a user-supplied S3 endpoint resolves inside
    JobFailure(DOWNLOAD_FAILED)           the provider failed; 5xx and timeouts are transient
    JobFailure(PROVIDER_RATE_LIMITED)     the provider kept answering 429 (transient)
    └── IntegrationRejected               the provider refuses the integration as a whole:
                                          credentials wrong, revoked or expired for good,
                                          bucket gone. The integration's status becomes ERROR.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.sources.fetched import FetchedFile, safe_file_name
from quarry.sources.mime import sniff

DEFAULT_PAGE_SIZE = 100
TOTAL_TIME_FACTOR = 10  # a whole download may take at most this many request timeouts


class IntegrationRejected(JobFailure):
    """The provider refused the integration's credentials or configuration, not just one file."""

    def __init__(self, message: str, code: JobErrorCode = JobErrorCode.SOURCE_ACCESS_DENIED):
        super().__init__(code, message)


@dataclass(frozen=True)
class RemoteEntry:
    """One entry of a remote folder: a file or a sub-folder."""

    file_id: str
    name: str
    mime_type: str | None
    size: int | None
    modified_at: datetime | None
    is_folder: bool


@dataclass(frozen=True)
class RemotePage:
    entries: list[RemoteEntry]
    next_cursor: str | None


class Connector(Protocol):
    """A connected storage account. Close it with `aclose()` when done."""

    async def check(self) -> None:
        """Raise `IntegrationRejected` (or another `JobFailure`) unless the credentials work."""
        ...

    async def list_folder(
        self, folder_id: str | None, cursor: str | None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> RemotePage:
        """One page of a folder's entries; `folder_id` None is the integration's root."""
        ...

    async def fetch(self, file_id: str, dest_dir: Path, *, max_size: int) -> FetchedFile:
        """Download one file into a new file in `dest_dir`."""
        ...

    async def aclose(self) -> None: ...


class TooManyFiles(Exception):
    """A folder walk found more files than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} files")
        self.limit = limit


async def walk_files(
    connector: Connector, folder_id: str | None, *, recursive: bool, limit: int
) -> list[RemoteEntry]:
    """Every file in a folder (and its sub-folders when `recursive`), in listing order."""
    files: list[RemoteEntry] = []
    pending: list[str | None] = [folder_id]
    while pending:
        folder = pending.pop(0)
        cursor: str | None = None
        while True:
            page = await connector.list_folder(folder, cursor)
            for entry in page.entries:
                if entry.is_folder:
                    if recursive:
                        pending.append(entry.file_id)
                    continue
                files.append(entry)
                if len(files) > limit:
                    raise TooManyFiles(limit)
            cursor = page.next_cursor
            if cursor is None:
                break
    return files


class DownloadSink:
    """A new file in `dest_dir` that counts and hashes what is written, refusing past `max_size`.

    Usable from a thread (S3's blocking body) or from async code (`write_stream`).
    """

    def __init__(self, dest_dir: Path, max_size: int) -> None:
        dest_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=dest_dir, prefix="source-", suffix=".download")
        self.path = Path(name)
        self._handle = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._max_size = max_size
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._max_size:
            message = f"the file is over the {self._max_size}-byte limit"
            raise JobFailure(JobErrorCode.FILE_TOO_LARGE, message)
        self._digest.update(chunk)
        self._handle.write(chunk)

    def discard(self) -> None:
        self._handle.close()
        self.path.unlink(missing_ok=True)

    async def finish(self, file_name: str) -> FetchedFile:
        """Close the file and describe it (type sniffed from the bytes)."""
        self._handle.close()
        name = safe_file_name(file_name)
        try:
            mime_type = await asyncio.to_thread(sniff, self.path, name)
        except BaseException:
            self.path.unlink(missing_ok=True)
            raise
        return FetchedFile(
            self.path, self._digest.hexdigest(), self.size, mime_type, name, "INTEGRATION"
        )


async def write_stream(
    chunks: AsyncIterator[bytes], dest_dir: Path, max_size: int, file_name: str
) -> FetchedFile:
    """Save an async byte stream as a fetched file; nothing is left behind on error."""
    sink = DownloadSink(dest_dir, max_size)
    try:
        async for chunk in chunks:
            await asyncio.to_thread(sink.write, chunk)
    except BaseException:
        sink.discard()
        raise
    return await sink.finish(file_name)


def refuse_oversize(size: int | None, max_size: int, name: str) -> None:
    """Fail before downloading when the provider already says the file is too large."""
    if size is not None and size > max_size:
        message = f"{name!r} is {size} bytes, over the {max_size}-byte limit"
        raise JobFailure(JobErrorCode.FILE_TOO_LARGE, message)


def parse_size(value: object) -> int | None:
    """A size as a provider sends it (number or numeric string), or None."""
    if isinstance(value, int | str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def parse_time(value: object) -> datetime | None:
    """An ISO-8601 time as a provider sends it (`2026-11-28T10:00:00Z`), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
