"""Settings read from the environment the way operators write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from quarry.core.config import load_settings


def test_comma_separated_cors_origins_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    settings = load_settings(QUARRY_DATA_DIR=tmp_path)
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_development_secrets_are_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(QUARRY_DATA_DIR=tmp_path)
    second = load_settings(QUARRY_DATA_DIR=tmp_path)
    assert len(first.jwt_access_secret) >= 32
    assert first.jwt_access_secret == second.jwt_access_secret
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_production_refuses_default_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="JWT_ACCESS_SECRET"):
        load_settings(
            QUARRY_DATA_DIR=tmp_path,
            QUARRY_ENV="production",
            jwt_access_secret="changeme",
            webhook_encryption_key="k" * 40,
        )
