"""Google Drive v3 over plain HTTP: files.get (`alt=media`), files.export, files.list, about.

Google Docs, Slides and Drawings are exported as PDF, Sheets as XLSX; other Google-native types
(forms, sites, folders) cannot be downloaded. Shared drives work: every call carries
`supportsAllDrives`, and a `driveId` lists that drive. Drive signals rate limits with 429 or
with 403 `rateLimitExceeded`/`userRateLimitExceeded`; both are retried like 5xx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.sources.connectors import (
    DEFAULT_PAGE_SIZE,
    IntegrationRejected,
    RemoteEntry,
    RemotePage,
    parse_size,
    parse_time,
    refuse_oversize,
    write_stream,
)
from quarry.sources.fetched import FetchedFile
from quarry.sources.mime import XLSX
from quarry.sources.provider_http import (
    BearerToken,
    HttpPolicy,
    RestSession,
    body_chunks,
    json_body,
)

PROVIDER = "Google Drive"
SCOPE = "https://www.googleapis.com/auth/drive.readonly"
FOLDER = "application/vnd.google-apps.folder"
_NATIVE = "application/vnd.google-apps."
_EXPORTS = {
    "application/vnd.google-apps.document": ("application/pdf", ".pdf"),
    "application/vnd.google-apps.presentation": ("application/pdf", ".pdf"),
    "application/vnd.google-apps.drawing": ("application/pdf", ".pdf"),
    "application/vnd.google-apps.spreadsheet": (XLSX, ".xlsx"),
}
_FILE_FIELDS = "id,name,mimeType,size,modifiedTime,trashed"
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def file_id_problem(file_id: str) -> str | None:
    """Why `file_id` cannot be a Drive file id, or None."""
    if not _FILE_ID.fullmatch(file_id):
        return "a Google Drive id is 1-200 letters, digits, '-' or '_'"
    return None


@dataclass(frozen=True)
class DriveConfig:
    api_url: str  # e.g. https://www.googleapis.com (configurable for tests and proxies)
    drive_id: str | None = None  # a shared drive to list instead of "My Drive"
    root_folder_id: str | None = None


class GoogleDriveConnector:
    def __init__(self, config: DriveConfig, auth: BearerToken, policy: HttpPolicy) -> None:
        self._config = config
        self._base = config.api_url.rstrip("/") + "/drive/v3"
        self._rest = RestSession(auth, policy, PROVIDER, retryable=_retryable)

    async def check(self) -> None:
        await self._json(f"{self._base}/about", {"fields": "user(displayName,emailAddress)"})

    async def list_folder(
        self, folder_id: str | None, cursor: str | None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> RemotePage:
        folder = folder_id or self._config.root_folder_id or self._config.drive_id or "root"
        if file_id_problem(folder):
            raise JobFailure(JobErrorCode.SOURCE_NOT_FOUND, f"no Google Drive folder {folder!r}")
        params = {
            "q": f"'{folder}' in parents and trashed = false",
            "fields": f"nextPageToken,files({_FILE_FIELDS})",
            "pageSize": str(page_size),
            "orderBy": "folder,name",
            "supportsAllDrives": "true",
            "includeItemsFromAllDrives": "true",
        }
        if self._config.drive_id:
            params.update(corpora="drive", driveId=self._config.drive_id)
        if cursor:
            params["pageToken"] = cursor
        answer = await self._json(f"{self._base}/files", params)
        entries = [_entry(item) for item in answer.get("files", []) if isinstance(item, dict)]
        token = answer.get("nextPageToken")
        return RemotePage(entries, token if isinstance(token, str) and token else None)

    async def fetch(self, file_id: str, dest_dir: Path, *, max_size: int) -> FetchedFile:
        if file_id_problem(file_id):
            raise JobFailure(JobErrorCode.SOURCE_NOT_FOUND, f"no Google Drive file {file_id!r}")
        url = f"{self._base}/files/{quote(file_id)}"
        meta = await self._json(url, {"fields": _FILE_FIELDS, "supportsAllDrives": "true"})
        name, mime_type = str(meta.get("name") or file_id), str(meta.get("mimeType") or "")
        if meta.get("trashed") is True:
            raise JobFailure(JobErrorCode.SOURCE_NOT_FOUND, f"{name!r} is in the trash")
        if mime_type in _EXPORTS:
            export_type, suffix = _EXPORTS[mime_type]
            params = {"mimeType": export_type}
            url, name = f"{url}/export", name if name.endswith(suffix) else name + suffix
        elif mime_type.startswith(_NATIVE):
            kind = "a folder" if mime_type == FOLDER else f"a {mime_type} file"
            message = f"{name!r} is {kind}, which cannot be downloaded"
            raise JobFailure(JobErrorCode.UNSUPPORTED_FILE_TYPE, message)
        else:
            refuse_oversize(parse_size(meta.get("size")), max_size, name)
            params = {"alt": "media", "supportsAllDrives": "true"}
        async with self._rest.call("GET", url, params=params) as response:
            await _raise_for(response, name)
            refuse_oversize(parse_size(response.headers.get("content-length")), max_size, name)
            chunks = body_chunks(response, PROVIDER)
            return await write_stream(chunks, dest_dir, max_size, name)

    async def aclose(self) -> None:
        await self._rest.aclose()

    async def _json(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        async with self._rest.call("GET", url, params=params) as response:
            await _raise_for(response, url.rsplit("/", 1)[-1])
            answer = await json_body(response)
        if not isinstance(answer, dict):
            raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, f"{PROVIDER} answered no JSON object")
        return answer


async def _retryable(response: httpx.Response) -> bool:
    if response.status_code in (429, 500, 502, 503, 504):
        return True
    if response.status_code != 403:
        return False
    return bool(_reasons(await json_body(response)) & _RATE_REASONS)


def _reasons(answer: Any) -> set[str]:
    error = answer.get("error") if isinstance(answer, dict) else None
    items = error.get("errors") if isinstance(error, dict) else None
    if not isinstance(items, list):
        return set()
    return {str(i.get("reason")) for i in items if isinstance(i, dict) and i.get("reason")}


def _message(answer: Any) -> str:
    error = answer.get("error") if isinstance(answer, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message) if message else "no details"


async def _raise_for(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status < 300:
        return
    detail = _message(await json_body(response))
    if status == 401:
        raise IntegrationRejected(f"{PROVIDER} refused the credentials: {detail}")
    if status == 404:
        raise JobFailure(JobErrorCode.SOURCE_NOT_FOUND, f"{PROVIDER} has no {what!r}: {detail}")
    if status == 403:
        message = f"{PROVIDER} refused access to {what!r}: {detail}"
        raise JobFailure(JobErrorCode.SOURCE_ACCESS_DENIED, message)
    message = f"{PROVIDER} answered HTTP {status} for {what!r}: {detail}"
    raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message)


def _entry(item: dict[str, Any]) -> RemoteEntry:
    mime_type = str(item.get("mimeType") or "") or None
    return RemoteEntry(
        file_id=str(item.get("id")),
        name=str(item.get("name") or ""),
        mime_type=mime_type,
        size=parse_size(item.get("size")),
        modified_at=parse_time(item.get("modifiedTime")),
        is_folder=mime_type == FOLDER,
    )
