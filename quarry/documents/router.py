"""`/api/documents/:id/pages/:n`: a stored document's page as PNG, for the review screen."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from quarry.auth.deps import CurrentUser
from quarry.documents.pages import MAX_WIDTH, MIN_WIDTH, render_page
from quarry.documents.service import get_document, page_rotation
from quarry.http.deps import RuntimeDep

router = APIRouter(prefix="/api/documents", tags=["documents"])


@router.get(
    "/{document_id}/pages/{number}",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "the page as PNG"},
        404: {"description": "no such document or page, or a type without page images"},
    },
)
async def page_image(
    document_id: str,
    number: Annotated[int, Path(ge=1, description="1-based page number")],
    principal: CurrentUser,
    runtime: RuntimeDep,
    width: Annotated[int, Query(ge=MIN_WIDTH, le=MAX_WIDTH, description="pixels")] = 1200,
) -> Response:
    """Page `number` rendered server-side (PDF with pdfium; images turned upright by EXIF; both
    turned as the OCR turned a sideways scan), so `fieldDetails` boxes in 0-1 page units line
    up over it."""
    async with runtime.db.transaction() as session:
        document = await get_document(session, principal.user_id, document_id)
        key, mime_type = document.storage_key, document.mime_type
        rotation = page_rotation(document, number)
    async with runtime.blobs.local_path(key) as path:
        png = await asyncio.to_thread(
            render_page, path, mime_type, number, width=width, rotation=rotation
        )
    return Response(
        png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"}
    )
