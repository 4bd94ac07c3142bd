"""Stored documents: create from a received or fetched file, load for the owner.

Bytes go to the blob store before the transaction that records them opens (`put_files`, then
`record_file` / `record_blob`): no transaction stays open while a file is written. A blob
whose transaction then fails is an orphan; blobs are content-addressed, so a retry reuses it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from quarry.core.errors import NotFound
from quarry.core.ids import new_id
from quarry.documents.models import Document
from quarry.sources.fetched import FetchedFile
from quarry.storage.base import BlobStore, StoredBlob

# blobs written by `put_files`, by sha256 (a blob's key is its content's address)
StoredFiles = dict[str, StoredBlob]


async def put_files(blobs: BlobStore, files: Iterable[FetchedFile]) -> StoredFiles:
    """Write fetched files (upload, URL, integration) to the blob store; call it outside any
    transaction, then record each with `record_file`."""
    stored: StoredFiles = {}
    for fetched in files:
        if fetched.sha256 not in stored:
            blob = await blobs.put_file(fetched.path, sha256=fetched.sha256, size=fetched.size)
            stored[fetched.sha256] = blob
    return stored


async def record_file(
    session: AsyncSession, *, user_id: str, fetched: FetchedFile, stored: StoredFiles
) -> Document:
    """Record a fetched file already written by `put_files` as the user's document."""
    return await record_blob(
        session,
        user_id=user_id,
        blob=stored[fetched.sha256],
        file_name=fetched.file_name,
        mime_type=fetched.mime_type,
    )


async def record_blob(
    session: AsyncSession, *, user_id: str, blob: StoredBlob, file_name: str, mime_type: str
) -> Document:
    """Record a blob already in the store as the user's document."""
    document = Document(
        id=new_id("doc"),
        user_id=user_id,
        sha256=blob.sha256,
        file_name=file_name[:500],
        mime_type=mime_type,
        size=blob.size,
        storage_key=blob.key,
    )
    session.add(document)
    return document


async def get_document(session: AsyncSession, user_id: str, document_id: str) -> Document:
    document = await session.get(Document, document_id)
    if document is None or document.user_id != user_id:
        raise NotFound(f"Document {document_id} not found", code="DOCUMENT_NOT_FOUND")
    return document


def page_rotation(document: Document, number: int) -> int:
    """The quarter turn (degrees clockwise) the OCR made to read page `number` upright."""
    turns = document.page_rotations or []
    return int(turns[number - 1]) if 1 <= number <= len(turns) else 0
