"""A local Google Drive v3 server implementing what the connector uses, as documented.

`POST /token` (refresh_token and authorization_code grants), `GET /drive/v3/about`,
`GET /drive/v3/files` (`'<id>' in parents and trashed = false`, pageSize/pageToken, shared
drives with corpora=drive), `GET /drive/v3/files/<id>` (metadata, or bytes with `alt=media`),
`GET /drive/v3/files/<id>/export?mimeType=`. Errors in Drive's shape: 401 authError, 403
insufficientFilePermissions / rateLimitExceeded, 404 notFound, 429.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http_fake import Answer, FakeOAuth, Request

FOLDER = "application/vnd.google-apps.folder"
DOC = "application/vnd.google-apps.document"
SHEET = "application/vnd.google-apps.spreadsheet"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PARENT_QUERY = re.compile(r"^'([^']+)' in parents and trashed = false$")


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parent: str = "root"
    content: bytes = b""
    forbidden: bool = False
    trashed: bool = False
    drive_id: str | None = None  # on a shared drive
    exports: dict[str, bytes] = field(default_factory=dict)


class FakeDrive:
    def __init__(self, client_id: str = "drive-client", client_secret: str = "drive-secret"):
        self.oauth = FakeOAuth(client_id, client_secret)
        self.files: dict[str, DriveFile] = {}
        self.throttle: Counter[str] = Counter()  # file id → how many 429s to answer first
        self.throttle_403: Counter[str] = Counter()  # … how many 403 rateLimitExceeded
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def add(self, item: DriveFile) -> DriveFile:
        self.files[item.id] = item
        return item

    def handle(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(f"{request.method} {request.path}")
        if request.path == "/token" and request.method == "POST":
            return self.oauth.token(request)
        if not self.oauth.authorized(request):
            return _error(401, "Invalid Credentials", "authError")
        if request.path == "/drive/v3/about":
            return Answer.of(200, {"user": {"displayName": "Ada", "emailAddress": "ada@x.test"}})
        if request.path == "/drive/v3/files":
            return self._list(request.query)
        match = re.fullmatch(r"/drive/v3/files/([^/]+)(/export)?", request.path)
        if match is None:
            return _error(404, "Not Found", "notFound")
        return self._file(match.group(1), request.query, export=bool(match.group(2)))

    def _list(self, query: dict[str, str]) -> Answer:
        match = _PARENT_QUERY.fullmatch(query.get("q", ""))
        if match is None:
            return _error(400, "Invalid query", "invalid")
        shared = query.get("corpora") == "drive"
        if shared and query.get("includeItemsFromAllDrives") != "true":
            return _error(403, "includeItemsFromAllDrives is required", "teamDrivesParameter")
        items = sorted(
            (f for f in self.files.values() if f.parent == match.group(1) and not f.trashed),
            key=lambda f: (f.mime_type != FOLDER, f.name),
        )
        start = int(query.get("pageToken") or 0)
        size = min(int(query.get("pageSize") or 100), 1000)
        body: dict[str, Any] = {"files": [_meta(f) for f in items[start : start + size]]}
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        return Answer.of(200, body)

    def _file(self, file_id: str, query: dict[str, str], *, export: bool) -> Answer:
        with self._lock:
            if self.throttle[file_id] > 0:
                self.throttle[file_id] -= 1
                return _error(
                    429, "Rate Limit Exceeded", "rateLimitExceeded", **{"Retry-After": "0"}
                )
            if self.throttle_403[file_id] > 0:
                self.throttle_403[file_id] -= 1
                return _error(403, "User Rate Limit Exceeded", "userRateLimitExceeded")
        item = self.files.get(file_id)
        if item is None or (item.drive_id and query.get("supportsAllDrives") != "true"):
            return _error(404, f"File not found: {file_id}.", "notFound")
        if item.forbidden:
            message = f"The user does not have sufficient permissions for file {file_id}."
            return _error(403, message, "insufficientFilePermissions")
        if export:
            return self._export(item, query.get("mimeType", ""))
        if query.get("alt") != "media":
            return Answer.of(200, _meta(item))
        if item.mime_type.startswith("application/vnd.google-apps."):
            return _error(
                403, "Only files with binary content can be downloaded", "fileNotDownloadable"
            )
        return Answer(200, item.content, {"Content-Type": item.mime_type})

    def _export(self, item: DriveFile, mime_type: str) -> Answer:
        if mime_type not in item.exports:
            return _error(400, f"Export to {mime_type} is not supported", "badRequest")
        return Answer(200, item.exports[mime_type], {"Content-Type": mime_type})


def _meta(item: DriveFile) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "mimeType": item.mime_type,
        "modifiedTime": "2026-11-20T09:30:00.000Z",
        "trashed": item.trashed,
    }
    if not item.mime_type.startswith("application/vnd.google-apps."):
        meta["size"] = str(len(item.content))
    return meta


def _error(status: int, message: str, reason: str, **headers: str) -> Answer:
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}}
    return Answer.of(status, body, **headers)
