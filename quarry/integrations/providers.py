"""Per provider: which config and credentials an integration needs, and its connector.

Credentials are kept as one JSON object sealed with WEBHOOK_ENCRYPTION_KEY (purpose
`integration-credentials`); config is plain JSON that the API shows back (bucket, region,
endpoint, prefix; a shared drive; a root folder). Provider base URLs and OAuth client ids come
from the server's settings (operator-trusted); a user's S3 `endpointUrl` is checked like any URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from quarry.core.config import Settings
from quarry.core.crypto import SecretBox
from quarry.core.errors import BadRequest, ErrorDetail
from quarry.core.input_checks import error_path
from quarry.integrations.models import Provider
from quarry.integrations.schemas import (
    DriveConfigIn,
    DropboxConfigIn,
    OAuthCredentialsIn,
    S3ConfigIn,
    S3CredentialsIn,
)
from quarry.sources import dropbox, gdrive, s3
from quarry.sources.connectors import Connector, parse_time
from quarry.sources.netguard import (
    BlockedUrl,
    InvalidUrl,
    address_policy,
    check_url_at_request_time,
)
from quarry.sources.provider_http import BearerToken, HttpPolicy, OAuthApp, OAuthTokens, TokenSink

PURPOSE = "integration-credentials"
_CONFIG_MODELS: dict[Provider, type[BaseModel]] = {
    Provider.S3: S3ConfigIn,
    Provider.GOOGLE_DRIVE: DriveConfigIn,
    Provider.DROPBOX: DropboxConfigIn,
}


@dataclass(frozen=True)
class Checked:
    config: dict[str, Any]  # as shown by the API (camelCase, no nulls)
    credentials: dict[str, Any]  # to seal


def check_input(
    settings: Settings, provider: Provider, config: dict[str, Any], credentials: dict[str, Any]
) -> Checked:
    """Validate config and credentials for `provider`; 400 with `config.x` / `credentials.x`."""
    config_in = _parse(_CONFIG_MODELS[provider], config, "config")
    secrets_model = S3CredentialsIn if provider is Provider.S3 else OAuthCredentialsIn
    credentials_in = _parse(secrets_model, credentials, "credentials")
    if isinstance(config_in, S3ConfigIn):
        _check_s3(config_in, settings)
    if isinstance(credentials_in, OAuthCredentialsIn) and not (
        credentials_in.refresh_token or credentials_in.access_token
    ):
        detail = ErrorDetail("credentials.refreshToken", "a refresh token or an access token")
        raise BadRequest("The credentials need a token", details=[detail])
    return Checked(_json(config_in), _json(credentials_in))


def _parse(model: type[BaseModel], value: dict[str, Any], where: str) -> BaseModel:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        details = [
            ErrorDetail(error_path([where, *e["loc"]], e["type"], e.get("ctx")), e["msg"])
            for e in exc.errors()
        ]
        raise BadRequest(f"The {where} are not valid", details=details) from None


def _check_s3(config: S3ConfigIn, settings: Settings) -> None:
    config.prefix = config.prefix.lstrip("/")
    if config.endpoint_url is None:
        return
    try:
        check_url_at_request_time(config.endpoint_url, policy=address_policy(settings))
    except (InvalidUrl, BlockedUrl) as exc:
        detail = ErrorDetail("config.endpointUrl", str(exc))
        raise BadRequest(f"endpointUrl is not allowed: {exc}", details=[detail]) from None


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def seal(box: SecretBox, credentials: dict[str, Any]) -> str:
    return box.seal(json.dumps(credentials), purpose=PURPOSE)


def unseal(box: SecretBox, sealed: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(box.open(sealed, purpose=PURPOSE))
    return value


def file_id_problem(provider: Provider, config: dict[str, Any], file_id: str) -> str | None:
    if provider is Provider.S3:
        return s3.file_id_problem(file_id, str(config.get("prefix", "")))
    if provider is Provider.GOOGLE_DRIVE:
        return gdrive.file_id_problem(file_id)
    return dropbox.file_id_problem(file_id)


def connector(
    settings: Settings,
    provider: Provider,
    config: dict[str, Any],
    credentials: dict[str, Any],
    on_tokens: TokenSink,
) -> Connector:
    policy = http_policy(settings)
    if provider is Provider.S3:
        return _s3(settings, config, credentials)
    tokens = tokens_of(credentials)
    if provider is Provider.GOOGLE_DRIVE:
        app = _app(settings, credentials, Provider.GOOGLE_DRIVE)
        auth = BearerToken(tokens, app, on_tokens, provider=gdrive.PROVIDER, policy=policy)
        drive = gdrive.DriveConfig(
            settings.google_drive_api_url, config.get("driveId"), config.get("rootFolderId")
        )
        return gdrive.GoogleDriveConnector(drive, auth, policy)
    app = _app(settings, credentials, Provider.DROPBOX)
    auth = BearerToken(tokens, app, on_tokens, provider=dropbox.PROVIDER, policy=policy)
    box = dropbox.DropboxConfig(
        settings.dropbox_api_url, settings.dropbox_content_url, config.get("rootFolderId")
    )
    return dropbox.DropboxConnector(box, auth, policy)


def http_policy(settings: Settings) -> HttpPolicy:
    return HttpPolicy(
        timeout=settings.connector_timeout_seconds,
        max_retries=settings.connector_max_retries,
        retry_base=settings.connector_retry_base_seconds,
    )


def _s3(settings: Settings, config: dict[str, Any], credentials: dict[str, Any]) -> Connector:
    location = s3.S3Location(
        bucket=str(config["bucket"]),
        region=str(config.get("region", "us-east-1")),
        endpoint_url=config.get("endpointUrl"),
        prefix=str(config.get("prefix", "")),
        path_style=config.get("forcePathStyle"),
    )
    keys = s3.S3Keys(
        str(credentials["accessKeyId"]),
        str(credentials["secretAccessKey"]),
        credentials.get("sessionToken"),
    )
    return s3.S3Connector(
        location,
        keys,
        policy=address_policy(settings),
        timeout=settings.connector_timeout_seconds,
        max_retries=settings.connector_max_retries,
    )


def oauth_app(settings: Settings, provider: Provider) -> OAuthApp | None:
    """The server's own OAuth client for `provider`, when configured."""
    return _app(settings, {}, provider)


def _app(settings: Settings, credentials: dict[str, Any], provider: Provider) -> OAuthApp | None:
    if provider is Provider.GOOGLE_DRIVE:
        token_url = settings.google_oauth_token_url
        defaults = (settings.google_client_id, settings.google_client_secret)
    else:
        token_url = settings.dropbox_api_url.rstrip("/") + "/oauth2/token"
        defaults = (settings.dropbox_client_id, settings.dropbox_client_secret)
    client_id = credentials.get("clientId") or defaults[0]
    secret = credentials.get("clientSecret") or (
        defaults[1].get_secret_value() if defaults[1] is not None else None
    )
    if not client_id or not secret:
        return None
    return OAuthApp(token_url, str(client_id), str(secret))


def tokens_of(credentials: dict[str, Any]) -> OAuthTokens:
    expires = credentials.get("expiresAt")
    return OAuthTokens(
        credentials.get("accessToken"),
        credentials.get("refreshToken"),
        _aware(parse_time(expires)),
    )


def _aware(value: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def with_tokens(credentials: dict[str, Any], tokens: OAuthTokens) -> dict[str, Any]:
    updated = {**credentials, "accessToken": tokens.access_token}
    if tokens.refresh_token:
        updated["refreshToken"] = tokens.refresh_token
    expires = tokens.expires_at.isoformat() if tokens.expires_at else None
    updated["expiresAt"] = expires
    return {key: value for key, value in updated.items() if value is not None}
