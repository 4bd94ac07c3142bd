"""POST JSON to an LLM provider, with retries; every failure becomes a `JobFailure`.

    the provider answers                  what happens
    2xx with a JSON object                returned
    429                                   wait `retry-after-ms` / `Retry-After` (seconds or an
                                          HTTP date), else back off 1, 2, 4 … s; retried up to
                                          `max_retries` times, then PROVIDER_RATE_LIMITED
                                          (transient, so the job-level retry applies too)
    408, 409, 5xx, timeout, no connection back off and retry; then ENGINE_ERROR (transient)
    401, 403                              ENGINE_ERROR: the provider refused the API key
    other 4xx (bad model, bad request)    ENGINE_ERROR with the provider's message
    2xx that is not a JSON object         ENGINE_ERROR (transient)

A wait longer than `max_wait_seconds`, or one that would pass the extraction's deadline,
is not waited: the failure is raised at once. Every retry is logged as a warning and kept in
`retried` (the engine turns them into the result's warnings). The API key travels only in a
header; it is cut out of every message that could reach a log or the job's `errorMessage`.
"""

from __future__ import annotations

import email.utils
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from quarry.core.errors import JobErrorCode, JobFailure

log = logging.getLogger(__name__)
_RETRYABLE_STATUS = frozenset({408, 409})
_MESSAGE_CHARS = 300
_KEY_LIKE = re.compile(r"\b(sk|key|api)[-_][A-Za-z0-9*_\-.]{6,}", re.IGNORECASE)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    max_wait_seconds: float
    deadline: float | None = None  # a time.monotonic() value
    backoff_base_seconds: float = 1.0


@dataclass(frozen=True)
class _Retry:
    failure: JobFailure
    wait: float | None  # what the provider asked for; None: back off


class ProviderClient:
    """One provider endpoint; `post` retries as the module docstring says."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        timeout_seconds: float,
        policy: RetryPolicy,
        secret: str | None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.policy = policy
        self.retried: list[str] = []
        self._secret = secret
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=dict(headers),
            timeout=timeout_seconds,
            trust_env=False,
        )

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The provider's JSON answer; raises JobFailure when it never comes."""
        retries = 0
        while True:
            outcome = self._attempt(path, body)
            if not isinstance(outcome, _Retry):
                return outcome
            if retries >= self.policy.max_retries:
                raise outcome.failure
            self._pause(outcome, retries)
            retries += 1
            self.retried.append(outcome.failure.message)
            log.warning("retrying an LLM call (retry %d): %s", retries, outcome.failure.message)

    def _pause(self, retry: _Retry, retries: int) -> None:
        policy = self.policy
        wait = retry.wait
        if wait is None:
            wait = min(policy.backoff_base_seconds * 2**retries, policy.max_wait_seconds)
        if wait > policy.max_wait_seconds:
            failure = retry.failure
            message = f"{failure.message}; asked to wait {wait:g} s, more than the limit"
            raise JobFailure(failure.code, message, transient=failure.transient)
        if policy.deadline is not None and time.monotonic() + wait > policy.deadline:
            raise retry.failure
        self._sleep(wait)

    def _attempt(self, path: str, body: Mapping[str, Any]) -> dict[str, Any] | _Retry:
        try:
            response = self._http.post(path, json=body)
        except httpx.TimeoutException:
            return _Retry(self._engine_error("did not answer in time", transient=True), None)
        except httpx.TransportError as exc:
            reason = f"could not be reached ({type(exc).__name__})"
            return _Retry(self._engine_error(reason, transient=True), None)
        return self._judge(response)

    def _judge(self, response: httpx.Response) -> dict[str, Any] | _Retry:
        status = response.status_code
        if status == 429:
            failure = JobFailure(
                JobErrorCode.PROVIDER_RATE_LIMITED,
                f"{self.provider} kept answering 429 (rate limited){self._detail(response)}",
                transient=True,
            )
            return _Retry(failure, retry_after(response.headers))
        if status >= 500 or status in _RETRYABLE_STATUS:
            failure = self._engine_error(f"answered {status}{self._detail(response)}", True)
            return _Retry(failure, None)
        if status in (401, 403):
            raise self._engine_error(f"refused the API key ({status}); check the key setting")
        if status >= 400:
            raise self._engine_error(f"refused the request ({status}){self._detail(response)}")
        return self._json(response)

    def _json(self, response: httpx.Response) -> dict[str, Any] | _Retry:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return _Retry(self._engine_error("answered something that is not JSON", True), None)
        return data

    def _detail(self, response: httpx.Response) -> str:
        message = provider_message(response)
        return f": {self.redact(message)}" if message else ""

    def _engine_error(self, what: str, transient: bool = False) -> JobFailure:
        return JobFailure(JobErrorCode.ENGINE_ERROR, f"{self.provider} {what}", transient=transient)

    def redact(self, text: str) -> str:
        """`text` without the API key or anything shaped like one."""
        if self._secret:
            text = text.replace(self._secret, "***")
        return _KEY_LIKE.sub("***", text)[:_MESSAGE_CHARS]


def provider_message(response: httpx.Response) -> str:
    """The error message of an OpenAI- or Anthropic-style error body, if any."""
    try:
        data = response.json()
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return error if isinstance(error, str) else ""


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return max(millis / 1000, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
