"""Engines by name. `offline` is built in and the default; `openai` and `anthropic` (LLM
engines, usable once their settings are given) are built in too; tests and plug-ins may
register more.

A registry holds factories (zero-argument callables returning an Engine), not instances, so the
isolated runner can hand a factory to its child process and build the engine there.
"""

from __future__ import annotations

from collections.abc import Callable

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.engines.base import Engine
from quarry.engines.llm import AnthropicEngine, OpenAIEngine
from quarry.engines.offline import OfflineEngine

EngineFactory = Callable[[], Engine]
DEFAULT_ENGINE = "offline"


class EngineRegistry:
    def __init__(self, factories: dict[str, EngineFactory] | None = None) -> None:
        self._factories: dict[str, EngineFactory] = dict(factories or {})

    def register(self, name: str, factory: EngineFactory) -> None:
        self._factories[name] = factory

    def unregister(self, name: str) -> None:
        self._factories.pop(name, None)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._factories))

    def factory(self, name: str) -> EngineFactory:
        """The factory registered as `name`; JobFailure(ENGINE_ERROR) when there is none."""
        try:
            return self._factories[name]
        except KeyError:
            raise JobFailure(JobErrorCode.ENGINE_ERROR, f"unknown engine {name!r}") from None


registry = EngineRegistry(
    {DEFAULT_ENGINE: OfflineEngine, "openai": OpenAIEngine, "anthropic": AnthropicEngine}
)


def get_engine(name: str = DEFAULT_ENGINE) -> Engine:
    return registry.factory(name)()
