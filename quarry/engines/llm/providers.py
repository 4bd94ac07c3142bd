"""The two wire protocols: OpenAI chat completions and Anthropic messages.

OpenAI-compatible (OpenAI, vLLM, Ollama, llama.cpp server): `POST {base}/chat/completions`
with `Authorization: Bearer <key>` (when a key is set) and `response_format` =
`{"type": "json_schema", "json_schema": {"name", "strict": true, "schema"}}`; for servers
without JSON-schema support, `OPENAI_STRUCTURED_OUTPUT=json_object` sends
`{"type": "json_object"}` and puts the schema in the system prompt instead. `max_tokens`
(LLM_MAX_OUTPUT_TOKENS) bounds every answer, so a model that loops stops there and the call
fails as cut off instead of running until the timeout and being retried.

Anthropic: `POST {base}/v1/messages` with `x-api-key` and `anthropic-version: 2023-06-01`, one
tool whose `input_schema` is the answer schema, and `tool_choice` forcing that tool; the answer
is the tool call's `input`.

Both report usage (input and output tokens) and the model that answered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.engines.llm.options import LlmOptions
from quarry.engines.llm.transport import ProviderClient, RetryPolicy

ANTHROPIC_VERSION = "2023-06-01"
_FENCE = "```"


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    schema: dict[str, Any]
    schema_name: str = "record_extraction"
    purpose: str = "Record the values found in the document."


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.calls + other.calls,
        )

    def wire(self, model: str) -> dict[str, Any]:
        """As stored and shown: `{inputTokens, outputTokens, calls, model}`."""
        return {
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "calls": self.calls,
            "model": model,
        }


@dataclass(frozen=True)
class Completion:
    data: dict[str, Any]
    usage: Usage
    model: str


class Provider(Protocol):
    model: str

    def complete(self, prompt: Prompt) -> Completion: ...

    def close(self) -> None: ...

    def retried(self) -> list[str]:
        """Why calls were retried so far (one entry per retry)."""
        ...


def open_provider(options: LlmOptions, *, sleep: Callable[[float], None] = time.sleep) -> Provider:
    """The provider `options.provider` names, ready to call (close it when done)."""
    deadline = None
    if options.deadline_seconds is not None:
        deadline = time.monotonic() + options.deadline_seconds
    policy = RetryPolicy(options.max_retries, options.max_retry_wait_seconds, deadline)
    if options.provider == "anthropic":
        return AnthropicMessages(
            options, _client(options, _anthropic_headers(options), policy, sleep)
        )
    return OpenAIChat(options, _client(options, _openai_headers(options), policy, sleep))


def _client(
    options: LlmOptions,
    headers: dict[str, str],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
) -> ProviderClient:
    return ProviderClient(
        provider=options.provider,
        base_url=options.base_url,
        headers=headers,
        timeout_seconds=options.timeout_seconds,
        policy=policy,
        secret=options.api_key,
        sleep=sleep,
    )


def _openai_headers(options: LlmOptions) -> dict[str, str]:
    return {"Authorization": f"Bearer {options.api_key}"} if options.api_key else {}


def _anthropic_headers(options: LlmOptions) -> dict[str, str]:
    return {"x-api-key": options.api_key or "", "anthropic-version": ANTHROPIC_VERSION}


class OpenAIChat:
    def __init__(self, options: LlmOptions, client: ProviderClient) -> None:
        self.model = options.model
        self.structured_output = options.structured_output
        self.max_tokens = options.max_output_tokens
        self.client = client

    def close(self) -> None:
        self.client.__exit__()

    def retried(self) -> list[str]:
        return list(self.client.retried)

    def complete(self, prompt: Prompt) -> Completion:
        answer = self.client.post("/chat/completions", self.body(prompt))
        choice = _first(answer.get("choices"))
        message = _object(choice.get("message"))
        if message.get("refusal"):
            raise _failure(f"the model refused: {self.client.redact(str(message['refusal']))}")
        if choice.get("finish_reason") == "length":
            raise _failure("the model's answer was cut off; raise LLM_MAX_OUTPUT_TOKENS")
        usage = _object(answer.get("usage"))
        return Completion(
            data=parse_json_object(message.get("content")),
            usage=Usage(_int(usage, "prompt_tokens"), _int(usage, "completion_tokens"), 1),
            model=str(answer.get("model") or self.model),
        )

    def body(self, prompt: Prompt) -> dict[str, Any]:
        system = prompt.system
        if self.structured_output == "json_schema":
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {
                    "name": prompt.schema_name,
                    "strict": True,
                    "schema": prompt.schema,
                },
            }
        else:
            response_format = {"type": "json_object"}
            system += (
                "\n\nAnswer with one JSON object (no other text) that follows this JSON "
                f"Schema:\n{json.dumps(prompt.schema, ensure_ascii=False)}"
            )
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": prompt.user},
            ],
            "response_format": response_format,
            "max_tokens": self.max_tokens,
        }


class AnthropicMessages:
    def __init__(self, options: LlmOptions, client: ProviderClient) -> None:
        self.model = options.model
        self.max_tokens = options.max_output_tokens
        self.client = client

    def close(self) -> None:
        self.client.__exit__()

    def retried(self) -> list[str]:
        return list(self.client.retried)

    def complete(self, prompt: Prompt) -> Completion:
        answer = self.client.post("/v1/messages", self.body(prompt))
        if answer.get("stop_reason") == "max_tokens":
            raise _failure("the model's answer was cut off; raise LLM_MAX_OUTPUT_TOKENS")
        if answer.get("stop_reason") == "refusal":
            raise _failure("the model refused to answer")
        usage = _object(answer.get("usage"))
        read = _int(usage, "input_tokens") + _int(usage, "cache_read_input_tokens")
        read += _int(usage, "cache_creation_input_tokens")
        return Completion(
            data=_tool_input(answer.get("content"), prompt.schema_name),
            usage=Usage(read, _int(usage, "output_tokens"), 1),
            model=str(answer.get("model") or self.model),
        )

    def body(self, prompt: Prompt) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": prompt.system,
            "messages": [{"role": "user", "content": prompt.user}],
            "tools": [
                {
                    "name": prompt.schema_name,
                    "description": prompt.purpose,
                    "input_schema": prompt.schema,
                }
            ],
            "tool_choice": {"type": "tool", "name": prompt.schema_name},
        }


def _tool_input(content: Any, tool: str) -> dict[str, Any]:
    for block in content if isinstance(content, list) else []:
        block_data = _object(block)
        if block_data.get("type") == "tool_use" and block_data.get("name") == tool:
            tool_input = block_data.get("input")
            if isinstance(tool_input, dict):
                return tool_input
    raise _failure("the model did not call the extraction tool", transient=True)


def parse_json_object(content: Any) -> dict[str, Any]:
    """The JSON object in a model's text answer (code fences around it are allowed)."""
    text = content.strip() if isinstance(content, str) else ""
    if text.startswith(_FENCE):
        text = text.removeprefix(_FENCE).removeprefix("json").strip()
        text = text.removesuffix(_FENCE).strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _failure("the model's answer is not a JSON object", transient=True)
    return data


def _first(choices: Any) -> dict[str, Any]:
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    raise _failure("the provider's answer has no choices", transient=True)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _failure(message: str, *, transient: bool = False) -> JobFailure:
    return JobFailure(JobErrorCode.ENGINE_ERROR, message, transient=transient)
