"""What Quarry sends to the providers and how it reads their answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from quarry.core.errors import JobFailure
from quarry.core.fields import specs_from_wire
from quarry.engines.llm.answer_schema import answer_schema
from quarry.engines.llm.options import LlmOptions
from quarry.engines.llm.providers import Prompt, open_provider, parse_json_object
from tests.fakes.llm_servers import ANTHROPIC_KEY, OPENAI_KEY, FakeLlmServer, running

FIELDS = specs_from_wire(
    [
        {"name": "invoice_number", "type": "text", "description": "As printed"},
        {"name": "date", "type": "date"},
        {"name": "total", "type": "number"},
        {"name": "paid", "type": "boolean"},
        {
            "name": "status",
            "type": "text",
            "possibleValues": [{"id": "1", "label": "open"}, {"id": "2", "label": "closed"}],
        },
        {"name": "vendor", "type": "object", "properties": [{"name": "name", "type": "text"}]},
        {
            "name": "line_items",
            "type": "object",
            "isArray": True,
            "properties": [{"name": "amount", "type": "number"}],
        },
        {"name": "tags", "type": "text", "isArray": True},
    ]
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLlmServer]:
    with running() as fake:
        yield fake


def test_the_answer_schema_is_strict_nullable_and_typed_per_field() -> None:
    schema = answer_schema(FIELDS)
    props = schema["properties"]
    assert schema["required"] == [spec.name for spec in FIELDS]
    assert schema["additionalProperties"] is False
    assert props["invoice_number"] == {"type": ["string", "null"], "description": "As printed"}
    assert (
        props["date"]["type"] == ["string", "null"] and "YYYY-MM-DD" in props["date"]["description"]
    )
    assert props["total"]["type"] == ["number", "null"]
    assert props["paid"]["type"] == ["boolean", "null"]
    assert props["status"]["enum"] == ["open", "closed", None]
    vendor = props["vendor"]["anyOf"][0]
    assert vendor["required"] == ["name"] and vendor["additionalProperties"] is False
    assert props["vendor"]["anyOf"][1] == {"type": "null"}
    assert props["line_items"]["type"] == ["array", "null"]
    assert props["line_items"]["items"]["properties"]["amount"] == {"type": ["number", "null"]}
    assert props["tags"]["items"] == {"type": "string"}  # items themselves are never null


def test_openai_requests_carry_the_key_model_and_a_strict_json_schema(
    server: FakeLlmServer,
) -> None:
    server.reset()
    server.answer = lambda request: {"total": 12.5}
    completion = _complete(server, "openai", "json_schema")
    request = server.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert request.body["model"] == "gpt-fake"
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"] == answer_schema(FIELDS)
    assert request.body["max_tokens"] == LlmOptions.max_output_tokens  # a looping model stops
    assert completion.data == {"total": 12.5}
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (120, 30)
    assert completion.model == "gpt-fake-2026-01-01"


def test_json_object_mode_puts_the_schema_in_the_prompt_instead(server: FakeLlmServer) -> None:
    server.reset()
    _complete(server, "openai", "json_object")
    body = server.requests[-1].body
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    assert json.dumps(answer_schema(FIELDS), ensure_ascii=False) in system


def test_anthropic_requests_force_one_tool_whose_input_is_the_answer(
    server: FakeLlmServer,
) -> None:
    server.reset()
    server.answer = lambda request: {"invoice_number": "A-1"}
    completion = _complete(server, "anthropic", "json_schema")
    request = server.requests[-1]
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == ANTHROPIC_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers
    tool = request.body["tools"][0]
    assert tool["input_schema"] == answer_schema(FIELDS)
    assert request.body["tool_choice"] == {"type": "tool", "name": tool["name"]}
    assert request.body["max_tokens"] == 4096
    assert completion.data == {"invoice_number": "A-1"}
    assert completion.usage.calls == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ("  ```\n{}\n```  ", {}),
    ],
)
def test_answers_in_code_fences_are_read(content: str, expected: dict[str, Any]) -> None:
    assert parse_json_object(content) == expected


@pytest.mark.parametrize("content", ["[1, 2]", "not json", None, '"text"'])
def test_answers_that_are_not_an_object_are_transient_engine_errors(content: Any) -> None:
    with pytest.raises(JobFailure) as failure:
        parse_json_object(content)
    assert failure.value.transient


def _complete(server: FakeLlmServer, provider: str, mode: str) -> Any:
    options = LlmOptions(
        provider=provider,
        base_url=f"{server.base_url}/v1" if provider == "openai" else server.base_url,
        model="gpt-fake" if provider == "openai" else "claude-fake",
        api_key=OPENAI_KEY if provider == "openai" else ANTHROPIC_KEY,
        structured_output=mode,  # type: ignore[arg-type]
    )
    client = open_provider(options)
    try:
        return client.complete(Prompt("rules", "document", answer_schema(FIELDS)))
    finally:
        client.close()
