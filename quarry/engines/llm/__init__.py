"""LLM engines: an OpenAI-compatible one (OpenAI, vLLM, Ollama, llama.cpp) and Anthropic's.

Both send the document's text (split by pages into chunks under a token budget) with a JSON
schema generated from the schema version, validate the model's answer against the fields,
merge the chunks' answers, and check every value against the document (`grounded`).
"""

from quarry.engines.llm.engine import AnthropicEngine, OpenAIEngine
from quarry.engines.llm.options import LLM_ENGINES, LlmOptions, engine_options

__all__ = ["LLM_ENGINES", "AnthropicEngine", "LlmOptions", "OpenAIEngine", "engine_options"]
