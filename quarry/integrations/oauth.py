"""OAuth 2 (authorization code) for Google Drive and Dropbox.

`start` answers the provider's consent URL with a `state` that is signed (HMAC-SHA256 with
JWT_ACCESS_SECRET), bound to the user, the provider and an expiry 10 minutes ahead, and to a
random browser binding whose hash the state carries; the binding itself goes to the caller's
browser as a cookie. The consent link alone completes nothing: whoever finishes the flow must
prove to be the user who started it (`check_completer`), either

- the browser that called `start` comes back to `callback` with the binding cookie, or
- the app posts the code and state to `complete` with that user's token (the callback sends the
  browser to `OAUTH_COMPLETE_URL` with them when it carries no binding).

So a consent link started by one user and opened by another cannot land in the first user's
account. The code is exchanged for an access and a refresh token, which become a new
integration's sealed credentials (or replace those of the integration being reconnected).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.auth.models import User
from quarry.core.config import Settings
from quarry.core.errors import BadRequest, Forbidden, JobFailure, NotFound
from quarry.integrations import providers, service
from quarry.integrations.models import Integration, IntegrationStatus, Provider
from quarry.sources import gdrive
from quarry.sources.connectors import IntegrationRejected
from quarry.sources.provider_http import OAuthApp, request_tokens

if TYPE_CHECKING:
    from quarry.runtime import Runtime

STATE_TTL_SECONDS = 600
_SLUGS = {"google-drive": Provider.GOOGLE_DRIVE, "dropbox": Provider.DROPBOX}
_NAMES = {Provider.GOOGLE_DRIVE: "Google Drive", Provider.DROPBOX: "Dropbox"}


@dataclass(frozen=True)
class State:
    user_id: str
    provider: Provider
    name: str | None
    integration_id: str | None
    expires: int
    binding_hash: str = ""


@dataclass(frozen=True)
class Completer:
    """Who is finishing a flow: the bearer's user (on `complete`), or the browser binding
    cookie sent back to `callback`."""

    user_id: str | None = None
    binding: str | None = None


def binding_cookie(state_token: str) -> str:
    """The cookie that carries a flow's browser binding (one per flow, so several can run)."""
    return "quarry_oauth_" + hashlib.sha256(state_token.encode()).hexdigest()[:16]


def check_completer(state: State, completer: Completer) -> None:
    """Refuse to finish a flow for anyone but the user who started it."""
    if completer.user_id is not None:
        if completer.user_id != state.user_id:
            raise Forbidden(
                "This OAuth consent was started by another user", code="OAUTH_USER_MISMATCH"
            )
        return
    presented = _hash(completer.binding or "")
    if not completer.binding or not hmac.compare_digest(presented, state.binding_hash):
        raise Forbidden(
            "This OAuth consent was not started in this browser; finish it from the app that "
            "started it (POST /api/integrations/oauth/<provider>/complete with code and state)",
            code="OAUTH_NOT_BOUND",
        )


def app_url(complete_url: str, provider: Provider, query: dict[str, str]) -> str:
    """OAUTH_COMPLETE_URL with what the app needs to finish the flow (or show the refusal)."""
    keep = ("code", "state", "error", "error_description")
    params = {"provider": slug_of(provider)} | {k: query[k] for k in keep if k in query}
    separator = "&" if "?" in complete_url else "?"
    return f"{complete_url}{separator}{urlencode(params)}"


def _hash(binding: str) -> str:
    return hashlib.sha256(binding.encode()).hexdigest()


def provider_of(slug: str) -> Provider:
    """`google-drive` (or `GOOGLE_DRIVE`, `google_drive`) and `dropbox`; S3 has no OAuth."""
    provider = _SLUGS.get(slug.lower().replace("_", "-"))
    if provider is not None:
        return provider
    if slug.lower() == "s3":
        raise BadRequest("S3 integrations use access keys, not OAuth", code="OAUTH_NOT_SUPPORTED")
    raise NotFound(f"No OAuth provider {slug!r} (google-drive, dropbox)", code="NOT_FOUND")


def slug_of(provider: Provider) -> str:
    return next(slug for slug, value in _SLUGS.items() if value is provider)


def sign_state(secret: str, state: State) -> str:
    fields = [
        state.user_id,
        state.provider.value,
        state.name,
        state.integration_id,
        state.binding_hash,
    ]
    body = {"v": fields, "e": state.expires, "n": secrets.token_urlsafe(8)}
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    return f"{payload}.{_mac(secret, payload)}"


def read_state(secret: str, token: str) -> State:
    payload, _, mac = token.partition(".")
    if not payload or not hmac.compare_digest(_mac(secret, payload), mac):
        raise BadRequest("The OAuth state is not valid", code="INVALID_OAUTH_STATE")
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        user_id, provider, name, integration_id, binding_hash = body["v"]
        state = State(
            user_id, Provider(provider), name, integration_id, int(body["e"]), binding_hash
        )
    except (ValueError, KeyError, TypeError):
        raise BadRequest("The OAuth state is not valid", code="INVALID_OAUTH_STATE") from None
    if state.expires < time.time():
        raise BadRequest("The OAuth state has expired; start again", code="OAUTH_STATE_EXPIRED")
    return state


def _mac(secret: str, payload: str) -> str:
    message = f"oauth-state:{payload}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def start(
    session: AsyncSession,
    settings: Settings,
    user_id: str,
    provider: Provider,
    *,
    name: str | None,
    integration_id: str | None,
    redirect_uri: str,
) -> dict[str, Any]:
    app = _app(settings, provider)
    if integration_id is not None:
        await _reconnectable(session, user_id, provider, integration_id)
    expires = int(time.time()) + STATE_TTL_SECONDS
    binding = secrets.token_urlsafe(32)
    state = sign_state(
        settings.jwt_access_secret,
        State(user_id, provider, name, integration_id, expires, _hash(binding)),
    )
    return {
        "authorization_url": _consent_url(settings, provider, app, redirect_uri, state),
        "state": state,
        "redirect_uri": redirect_uri,
        "expires_at": datetime.fromtimestamp(expires, UTC),
        "binding": binding,
    }


def _app(settings: Settings, provider: Provider) -> OAuthApp:
    app = providers.oauth_app(settings, provider)
    if app is None:
        prefix = "GOOGLE" if provider is Provider.GOOGLE_DRIVE else "DROPBOX"
        message = (
            f"OAuth for {_NAMES[provider]} needs {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET"
        )
        raise BadRequest(message, code="OAUTH_NOT_CONFIGURED")
    return app


def _consent_url(
    settings: Settings, provider: Provider, app: OAuthApp, redirect_uri: str, state: str
) -> str:
    params = {
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state,
    }
    if provider is Provider.GOOGLE_DRIVE:
        params.update(scope=gdrive.SCOPE, access_type="offline", prompt="consent")
        return f"{settings.google_oauth_auth_url}?{urlencode(params)}"
    params["token_access_type"] = "offline"  # noqa: S105 (asks for a refresh token too)
    return f"{settings.dropbox_oauth_auth_url}?{urlencode(params)}"


async def _reconnectable(
    session: AsyncSession, user_id: str, provider: Provider, integration_id: str
) -> Integration:
    integration = await service.get(session, user_id, integration_id)
    if integration.provider is not provider:
        message = f"Integration {integration_id} is not a {_NAMES[provider]} integration"
        raise BadRequest(message, code="VALIDATION_ERROR")
    return integration


async def callback(
    session: AsyncSession,
    runtime: Runtime,
    provider: Provider,
    *,
    query: dict[str, str],
    redirect_uri: str,
    completer: Completer,
) -> tuple[Integration, bool]:
    """Store the tokens the code is worth; returns the integration and whether it is new."""
    state = read_state(runtime.settings.jwt_access_secret, query.get("state", ""))
    if state.provider is not provider or await session.get(User, state.user_id) is None:
        raise BadRequest("The OAuth state is not valid", code="INVALID_OAUTH_STATE")
    check_completer(state, completer)
    if query.get("error") or not query.get("code"):
        reason = query.get("error_description") or query.get("error") or "no code"
        raise BadRequest(f"The authorization was not given: {reason}", code="OAUTH_DENIED")
    credentials = await _exchange(runtime.settings, provider, query["code"], redirect_uri)
    if state.integration_id is not None:
        integration = await _reconnectable(session, state.user_id, provider, state.integration_id)
        integration.credentials_sealed = providers.seal(runtime.secrets, credentials)
        integration.status, integration.status_message = IntegrationStatus.ACTIVE, None
        return integration, False
    integration = await service.store(
        session,
        runtime,
        user_id=state.user_id,
        provider=provider,
        name=state.name or _NAMES[provider],
        config={},
        credentials=credentials,
    )
    return integration, True


async def _exchange(
    settings: Settings, provider: Provider, code: str, redirect_uri: str
) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    policy = providers.http_policy(settings)
    try:
        async with httpx.AsyncClient(timeout=policy.timeout) as http:
            tokens = await request_tokens(
                http, _app(settings, provider), form, provider=_NAMES[provider], policy=policy
            )
    except IntegrationRejected as exc:
        raise BadRequest(exc.message, code="OAUTH_EXCHANGE_FAILED") from None
    except JobFailure as failure:
        raise service.http_error(failure) from failure
    return providers.with_tokens({}, tokens)
