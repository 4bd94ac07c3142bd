"""Typed configuration, read once from the environment (or `.env`) and handed down.

No other module reads `os.environ`. In development mode (the zero-setup default) missing
secrets are generated once and kept in the data folder; production mode refuses to start
without real secrets.
"""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIB = 1024 * 1024
_DEFAULT_SECRET_MARKERS = ("", "changeme", "change-me", "secret", "default")
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting Quarry reads; names are the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Environment = Field(Environment.DEVELOPMENT, alias="QUARRY_ENV")
    host: str = "127.0.0.1"
    port: int = Field(4000, ge=1, le=65535)
    data_dir: Path = Field(Path("quarry-data"), alias="QUARRY_DATA_DIR")
    database_url: str | None = None
    storage_url: str | None = None

    jwt_access_secret: str = ""
    jwt_access_ttl_seconds: int = Field(900, ge=30)
    refresh_token_ttl_days: int = Field(30, ge=1)
    webhook_encryption_key: str = ""
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    max_file_size: int = Field(50 * MIB, ge=1)
    max_files_per_run: int = Field(100, ge=1)
    max_urls_per_run: int = Field(10_000, ge=1)
    max_pages: int = Field(200, ge=1)
    api_key_prefix: str = "ef_live_"
    max_api_keys_per_user: int = Field(25, ge=1)
    webhook_auto_disable_threshold: int = Field(5, ge=1)
    allow_registration: bool = True
    allow_private_urls: bool = False
    auth_rate_limit_per_minute: int = Field(5, ge=1)

    workers_in_server: bool = True
    worker_concurrency: int = Field(2, ge=1, le=64)
    job_max_attempts: int = Field(3, ge=1, le=20)
    job_retry_base_seconds: float = Field(2.0, ge=0)
    stalled_after_seconds: float = Field(15.0, ge=2)
    extraction_timeout_seconds: float = Field(120.0, gt=0)
    extraction_memory_mb: int = Field(2048, ge=128)
    extraction_engine: str = "offline"

    url_connect_timeout_seconds: float = Field(10.0, gt=0)
    url_read_timeout_seconds: float = Field(30.0, gt=0)
    url_max_redirects: int = Field(5, ge=0, le=20)

    # --- LLM engines (openai, anthropic) ---
    openai_base_url: str = DEFAULT_OPENAI_BASE_URL
    openai_api_key: SecretStr | None = None
    openai_model: str | None = None
    openai_structured_output: Literal["json_schema", "json_object"] = "json_schema"
    anthropic_base_url: str = "https://api.anthropic.com"
    anthropic_api_key: SecretStr | None = None
    anthropic_model: str | None = None
    llm_timeout_seconds: float = Field(60.0, gt=0)
    llm_max_retries: int = Field(3, ge=0, le=10)
    llm_max_retry_wait_seconds: float = Field(30.0, ge=0)
    llm_max_input_tokens: int = Field(24_000, ge=200)
    llm_max_output_tokens: int = Field(4_096, ge=16)

    def engine_settings_missing(self, engine: str) -> list[str]:
        """The unset variables an LLM engine needs; empty when usable (or not an LLM engine).

        A key is optional for an OpenAI-compatible server of your own (vLLM, Ollama,
        llama.cpp); the public OpenAI API at the default base URL needs one.
        """
        if engine == "openai":
            missing = [] if self.openai_model else ["OPENAI_MODEL"]
            public = self.openai_base_url.rstrip("/") == DEFAULT_OPENAI_BASE_URL
            if public and not self._is_set(self.openai_api_key):
                missing.append("OPENAI_API_KEY")
            return missing
        if engine == "anthropic":
            needed = {"ANTHROPIC_API_KEY": self._is_set(self.anthropic_api_key)}
            needed["ANTHROPIC_MODEL"] = bool(self.anthropic_model)
            return [name for name, present in needed.items() if not present]
        return []

    @staticmethod
    def _is_set(secret: SecretStr | None) -> bool:
        return secret is not None and bool(secret.get_secret_value().strip())

    @model_validator(mode="after")
    def _default_engine_usable(self) -> Settings:
        missing = self.engine_settings_missing(self.extraction_engine)
        if missing:
            needs = ", ".join(missing)
            raise ValueError(f"EXTRACTION_ENGINE={self.extraction_engine} needs {needs}")
        return self

    # --- integrations (S3, Google Drive, Dropbox) ---
    oauth_redirect_base_url: str | None = None
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_oauth_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_oauth_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
    google_drive_api_url: str = "https://www.googleapis.com"
    dropbox_client_id: str | None = None
    dropbox_client_secret: SecretStr | None = None
    dropbox_oauth_auth_url: str = "https://www.dropbox.com/oauth2/authorize"
    dropbox_api_url: str = "https://api.dropboxapi.com"
    dropbox_content_url: str = "https://content.dropboxapi.com"
    connector_max_retries: int = Field(3, ge=0, le=10)
    connector_retry_base_seconds: float = Field(1.0, ge=0)
    connector_timeout_seconds: float = Field(30.0, gt=0)

    # --- parsing and OCR ---
    ocr_engine: Literal["auto", "tesseract", "rapidocr"] = "auto"
    ocr_languages: str = Field("eng", pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")
    ocr_dpi: int = Field(200, ge=72, le=400)
    ocr_pdf_images: bool = False
    ocr_tessdata_dir: str | None = None

    # --- webhooks and run event streams ---
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    webhook_retry_delays: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [60.0, 300.0, 1800.0, 3600.0, 10800.0, 21600.0, 43200.0],
        min_length=1,
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    webhook_secret_grace_seconds: float = Field(86_400.0, ge=0)
    webhook_delivery_concurrency: int = Field(8, ge=1, le=256)
    webhook_progress_interval_seconds: float = Field(2.0, ge=0)
    event_stream_poll_seconds: float = Field(0.5, gt=0)
    event_stream_heartbeat_seconds: float = Field(15.0, gt=0)

    @field_validator("webhook_retry_delays", mode="before")
    @classmethod
    def _split_delays(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.startswith("["):
            return [float(item) for item in value.split(",") if item.strip()]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None


def load_settings(**overrides: Any) -> Settings:
    """Read the environment, apply overrides, fill or check the secrets."""
    settings = Settings(**overrides)
    return _with_secrets(settings)


def _with_secrets(settings: Settings) -> Settings:
    names = ("jwt_access_secret", "webhook_encryption_key")
    missing = [n for n in names if getattr(settings, n).strip().lower() in _DEFAULT_SECRET_MARKERS]
    if not missing:
        return settings
    if settings.is_production:
        env_names = ", ".join(n.upper() for n in missing)
        raise ValueError(f"production mode needs real secrets; set {env_names}")
    stored = _dev_secrets(settings.data_dir)
    return settings.model_copy(update={n: stored[n] for n in missing})


def _dev_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets generated on first start and kept (mode 600) in the data folder."""
    path = data_dir / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "jwt_access_secret": secrets.token_urlsafe(48),
        "webhook_encryption_key": secrets.token_urlsafe(32),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values))
    tmp.chmod(0o600)
    tmp.replace(path)
    return values
