"""Settings read from the environment the way operators write them."""

from __future__ import annotations

import secrets
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


STRONG = "Vq3" + "x7Lm2Pz9Rk4Tn8Wb5Yc1Hd6Jf0Gs3Ae7Ku2Qo9Mi4"  # 45 characters of 6 bits


@pytest.mark.parametrize(
    "weak",
    [
        "x",  # the 1-character secret of the review
        "e2e-secret-" + "x" * 32,  # long, but almost one repeated character
        "0123456789abcdef0123456789abcdef",  # 32 hex characters: 16 bytes, not 32
        "correct horse battery staple",
    ],
)
def test_production_refuses_weak_secrets(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ValueError, match="JWT_ACCESS_SECRET must carry at least 32 random bytes"):
        load_settings(
            QUARRY_DATA_DIR=tmp_path,
            QUARRY_ENV="production",
            jwt_access_secret=weak,
            webhook_encryption_key=STRONG,
        )


def test_production_accepts_generated_secrets(tmp_path: Path) -> None:
    settings = load_settings(
        QUARRY_DATA_DIR=tmp_path,
        QUARRY_ENV="production",
        jwt_access_secret=secrets.token_urlsafe(32),
        webhook_encryption_key=secrets.token_hex(32),
    )
    assert settings.is_production


def test_address_settings_are_checked_once(tmp_path: Path) -> None:
    settings = load_settings(
        QUARRY_DATA_DIR=tmp_path,
        trusted_proxies="10.0.0.1, 172.16.0.0/12,fd00::/8",
        private_url_allowlist="minio.internal:9000, 10.1.0.0/16,[fd00::1]:8080,169.254.169.254",
    )
    assert settings.trusted_proxies == ["10.0.0.1/32", "172.16.0.0/12", "fd00::/8"]
    assert len(settings.private_url_allowlist) == 4
    with pytest.raises(ValueError, match="not a host name, IP address or CIDR"):
        load_settings(QUARRY_DATA_DIR=tmp_path, private_url_allowlist="bad!host")
    with pytest.raises(ValueError, match="not a port"):
        load_settings(QUARRY_DATA_DIR=tmp_path, private_url_allowlist="minio:99999")
    with pytest.raises(ValueError):
        load_settings(QUARRY_DATA_DIR=tmp_path, trusted_proxies="proxy.local")
