"""A local Dropbox API v2 server implementing what the connector uses, as documented.

RPC (`api` host): `POST /oauth2/token`, `/2/users/get_current_account`, `/2/files/list_folder`,
`/2/files/list_folder/continue` (cursor paging). Content host: `POST /2/files/download` with
`Dropbox-API-Arg`, answering `Dropbox-API-Result`. Errors in Dropbox's shape: 401
`expired_access_token`, 409 `path/not_found` and `path/restricted_content`, 429 with
`Retry-After`. Both hosts are served by one server.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.fakes.http_fake import Answer, FakeOAuth, Request


@dataclass
class DropboxEntry:
    id: str  # "id:…"
    path: str  # "/Invoices/a.pdf"
    content: bytes | None = None  # None: a folder
    restricted: bool = False

    @property
    def parent(self) -> str:
        return self.path.rsplit("/", 1)[0].lower()

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class FakeDropbox:
    def __init__(self, client_id: str = "dropbox-app", client_secret: str = "dropbox-secret"):
        self.oauth = FakeOAuth(client_id, client_secret, token_ttl=14400)
        self.entries: dict[str, DropboxEntry] = {}
        self.throttle: Counter[str] = Counter()  # entry id → how many 429s to answer first
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def add(self, entry: DropboxEntry) -> DropboxEntry:
        self.entries[entry.id] = entry
        return entry

    def handle(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(f"{request.method} {request.path}")
        if request.path == "/oauth2/token":
            return self.oauth.token(request)
        if not self.oauth.authorized(request):
            return _error(401, "expired_access_token/")
        routes = {
            "/2/users/get_current_account": lambda r: Answer.of(200, {"account_id": "dbid:ada"}),
            "/2/files/list_folder": self._list,
            "/2/files/list_folder/continue": self._continue,
            "/2/files/download": self._download,
        }
        route = routes.get(request.path)
        if route is None or request.method != "POST":
            return Answer(404, b"Unknown endpoint")
        if request.path != "/2/files/download" and request.headers.get("content-type") != (
            "application/json"
        ):
            return Answer(400, b'Error in call: Bad HTTP "Content-Type" header')
        return route(request)

    def _find(self, path: str) -> DropboxEntry | None:
        if path.startswith("id:"):
            return self.entries.get(path)
        return next((e for e in self.entries.values() if e.path.lower() == path.lower()), None)

    def _list(self, request: Request) -> Answer:
        body = request.json()
        path = body.get("path", "")
        if path:
            folder = self._find(path)
            if folder is None or folder.content is not None:
                return _error(409, "path/not_found/")
            path = folder.path
        return self._page(path.lower(), 0, int(body.get("limit", 100)))

    def _continue(self, request: Request) -> Answer:
        try:
            state = json.loads(base64.b64decode(request.json()["cursor"]))
        except (ValueError, KeyError):
            return _error(409, "reset/")
        return self._page(state["path"], state["offset"], state["limit"])

    def _page(self, folder: str, offset: int, limit: int) -> Answer:
        children = sorted(
            (e for e in self.entries.values() if e.parent == folder), key=lambda e: e.path
        )
        page = children[offset : offset + limit]
        state = {"path": folder, "offset": offset + limit, "limit": limit}
        cursor = base64.b64encode(json.dumps(state).encode()).decode()
        more = offset + limit < len(children)
        return Answer.of(
            200, {"entries": [_meta(e) for e in page], "cursor": cursor, "has_more": more}
        )

    def _download(self, request: Request) -> Answer:
        path = json.loads(request.headers.get("dropbox-api-arg", "{}")).get("path", "")
        entry = self._find(path)
        with self._lock:
            if entry is not None and self.throttle[entry.id] > 0:
                self.throttle[entry.id] -= 1
                return _error(429, "too_many_requests/", **{"Retry-After": "0"})
        if entry is None:
            return _error(409, "path/not_found/")
        if entry.restricted:
            return _error(409, "path/restricted_content/")
        if entry.content is None:
            return _error(409, "path/not_file/")
        result = json.dumps(_meta(entry))
        headers = {"Content-Type": "application/octet-stream", "Dropbox-API-Result": result}
        return Answer(200, entry.content, headers)


def _meta(entry: DropboxEntry) -> dict[str, Any]:
    meta: dict[str, Any] = {
        ".tag": "folder" if entry.content is None else "file",
        "id": entry.id,
        "name": entry.name,
        "path_lower": entry.path.lower(),
        "path_display": entry.path,
    }
    if entry.content is not None:
        meta.update(size=len(entry.content), server_modified="2026-11-20T09:30:00Z")
    return meta


def _error(status: int, summary: str, **headers: str) -> Answer:
    tag = summary.split("/", 1)[0]
    return Answer.of(status, {"error_summary": summary, "error": {".tag": tag}}, **headers)
