"""Retries against a provider: Retry-After honoured, backoff, caps, and errors without keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.engines.llm.options import LlmOptions
from quarry.engines.llm.providers import Prompt, open_provider
from quarry.engines.llm.transport import retry_after
from tests.fakes.llm_servers import OPENAI_KEY, FakeLlmServer, running

PROMPT = Prompt("system", "user", {"type": "object", "properties": {}, "required": []})


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLlmServer]:
    with running() as fake:
        yield fake


@pytest.fixture(autouse=True)
def fresh(server: FakeLlmServer) -> None:
    server.reset()
    server.answer = lambda request: {"ok": True}


def options(server: FakeLlmServer, **changes: object) -> LlmOptions:
    values: dict[str, object] = {
        "provider": "openai",
        "base_url": f"{server.base_url}/v1",
        "model": "gpt-fake",
        "api_key": OPENAI_KEY,
        "max_retries": 3,
        "max_retry_wait_seconds": 30,
        "timeout_seconds": 5,
    }
    values.update(changes)
    return LlmOptions(**values)  # type: ignore[arg-type]


def call(server: FakeLlmServer, sleeps: list[float], **changes: object) -> dict[str, object]:
    provider = open_provider(options(server, **changes), sleep=sleeps.append)
    try:
        return provider.complete(PROMPT).data
    finally:
        provider.close()


def test_retry_after_in_seconds_is_waited_before_each_retry(server: FakeLlmServer) -> None:
    server.fail(429, times=2, headers={"Retry-After": "7"})
    sleeps: list[float] = []
    assert call(server, sleeps) == {"ok": True}
    assert sleeps == [7.0, 7.0]
    assert len(server.requests) == 3


def test_retry_after_as_an_http_date_and_in_milliseconds() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert 17 <= (retry_after({"retry-after": later}) or 0) <= 20
    assert retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_without_retry_after_the_waits_grow_exponentially(server: FakeLlmServer) -> None:
    server.fail(429, times=3)
    sleeps: list[float] = []
    call(server, sleeps)
    assert sleeps == [1.0, 2.0, 4.0]


def test_a_429_that_never_ends_fails_as_rate_limited_and_transient(server: FakeLlmServer) -> None:
    server.fail_always(429, headers={"Retry-After": "1"})
    sleeps: list[float] = []
    with pytest.raises(JobFailure) as failure:
        call(server, sleeps, max_retries=2)
    assert failure.value.code is JobErrorCode.PROVIDER_RATE_LIMITED
    assert failure.value.transient
    assert len(server.requests) == 3 and sleeps == [1.0, 1.0]


def test_a_wait_beyond_the_cap_is_not_waited(server: FakeLlmServer) -> None:
    server.fail(429, headers={"Retry-After": "3600"})
    sleeps: list[float] = []
    with pytest.raises(JobFailure) as failure:
        call(server, sleeps, max_retry_wait_seconds=30)
    assert failure.value.code is JobErrorCode.PROVIDER_RATE_LIMITED
    assert "3600" in failure.value.message and sleeps == []


def test_a_wait_past_the_extraction_deadline_is_not_waited(server: FakeLlmServer) -> None:
    server.fail(429, headers={"Retry-After": "10"})
    sleeps: list[float] = []
    with pytest.raises(JobFailure):
        call(server, sleeps, deadline_seconds=5)
    assert sleeps == []


def test_server_errors_are_retried_then_fail_as_transient_engine_errors(
    server: FakeLlmServer,
) -> None:
    server.fail(503)
    sleeps: list[float] = []
    assert call(server, sleeps) == {"ok": True}
    server.fail_always(500)
    with pytest.raises(JobFailure) as failure:
        call(server, sleeps, max_retries=1)
    assert failure.value.code is JobErrorCode.ENGINE_ERROR and failure.value.transient
    assert "500" in failure.value.message


def test_a_refused_key_fails_at_once_and_never_shows_the_key(server: FakeLlmServer) -> None:
    with pytest.raises(JobFailure) as failure:
        call(server, [], api_key="sk-wrong-key-value-123456")
    assert failure.value.code is JobErrorCode.ENGINE_ERROR and not failure.value.transient
    assert "401" in failure.value.message
    assert "sk-wrong" not in str(failure.value) and OPENAI_KEY[:8] not in str(failure.value)
    assert len(server.requests) == 1


def test_a_bad_request_names_the_providers_reason_without_key_material(
    server: FakeLlmServer,
) -> None:
    body = {"error": {"message": f"model 'nope' does not exist (key {OPENAI_KEY})"}}
    server.fail(404, body=body)
    with pytest.raises(JobFailure) as failure:
        call(server, [])
    assert "does not exist" in failure.value.message
    assert OPENAI_KEY not in failure.value.message and not failure.value.transient


def test_an_unreachable_server_is_a_transient_engine_error() -> None:
    unreachable = LlmOptions(
        provider="openai", base_url="http://127.0.0.1:9/v1", model="m", max_retries=1
    )
    sleeps: list[float] = []
    provider = open_provider(unreachable, sleep=sleeps.append)
    with pytest.raises(JobFailure) as failure:
        provider.complete(PROMPT)
    provider.close()
    assert failure.value.code is JobErrorCode.ENGINE_ERROR and failure.value.transient
    assert sleeps == [1.0]
