"""Amazon S3 and S3-compatible stores (MinIO, R2, Wasabi, …) through boto3, run in threads.

A file id is the object's full key; a folder id is a key prefix ending in `/` (listed with the
`/` delimiter, so sub-folders appear as folders). The integration's `prefix` is its root and
its scope. botocore retries throttling and 5xx itself (standard mode, `max_retries`). A
user-supplied `endpointUrl` is an outbound request like any URL: unless private addresses are
allowed, its host must resolve only to public addresses.
"""

from __future__ import annotations

import asyncio
import functools
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.sources.connectors import (
    DEFAULT_PAGE_SIZE,
    DownloadSink,
    IntegrationRejected,
    RemoteEntry,
    RemotePage,
    refuse_oversize,
)
from quarry.sources.fetched import FetchedFile
from quarry.sources.netguard import PUBLIC_ONLY, AddressPolicy, InvalidUrl, check_url_syntax
from quarry.sources.url import resolve_host

PROVIDER = "S3"
MAX_KEY_BYTES = 1024
_CHUNK = 1024 * 1024
_REJECTED = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "AccountProblem",
        "AuthorizationHeaderMalformed",
    }
)
_DENIED = frozenset({"AccessDenied", "403", "Forbidden", "AllAccessDisabled"})
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_THROTTLED = frozenset({"SlowDown", "Throttling", "ThrottlingException", "TooManyRequests"})


@dataclass(frozen=True)
class S3Location:
    bucket: str
    region: str = "us-east-1"
    endpoint_url: str | None = None
    prefix: str = ""
    path_style: bool | None = None  # None: path style with a custom endpoint, else virtual


@dataclass(frozen=True)
class S3Keys:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def file_id_problem(file_id: str, prefix: str) -> str | None:
    """Why `file_id` cannot be an object key of an integration rooted at `prefix`, or None."""
    if not file_id or len(file_id.encode()) > MAX_KEY_BYTES or not file_id.isprintable():
        return f"an S3 key is 1-{MAX_KEY_BYTES} bytes of printable characters"
    if not file_id.startswith(prefix):
        return f"the key is outside the integration's prefix {prefix!r}"
    return None


class S3Connector:
    def __init__(
        self,
        location: S3Location,
        keys: S3Keys,
        *,
        policy: AddressPolicy,
        timeout: float = 30.0,
        max_retries: int = 3,
    ) -> None:
        self._location = location
        self._keys = keys
        self._policy = policy
        self._settings = (timeout, max_retries)
        self._endpoint_checked = False

    async def check(self) -> None:
        prefix = self._location.prefix
        await self._call("list_objects_v2", prefix, Prefix=prefix, MaxKeys=1)

    async def list_folder(
        self, folder_id: str | None, cursor: str | None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> RemotePage:
        prefix = _folder_prefix(folder_id) if folder_id else self._location.prefix
        if not prefix.startswith(self._location.prefix):
            message = f"{prefix!r} is outside the integration's prefix {self._location.prefix!r}"
            raise JobFailure(JobErrorCode.SOURCE_ACCESS_DENIED, message)
        options: dict[str, Any] = {"Prefix": prefix, "Delimiter": "/", "MaxKeys": page_size}
        if cursor:
            options["ContinuationToken"] = cursor
        answer = await self._call("list_objects_v2", prefix or "/", **options)
        folders = [_folder(p["Prefix"]) for p in answer.get("CommonPrefixes", [])]
        files = [_file(o) for o in answer.get("Contents", []) if o["Key"] != prefix]
        token = answer.get("NextContinuationToken") if answer.get("IsTruncated") else None
        return RemotePage(folders + files, token)

    async def fetch(self, file_id: str, dest_dir: Path, *, max_size: int) -> FetchedFile:
        problem = file_id_problem(file_id, self._location.prefix)
        if problem:
            raise JobFailure(JobErrorCode.SOURCE_NOT_FOUND, f"no object {file_id!r}: {problem}")
        await self._check_endpoint()
        client = self._client()
        sink = DownloadSink(dest_dir, max_size)
        try:
            await asyncio.to_thread(self._download, client, file_id, sink, max_size)
        except BaseException:
            sink.discard()
            raise
        return await sink.finish(file_id.rsplit("/", 1)[-1] or file_id)

    async def aclose(self) -> None:
        """Nothing to close: clients are shared (see `_client`)."""

    def _download(self, client: Any, key: str, sink: DownloadSink, max_size: int) -> None:
        try:
            answer = client.get_object(Bucket=self._location.bucket, Key=key)
            body = answer["Body"]
            try:
                refuse_oversize(answer.get("ContentLength"), max_size, key)
                for chunk in body.iter_chunks(_CHUNK):
                    sink.write(chunk)
            finally:
                body.close()
        except (ClientError, BotoCoreError) as exc:
            raise _failure(exc, key) from exc

    async def _call(self, operation: str, what: str, **options: Any) -> dict[str, Any]:
        await self._check_endpoint()
        client = self._client()
        method = getattr(client, operation)
        try:
            answer: dict[str, Any] = await asyncio.to_thread(
                method, Bucket=self._location.bucket, **options
            )
        except (ClientError, BotoCoreError) as exc:
            raise _failure(exc, what) from exc
        return answer

    async def _check_endpoint(self) -> None:
        url = self._location.endpoint_url
        if url is None or self._endpoint_checked:
            return
        await check_endpoint(url, self._policy)
        self._endpoint_checked = True

    def _client(self) -> Any:
        timeout, retries = self._settings
        return _shared_client(self._location, self._keys, timeout, retries)


async def check_endpoint(url: str, policy: AddressPolicy = PUBLIC_ONLY) -> None:
    """Refuse an endpoint whose host is, or resolves to, an address the policy blocks."""
    try:
        target = check_url_syntax(url)
    except InvalidUrl as exc:
        raise IntegrationRejected(f"endpointUrl is not valid: {exc}") from None
    try:
        addresses = [target.ip] if target.ip is not None else await resolve_host(target.host, 0)
    except OSError as exc:
        message = f"the S3 endpoint {target.host} does not resolve ({exc})"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=True) from None
    blocked = [a for a in addresses if policy.blocks(a, host=target.host, port=target.port)]
    if blocked or not addresses:
        message = f"the S3 endpoint {target.host} points to a private or reserved address"
        raise JobFailure(JobErrorCode.URL_BLOCKED, message)


_CLIENT_LOCK = threading.Lock()


@functools.lru_cache(maxsize=32)
def _shared_client(location: S3Location, keys: S3Keys, timeout: float, retries: int) -> Any:
    """A boto3 client per (endpoint, credentials): clients are thread-safe, creating one is not
    (and costs ~50 ms), so they are made under a lock and kept."""
    path_style = location.path_style
    if path_style is None:
        path_style = location.endpoint_url is not None
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if path_style else "auto"},
        retries={"mode": "standard", "max_attempts": retries + 1},
        connect_timeout=timeout,
        read_timeout=timeout,
        max_pool_connections=16,
    )
    with _CLIENT_LOCK:
        return boto3.session.Session().client(
            "s3",
            region_name=location.region,
            endpoint_url=location.endpoint_url,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
            aws_session_token=keys.session_token,
            config=config,
        )


def _failure(exc: Exception, what: str) -> JobFailure:
    """A botocore error as a job failure with the spec's code."""
    if not isinstance(exc, ClientError):
        message = f"S3 cannot be reached: {exc}"
        return JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=True)
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    detail = f"{code}: {error.get('Message', '')}".strip(": ")
    if code in _REJECTED:
        return IntegrationRejected(f"S3 refused the credentials ({detail})")
    if code == "NoSuchBucket":
        return IntegrationRejected(f"the bucket does not exist ({detail})", _NOT_FOUND)
    return _object_failure(code, status, detail, what)


def _object_failure(code: str, status: int, detail: str, what: str) -> JobFailure:
    if code in _MISSING:
        return JobFailure(_NOT_FOUND, f"there is no object {what!r} in the bucket")
    if code in _DENIED:
        return JobFailure(JobErrorCode.SOURCE_ACCESS_DENIED, f"S3 refused access to {what!r}")
    if code in _THROTTLED or status == 429:
        message = f"S3 kept answering that requests come too fast ({detail})"
        return JobFailure(JobErrorCode.PROVIDER_RATE_LIMITED, message, transient=True)
    transient = status >= 500 or code in ("RequestTimeout", "InternalError")
    return JobFailure(JobErrorCode.DOWNLOAD_FAILED, f"S3 failed: {detail}", transient=transient)


_NOT_FOUND = JobErrorCode.SOURCE_NOT_FOUND


def _folder_prefix(folder_id: str) -> str:
    return folder_id if folder_id.endswith("/") else folder_id + "/"


def _folder(prefix: str) -> RemoteEntry:
    name = prefix.rstrip("/").rsplit("/", 1)[-1]
    return RemoteEntry(prefix, name, None, None, None, is_folder=True)


def _file(item: dict[str, Any]) -> RemoteEntry:
    key = str(item["Key"])
    return RemoteEntry(
        file_id=key,
        name=key.rsplit("/", 1)[-1],
        mime_type=mimetypes.guess_type(key)[0],
        size=int(item.get("Size", 0)),
        modified_at=item.get("LastModified"),
        is_folder=False,
    )
