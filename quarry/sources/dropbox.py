"""Dropbox API v2 over plain HTTP: files/download, files/list_folder (+ /continue), the account.

File and folder ids are Dropbox's own (`id:…`) or paths (`/Invoices/a.pdf`). Dropbox reports
endpoint errors as HTTP 409 with an `error_summary` such as `path/not_found/..`; 401 means the
access token is expired or revoked (refreshed once, then `IntegrationRejected`); 429 carries
`Retry-After` and is retried.
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from quarry.sources.provider_http import (
    BearerToken,
    HttpPolicy,
    RestSession,
    body_chunks,
    json_body,
)

PROVIDER = "Dropbox"
_ID = re.compile(r"^id:[A-Za-z0-9_-]{1,200}$")
_MAX_PATH = 4096
_DENIED = ("restricted_content", "no_permission", "access_denied", "no_write_permission")
_UNSUPPORTED = ("unsupported_file", "not_file", "unsupported_content_type")


def file_id_problem(file_id: str) -> str | None:
    """Why `file_id` cannot name a Dropbox file or folder, or None."""
    if _ID.fullmatch(file_id):
        return None
    if file_id.startswith("/") and len(file_id) <= _MAX_PATH and file_id.isprintable():
        return None
    return "a Dropbox file is 'id:…' or a path starting with '/'"


@dataclass(frozen=True)
class DropboxConfig:
    api_url: str  # https://api.dropboxapi.com
    content_url: str  # https://content.dropboxapi.com
    root_folder_id: str | None = None  # a path or `id:…`; the account's root when unset


class DropboxConnector:
    def __init__(self, config: DropboxConfig, auth: BearerToken, policy: HttpPolicy) -> None:
        self._config = config
        self._api = config.api_url.rstrip("/") + "/2"
        self._content = config.content_url.rstrip("/") + "/2"
        self._rest = RestSession(auth, policy, PROVIDER)

    async def check(self) -> None:
        await self._rpc("users/get_current_account", None)

    async def list_folder(
        self, folder_id: str | None, cursor: str | None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> RemotePage:
        if cursor:
            answer = await self._rpc("files/list_folder/continue", {"cursor": cursor})
        else:
            path = folder_id or self._config.root_folder_id or ""
            if path and file_id_problem(path):
                raise JobFailure(JobErrorCode.SOURCE_NOT_FOUND, f"no Dropbox folder {path!r}")
            body = {"path": path, "limit": page_size, "include_non_downloadable_files": False}
            answer = await self._rpc("files/list_folder", body)
        entries = [_entry(e) for e in answer.get("entries", []) if _listed(e)]
        more = answer.get("has_more") is True and isinstance(answer.get("cursor"), str)
        return RemotePage(entries, str(answer["cursor"]) if more else None)

    async def fetch(self, file_id: str, dest_dir: Path, *, max_size: int) -> FetchedFile:
        if file_id_problem(file_id):
            raise JobFailure(JobErrorCode.SOURCE_NOT_FOUND, f"no Dropbox file {file_id!r}")
        arg = json.dumps({"path": file_id})  # ASCII-only, as the header requires
        url = f"{self._content}/files/download"
        async with self._rest.call("POST", url, headers={"Dropbox-API-Arg": arg}) as response:
            await _raise_for(response, file_id)
            meta = _result_header(response)
            name = str(meta.get("name") or file_id.rsplit("/", 1)[-1])
            refuse_oversize(parse_size(meta.get("size")), max_size, name)
            refuse_oversize(parse_size(response.headers.get("content-length")), max_size, name)
            chunks = body_chunks(response, PROVIDER)
            return await write_stream(chunks, dest_dir, max_size, name)

    async def aclose(self) -> None:
        await self._rest.aclose()

    async def _rpc(self, endpoint: str, body: dict[str, Any] | None) -> dict[str, Any]:
        content = json.dumps(body).encode()  # `null` for endpoints without arguments
        headers = {"Content-Type": "application/json"}
        url = f"{self._api}/{endpoint}"
        async with self._rest.call("POST", url, headers=headers, content=content) as response:
            what = str(body.get("path", endpoint)) if body else endpoint
            await _raise_for(response, what)
            answer = await json_body(response)
        if not isinstance(answer, dict):
            raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, f"{PROVIDER} answered no JSON object")
        return answer


async def _raise_for(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status < 300:
        return
    answer = await json_body(response)
    summary = _summary(answer, response)
    if status == 401:
        raise IntegrationRejected(f"{PROVIDER} refused the credentials: {summary}")
    if status == 409:
        raise _endpoint_error(summary, what)
    if status == 403:
        message = f"{PROVIDER} refused access to {what!r}: {summary}"
        raise JobFailure(JobErrorCode.SOURCE_ACCESS_DENIED, message)
    message = f"{PROVIDER} answered HTTP {status} for {what!r}: {summary}"
    raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message)


def _summary(answer: Any, response: httpx.Response) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("error_summary"), str):
        return str(answer["error_summary"])
    try:
        return response.text[:200] or "no details"  # read by json_body
    except httpx.ResponseNotRead:
        return "no details"


def _endpoint_error(summary: str, what: str) -> JobFailure:
    if "not_found" in summary or "not_folder" in summary:
        return JobFailure(JobErrorCode.SOURCE_NOT_FOUND, f"{PROVIDER} has no {what!r} ({summary})")
    if any(reason in summary for reason in _DENIED):
        message = f"{PROVIDER} refused access to {what!r} ({summary})"
        return JobFailure(JobErrorCode.SOURCE_ACCESS_DENIED, message)
    if any(reason in summary for reason in _UNSUPPORTED):
        message = f"{what!r} cannot be downloaded from {PROVIDER} ({summary})"
        return JobFailure(JobErrorCode.UNSUPPORTED_FILE_TYPE, message)
    return JobFailure(JobErrorCode.DOWNLOAD_FAILED, f"{PROVIDER} refused {what!r} ({summary})")


def _result_header(response: httpx.Response) -> dict[str, Any]:
    try:
        meta = json.loads(response.headers.get("dropbox-api-result", "{}"))
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _listed(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get(".tag") in ("file", "folder")


def _entry(entry: dict[str, Any]) -> RemoteEntry:
    name = str(entry.get("name") or "")
    is_folder = entry.get(".tag") == "folder"
    return RemoteEntry(
        file_id=str(entry.get("id") or entry.get("path_display") or ""),
        name=name,
        mime_type=None if is_folder else mimetypes.guess_type(name)[0],
        size=parse_size(entry.get("size")),
        modified_at=parse_time(entry.get("server_modified")),
        is_folder=is_folder,
    )
