"""The web app at `/` (a hand-written single-page app, plain ES modules and CSS from
`quarry/web/static`) and the interactive API docs at `/api/docs`, all from this server's own
origin: Swagger UI comes from the `fastapi-offline` package. (ReDoc is not served: its
standalone bundle loads its logo from the vendor's CDN.)"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

APP_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI sets inline styles
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

router = APIRouter(include_in_schema=False)


def _docs_assets() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


def _page(html: str, csp: str) -> HTMLResponse:
    headers = {"Content-Security-Policy": csp, "Cache-Control": "no-cache", **SECURITY_HEADERS}
    return HTMLResponse(html, headers=headers)


@router.get("/")
async def app_page() -> FileResponse:
    headers = {"Content-Security-Policy": APP_CSP, "Cache-Control": "no-cache", **SECURITY_HEADERS}
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=headers)


@router.get("/api/docs")
async def swagger_ui() -> HTMLResponse:
    return _page(
        _docs_html(
            "Quarry API",
            '<link rel="stylesheet" href="/assets/vendor/swagger-ui.css">',
            '<div id="swagger-ui"></div>'
            '<script src="/assets/vendor/swagger-ui-bundle.js"></script>'
            '<script src="/assets/docs/swagger-init.js"></script>',
        ),
        DOCS_CSP,
    )


def _docs_html(title: str, head: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="icon" href="/assets/favicon.svg">{head}</head>'
        f"<body>{body}</body></html>"
    )


def install_web(app: FastAPI) -> None:
    """Serve the app, its assets and the docs' vendored assets."""
    app.include_router(router)
    app.mount("/assets/vendor", StaticFiles(directory=_docs_assets()), name="vendor")
    app.mount("/assets", StaticFiles(directory=STATIC), name="assets")
