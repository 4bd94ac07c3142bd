"""An LLM engine's options: built by the worker from Settings, handed to the engine in its
`EngineContext.options` (a plain mapping, so it crosses the process boundary).

The engines never read Settings themselves; `engine_options` is the one place that does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from quarry.core.config import Settings
from quarry.core.errors import JobErrorCode, JobFailure

LLM_ENGINES = frozenset({"openai", "anthropic"})
StructuredOutput = Literal["json_schema", "json_object"]


@dataclass(frozen=True)
class LlmOptions:
    """Where and how to call the provider. `deadline_seconds` is how long the whole
    extraction may take (the child's wall-clock limit): retries never wait past it."""

    provider: str
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    structured_output: StructuredOutput = "json_schema"
    timeout_seconds: float = 60.0
    max_retries: int = 3
    max_retry_wait_seconds: float = 30.0
    max_input_tokens: int = 24_000
    max_output_tokens: int = 4_096
    deadline_seconds: float | None = None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> LlmOptions:
        """Options from an engine context; ENGINE_ERROR when the worker gave none."""
        if not options.get("model") or not options.get("base_url"):
            raise JobFailure(JobErrorCode.ENGINE_ERROR, "the LLM engine has no model or base URL")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in options.items() if k in known})

    def to_mapping(self) -> dict[str, Any]:
        return asdict(self)


def engine_options(settings: Settings, engine: str) -> dict[str, Any]:
    """The options of `engine` ({} for engines that need none, like `offline`).

    An LLM engine whose settings are missing fails with ENGINE_ERROR (not retried), naming
    the variables to set; the values themselves never appear in a message.
    """
    if engine not in LLM_ENGINES:
        return {}
    missing = settings.engine_settings_missing(engine)
    if missing:
        raise JobFailure(
            JobErrorCode.ENGINE_ERROR,
            f"the {engine} engine is not configured on this server (set {', '.join(missing)})",
        )
    return _options(settings, engine).to_mapping()


def _options(settings: Settings, engine: str) -> LlmOptions:
    common: dict[str, Any] = {
        "timeout_seconds": settings.llm_timeout_seconds,
        "max_retries": settings.llm_max_retries,
        "max_retry_wait_seconds": settings.llm_max_retry_wait_seconds,
        "max_input_tokens": settings.llm_max_input_tokens,
        "max_output_tokens": settings.llm_max_output_tokens,
        "deadline_seconds": settings.extraction_timeout_seconds,
    }
    if engine == "openai":
        key = settings.openai_api_key
        return LlmOptions(
            provider="openai",
            base_url=settings.openai_base_url,
            model=str(settings.openai_model),
            api_key=key.get_secret_value() if key is not None else None,
            structured_output=settings.openai_structured_output,
            **common,
        )
    key = settings.anthropic_api_key
    return LlmOptions(
        provider="anthropic",
        base_url=settings.anthropic_base_url,
        model=str(settings.anthropic_model),
        api_key=key.get_secret_value() if key is not None else None,
        **common,
    )
