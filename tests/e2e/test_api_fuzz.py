"""Schema-based fuzzing of the whole API with schemathesis (issue 9, item 13).

Every operation of `/api/openapi.json` gets a few generated requests (valid and invalid ones,
derandomized so a run is repeatable) against a real `quarry serve`, authenticated with a real
token. Each answer must not be a server error, must use a status the operation declares, and
must match its declared schema (the error envelope for errors). Bounded to a few examples per
operation so the whole run stays near a minute on two cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import pg
from tests.e2e.server import quarry_server

EXAMPLES_PER_OPERATION = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(pg_server: str, data_dir: Path) -> Iterator[tuple[str, str]]:
    """A server (one worker, private URLs blocked) and a registered user's access token."""
    with (
        pg.clone(pg_server) as url,
        quarry_server(data_dir, url, ALLOW_PRIVATE_URLS="false", WORKER_CONCURRENCY="1") as (
            base_url,
            _,
        ),
    ):
        body = {"name": "Fuzz", "email": "fuzz@example.com", "password": "correct horse battery"}
        answer = httpx.post(f"{base_url}/api/auth/register", json=body, timeout=30)
        assert answer.status_code == 201, answer.text
        yield base_url, str(answer.json()["accessToken"])


def fuzz_operation(operation: Any, mode: GenerationMode, base_url: str, token: str) -> int:
    """Fuzz one operation in one mode; returns how many requests were sent."""
    headers = {"Authorization": f"Bearer {token}"}
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exchange(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        sent.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    exchange()
    return len(sent)


def test_every_operation_answers_within_its_contract(
    fuzzed: tuple[str, str], record_property: Any
) -> None:
    base_url, token = fuzzed
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    failures: list[str] = []
    operations = sent = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the fuzzer cannot read: {result.err()}")
            continue
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                sent += fuzz_operation(operation, mode, base_url, token)
            except Unsatisfiable:  # nothing to get wrong: no parameters, no body
                continue
            except Exception as exc:  # every operation is fuzzed; all failures are reported
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    record_property("fuzzed_operations", operations)
    record_property("fuzz_requests", sent)
    print(f"fuzzed {operations} operations with {sent} requests")
    assert operations >= 60
    assert not failures, "\n\n".join(failures)
