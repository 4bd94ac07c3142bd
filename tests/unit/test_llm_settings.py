"""Which engines a server can use, and what the worker hands them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quarry.core.config import Settings
from quarry.core.errors import BadRequest, JobErrorCode, JobFailure
from quarry.engines.llm import engine_options
from quarry.engines.registry import registry
from quarry.extraction_schemas.service import check_engine


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_the_default_engine_is_offline_and_needs_nothing() -> None:
    assert settings().extraction_engine == "offline"
    assert engine_options(settings(), "offline") == {}
    assert {"offline", "openai", "anthropic"} <= set(registry.names())


@pytest.mark.parametrize(
    ("values", "needs"),
    [
        ({"extraction_engine": "openai"}, "OPENAI_MODEL, OPENAI_API_KEY"),
        ({"extraction_engine": "openai", "openai_model": "gpt-x"}, "OPENAI_API_KEY"),
        ({"extraction_engine": "anthropic", "anthropic_api_key": "k"}, "ANTHROPIC_MODEL"),
    ],
)
def test_a_default_llm_engine_without_its_settings_refuses_to_start(
    values: dict[str, Any], needs: str
) -> None:
    with pytest.raises(ValueError, match=needs):
        settings(**values)


def test_an_own_openai_compatible_server_needs_no_key() -> None:
    local = settings(
        extraction_engine="openai", openai_base_url="http://127.0.0.1:8080/v1", openai_model="q"
    )
    options = engine_options(local, "openai")
    assert options["api_key"] is None and options["base_url"] == "http://127.0.0.1:8080/v1"


def test_options_carry_every_llm_setting_and_keep_the_key_out_of_repr() -> None:
    configured = settings(
        anthropic_api_key="sk-ant-secret",
        anthropic_model="claude-x",
        llm_timeout_seconds=12,
        llm_max_retries=5,
        llm_max_input_tokens=9000,
        extraction_timeout_seconds=77,
    )
    options = engine_options(configured, "anthropic")
    assert options["api_key"] == "sk-ant-secret" and options["model"] == "claude-x"
    assert (options["timeout_seconds"], options["max_retries"]) == (12, 5)
    assert (options["max_input_tokens"], options["deadline_seconds"]) == (9000, 77)
    assert "sk-ant-secret" not in repr(configured)


def test_a_job_on_an_unconfigured_llm_engine_fails_without_retry() -> None:
    with pytest.raises(JobFailure) as failure:
        engine_options(settings(), "anthropic")
    assert failure.value.code is JobErrorCode.ENGINE_ERROR and not failure.value.transient
    assert "ANTHROPIC_API_KEY" in failure.value.message


def test_a_schema_may_name_only_a_registered_and_configured_engine() -> None:
    check_engine(None, settings())
    check_engine("offline", settings())
    with pytest.raises(BadRequest, match="Unknown engine 'gpt'"):
        check_engine("gpt", settings())
    with pytest.raises(BadRequest, match="OPENAI_MODEL") as refused:
        check_engine("openai", settings())
    assert refused.value.details[0].field == "engine"
    check_engine("openai", settings(openai_model="m", openai_api_key="k"))


def test_quarry_refuses_to_start_when_the_default_engine_is_not_configured(
    tmp_path: Path,
) -> None:
    env = {"PATH": "/usr/bin:/bin", "EXTRACTION_ENGINE": "anthropic", "ANTHROPIC_MODEL": "c"}
    result = subprocess.run(
        [sys.executable, "-m", "quarry", "serve", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "EXTRACTION_ENGINE=anthropic needs ANTHROPIC_API_KEY" in result.stderr
    assert not (tmp_path / "secrets.json").exists()  # stopped before doing anything
