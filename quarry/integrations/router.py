"""`/api/integrations` (connected storage, OAuth, the mixed trigger) and `/api/import-batches`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from quarry.auth.deps import CurrentUser
from quarry.core.api_model import ErrorOut, Page
from quarry.core.config import Settings
from quarry.http.deps import PagingDep, RuntimeDep, SessionDep
from quarry.http.idempotency import IdempotencyKey, created
from quarry.integrations import imports, oauth, service
from quarry.integrations.models import Provider
from quarry.integrations.schemas import (
    ImportBatchOut,
    IntegrationIn,
    IntegrationOut,
    OAuthCompleteIn,
    OAuthStartOut,
    RemoteEntryOut,
    RemoteFilesOut,
    TriggerIn,
)
from quarry.runs import service as runs
from quarry.runs.schemas import RunCreatedOut
from quarry.runtime import Runtime

integrations = APIRouter(prefix="/api/integrations", tags=["integrations"])
batches = APIRouter(prefix="/api/import-batches", tags=["import batches"])


@integrations.post("/trigger", status_code=201, response_model=RunCreatedOut)
async def trigger(
    body: TriggerIn,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> dict[str, Any]:
        run, batch = await imports.create_from_trigger(session, runtime, principal.user_id, body)
        return runs.created_answer(run, batch)

    return await created(
        session,
        user_id=principal.user_id,
        key=idempotency_key,
        route="POST /api/integrations/trigger",
        payload=body.model_dump(mode="json"),
        create=create,
    )


@integrations.get("/oauth/{provider}/start", response_model=OAuthStartOut)
async def oauth_start(
    provider: str,
    request: Request,
    *,
    response: Response,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    integration_id: Annotated[str | None, Query(alias="integrationId")] = None,
) -> OAuthStartOut:
    """The consent URL. The answer also sets a cookie binding the flow to this browser."""
    kind = oauth.provider_of(provider)
    answer = await oauth.start(
        session,
        runtime.settings,
        principal.user_id,
        kind,
        name=name,
        integration_id=integration_id,
        redirect_uri=_redirect_uri(request, runtime.settings, kind),
    )
    response.set_cookie(
        oauth.binding_cookie(answer["state"]),
        answer["binding"],
        max_age=oauth.STATE_TTL_SECONDS,
        path="/api/integrations/oauth/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return OAuthStartOut.model_validate(answer)


_NOT_YOURS: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorOut,
        "description": "the flow was started by another user (OAUTH_USER_MISMATCH) or in "
        "another browser (OAUTH_NOT_BOUND)",
    }
}


@integrations.get(
    "/oauth/{provider}/callback",
    response_model=IntegrationOut,
    name="oauth_callback",
    openapi_extra={"security": []},
    responses={
        201: {"description": "a new integration"},
        303: {"description": "no binding cookie: sent on to OAUTH_COMPLETE_URL"},
        **_NOT_YOURS,
    },
)
async def oauth_callback(
    provider: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Where the provider sends the browser back. It finishes the flow only for the browser
    that started it (its binding cookie); any other goes on to OAUTH_COMPLETE_URL when set."""
    kind = oauth.provider_of(provider)
    query = dict(request.query_params)
    cookie = oauth.binding_cookie(query.get("state", ""))
    binding = request.cookies.get(cookie)
    complete_url = runtime.settings.oauth_complete_url
    if binding is None and complete_url:
        return RedirectResponse(oauth.app_url(complete_url, kind, query), status_code=303)
    completer = oauth.Completer(binding=binding)
    answer = await _finish(request, session, runtime, kind, query=query, completer=completer)
    answer.delete_cookie(cookie, path="/api/integrations/oauth/")
    return answer


@integrations.post(
    "/oauth/{provider}/complete",
    response_model=IntegrationOut,
    responses={201: {"description": "a new integration"}, **_NOT_YOURS},
)
async def oauth_complete(
    provider: str,
    body: OAuthCompleteIn,
    request: Request,
    *,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    """Finish a flow from the app, with the token of the user who started it: the `code` and
    `state` the provider gave the callback (or the app page at OAUTH_COMPLETE_URL)."""
    kind = oauth.provider_of(provider)
    query = {"code": body.code, "state": body.state}
    completer = oauth.Completer(user_id=principal.user_id)
    return await _finish(request, session, runtime, kind, query=query, completer=completer)


async def _finish(
    request: Request,
    session: AsyncSession,
    runtime: Runtime,
    kind: Provider,
    *,
    query: dict[str, str],
    completer: oauth.Completer,
) -> JSONResponse:
    integration, new = await oauth.callback(
        session,
        runtime,
        kind,
        query=query,
        redirect_uri=_redirect_uri(request, runtime.settings, kind),
        completer=completer,
    )
    body = IntegrationOut.model_validate(integration).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if new else 200)


def _redirect_uri(request: Request, settings: Settings, provider: Provider) -> str:
    slug = oauth.slug_of(provider)
    if settings.oauth_redirect_base_url:
        base = settings.oauth_redirect_base_url.rstrip("/")
        return f"{base}/api/integrations/oauth/{slug}/callback"
    return str(request.url_for("oauth_callback", provider=slug))


@integrations.post("", status_code=201, response_model=IntegrationOut)
async def create_integration(
    body: IntegrationIn, principal: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> IntegrationOut:
    integration = await service.create(session, runtime, principal.user_id, body)
    return IntegrationOut.model_validate(integration)


@integrations.get("", response_model=Page[IntegrationOut])
async def list_integrations(
    principal: CurrentUser, session: SessionDep, paging: PagingDep
) -> Page[IntegrationOut]:
    rows, total = await service.list_integrations(
        session, principal.user_id, offset=paging.offset, limit=paging.limit
    )
    items = [IntegrationOut.model_validate(row) for row in rows]
    return Page[IntegrationOut].of(items, page=paging.page, limit=paging.limit, total=total)


@integrations.get("/{integration_id}", response_model=IntegrationOut)
async def get_integration(
    integration_id: str, principal: CurrentUser, session: SessionDep
) -> IntegrationOut:
    integration = await service.get(session, principal.user_id, integration_id)
    return IntegrationOut.model_validate(integration)


@integrations.delete("/{integration_id}", status_code=204)
async def delete_integration(
    integration_id: str, principal: CurrentUser, session: SessionDep
) -> Response:
    await service.delete(session, principal.user_id, integration_id)
    return Response(status_code=204)


@integrations.post("/{integration_id}/test", response_model=IntegrationOut)
async def test_integration(
    integration_id: str, principal: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> IntegrationOut:
    """Check the credentials live: 200 with status ACTIVE, or ERROR and the reason."""
    integration = await service.test(session, runtime, principal.user_id, integration_id)
    return IntegrationOut.model_validate(integration)


@integrations.get("/{integration_id}/files", response_model=RemoteFilesOut)
async def browse(
    integration_id: str,
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    *,
    folder_id: Annotated[str | None, Query(alias="folderId", max_length=4096)] = None,
    cursor: Annotated[str | None, Query(max_length=8192)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RemoteFilesOut:
    page = await service.browse(
        session,
        runtime,
        principal.user_id,
        integration_id,
        folder_id=folder_id or None,
        cursor=cursor or None,
        page_size=limit,
    )
    entries = [RemoteEntryOut.model_validate(entry) for entry in page.entries]
    return RemoteFilesOut(folder_id=folder_id or None, data=entries, next_cursor=page.next_cursor)


@batches.get("/{batch_id}", response_model=ImportBatchOut)
async def get_import_batch(
    batch_id: str, principal: CurrentUser, session: SessionDep
) -> ImportBatchOut:
    return ImportBatchOut.model_validate(
        await imports.get_batch(session, principal.user_id, batch_id)
    )


router = APIRouter()
router.include_router(integrations)
router.include_router(batches)
