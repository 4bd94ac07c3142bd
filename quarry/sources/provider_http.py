"""HTTP to a storage provider's REST API (Google Drive, Dropbox): retries, backoff, OAuth tokens.

`send` retries 429, 5xx and dropped connections up to `HttpPolicy.max_retries` times, waiting
`retry_base × 2^n` seconds or what `Retry-After` asks (capped), then fails with a transient
`JobFailure` so the job itself is retried later. `BearerToken` keeps an OAuth access token fresh:
it refreshes one that is missing or about to expire, and once more when the provider answers 401;
a refused refresh token is `IntegrationRejected`. New tokens go to the `on_tokens` callback so
the caller can store them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.core.time import utcnow
from quarry.sources.connectors import IntegrationRejected

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_EXPIRY_MARGIN = timedelta(seconds=60)

Retryable = Callable[[httpx.Response], Awaitable[bool]]


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 30.0
    max_retries: int = 3
    retry_base: float = 1.0
    max_retry_wait: float = 30.0

    def backoff(self, attempt: int, response: httpx.Response | None = None) -> float:
        asked = _retry_after(response) if response is not None else None
        wait = asked if asked is not None else self.retry_base * 2**attempt
        return min(wait, self.max_retry_wait)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


async def _status_retryable(response: httpx.Response) -> bool:
    return response.status_code in RETRY_STATUSES


@asynccontextmanager
async def send(
    http: httpx.AsyncClient,
    request: httpx.Request,
    policy: HttpPolicy,
    provider: str,
    retryable: Retryable = _status_retryable,
) -> AsyncIterator[httpx.Response]:
    """A streaming response that is not worth retrying (any status), or a transient failure."""
    for attempt in range(policy.max_retries + 1):
        last = attempt == policy.max_retries
        try:
            response = await http.send(request, stream=True)
        except httpx.TransportError as exc:
            if last:
                message = f"{provider} cannot be reached: {exc or type(exc).__name__}"
                raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=True) from exc
            await asyncio.sleep(policy.backoff(attempt))
            continue
        try:
            if await retryable(response):
                if last:
                    raise _exhausted(response, provider)
                await asyncio.sleep(policy.backoff(attempt, response))
                continue
            yield response
            return
        finally:
            await response.aclose()


def _exhausted(response: httpx.Response, provider: str) -> JobFailure:
    if response.status_code in (429, 403):
        message = f"{provider} kept answering that requests come too fast (rate limited)"
        return JobFailure(JobErrorCode.PROVIDER_RATE_LIMITED, message, transient=True)
    message = f"{provider} kept answering HTTP {response.status_code}"
    return JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=True)


async def body_chunks(response: httpx.Response, provider: str) -> AsyncIterator[bytes]:
    """A download's bytes; a connection that breaks midway is a transient failure."""
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except httpx.TransportError as exc:
        message = f"the connection to {provider} broke during the download: {exc}"
        raise JobFailure(JobErrorCode.DOWNLOAD_FAILED, message, transient=True) from exc


async def json_body(response: httpx.Response) -> Any:
    """The JSON of a (streaming) response, or None when it is not JSON."""
    try:
        await response.aread()
        return response.json()
    except (ValueError, httpx.HTTPError):
        return None


@dataclass(frozen=True)
class OAuthApp:
    """The client registered with the provider, and where it trades codes and refresh tokens."""

    token_url: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str | None
    refresh_token: str | None
    expires_at: datetime | None

    def fresh(self) -> bool:
        if not self.access_token:
            return False
        return self.expires_at is None or self.expires_at - _EXPIRY_MARGIN > utcnow()


TokenSink = Callable[[OAuthTokens], Awaitable[None]]


class BearerToken:
    """The `Authorization` header of a connector, refreshed when needed."""

    def __init__(
        self,
        tokens: OAuthTokens,
        app: OAuthApp | None,
        on_tokens: TokenSink,
        *,
        provider: str,
        policy: HttpPolicy,
    ) -> None:
        self.tokens = tokens
        self._app = app
        self._on_tokens = on_tokens
        self._provider = provider
        self._policy = policy

    @property
    def can_refresh(self) -> bool:
        return self._app is not None and bool(self.tokens.refresh_token)

    async def header(self, http: httpx.AsyncClient) -> dict[str, str]:
        if not self.tokens.fresh():
            await self.refresh(http)
        return {"Authorization": f"Bearer {self.tokens.access_token}"}

    async def refresh(self, http: httpx.AsyncClient) -> None:
        if self._app is None or not self.tokens.refresh_token:
            missing = "no refresh token" if self._app else "no OAuth client configured"
            message = f"the {self._provider} access token expired and there is {missing}"
            raise IntegrationRejected(message)
        form = {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token}
        self.tokens = await request_tokens(
            http, self._app, form, provider=self._provider, policy=self._policy
        )
        await self._on_tokens(self.tokens)


async def request_tokens(
    http: httpx.AsyncClient,
    app: OAuthApp,
    form: dict[str, str],
    *,
    provider: str,
    policy: HttpPolicy,
) -> OAuthTokens:
    """POST a grant to the token endpoint; a refused grant is `IntegrationRejected`."""
    body = {**form, "client_id": app.client_id, "client_secret": app.client_secret}
    request = http.build_request("POST", app.token_url, data=body)
    async with send(http, request, policy, provider) as response:
        answer = await json_body(response)
        if response.status_code != 200 or not isinstance(answer, dict):
            reason = _oauth_error(answer) or f"HTTP {response.status_code}"
            raise IntegrationRejected(f"{provider} refused the authorization: {reason}")
    return _tokens_from(answer, form.get("refresh_token"))


def _oauth_error(answer: Any) -> str | None:
    if not isinstance(answer, dict):
        return None
    error = answer.get("error")
    description = answer.get("error_description")
    if isinstance(error, str):
        return f"{error} ({description})" if isinstance(description, str) else error
    return None


def _tokens_from(answer: dict[str, Any], previous_refresh: str | None) -> OAuthTokens:
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise IntegrationRejected("the token endpoint answered no access token")
    expires_in = answer.get("expires_in")
    expires_at = (
        utcnow() + timedelta(seconds=float(expires_in))
        if isinstance(expires_in, int | float)
        else None
    )
    refresh = answer.get("refresh_token")
    kept = refresh if isinstance(refresh, str) and refresh else previous_refresh
    return OAuthTokens(access, kept, expires_at)


class RestSession:
    """An httpx client for one provider with its bearer token, retries and one refresh on 401."""

    def __init__(
        self,
        auth: BearerToken,
        policy: HttpPolicy,
        provider: str,
        retryable: Retryable = _status_retryable,
    ) -> None:
        self.auth = auth
        self.policy = policy
        self.provider = provider
        self._retryable = retryable
        self.http = httpx.AsyncClient(timeout=policy.timeout, follow_redirects=True)

    @asynccontextmanager
    async def call(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> AsyncIterator[httpx.Response]:
        """The provider's answer; a 401 is answered once by refreshing the access token."""
        refreshed = False
        while True:
            sent = {**(headers or {}), **await self.auth.header(self.http)}
            request = self.http.build_request(method, url, headers=sent, **kwargs)
            async with send(self.http, request, self.policy, self.provider, self._retryable) as r:
                if r.status_code != 401 or refreshed or not self.auth.can_refresh:
                    yield r
                    return
            await self.auth.refresh(self.http)
            refreshed = True

    async def aclose(self) -> None:
        await self.http.aclose()
