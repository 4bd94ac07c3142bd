"""Uploads: a streaming multipart/form-data receiver whose files end as `FetchedFile`s.

Nothing is held whole in memory: each file part is written to a temporary file in the data
folder as it arrives, with its sha256 computed on the fly, and its type sniffed from the bytes
when it is complete. A file past `max_file_size` stops the upload at once with 413; more than
`max_files` files, an oversized text field, a NUL character in a text field or a boundary over
256 characters, with 400; a body that is not multipart/form-data at all with 415.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from quarry.core.errors import BadRequest, ErrorDetail, PayloadTooLarge, UnsupportedMediaType
from quarry.core.input_checks import NUL_MESSAGE
from quarry.sources.fetched import FetchedFile, safe_file_name
from quarry.sources.mime import sniff

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 100
# RFC 2046 allows 70 characters; longer ones are refused before parsing
MAX_BOUNDARY = 256


@dataclass(frozen=True)
class UploadedFile:
    field_name: str
    file: FetchedFile


@dataclass
class ReceivedForm:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None

    def files_named(self, name: str) -> list[FetchedFile]:
        return [uploaded.file for uploaded in self.files if uploaded.field_name == name]

    def cleanup(self) -> None:
        for uploaded in self.files:
            uploaded.file.path.unlink(missing_ok=True)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    file_name: str | None = None
    data: bytearray = field(default_factory=bytearray)
    path: Path | None = None
    handle: IO[bytes] | None = None
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0


class _Receiver:
    def __init__(self, tmp_dir: Path, max_file_size: int, max_files: int) -> None:
        self.tmp_dir = tmp_dir
        self.max_file_size = max_file_size
        self.max_files = max_files
        self.form = ReceivedForm()
        self.part = _Part()
        self._header_name = b""
        self._header_value = b""
        self._fields = 0

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise BadRequest("A multipart part has no name", code="INVALID_MULTIPART")
        self.part.name = options[b"name"].decode("utf-8", "replace").replace("\x00", "")
        if b"filename" in options:
            self._open_file(options[b"filename"].decode("utf-8", "replace"))
        else:
            self._fields += 1
            if self._fields > MAX_FIELDS:
                raise BadRequest("Too many form fields", code="INVALID_MULTIPART")

    def _open_file(self, file_name: str) -> None:
        if len(self.form.files) >= self.max_files:
            raise BadRequest(f"At most {self.max_files} files per request", code="TOO_MANY_FILES")
        self.part.file_name = file_name
        self.part.path = self.tmp_dir / f"upload-{secrets.token_hex(12)}"
        self.part.handle = self.part.path.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        part = self.part
        if part.handle is None:
            if len(part.data) + len(chunk) > MAX_FIELD_BYTES:
                raise BadRequest(f"Form field {part.name!r} is too long", code="INVALID_MULTIPART")
            part.data.extend(chunk)
            return
        part.size += len(chunk)
        if part.size > self.max_file_size:
            raise PayloadTooLarge(
                f"File {part.file_name!r} is larger than the limit of {self.max_file_size} bytes"
            )
        part.handle.write(chunk)
        part.digest.update(chunk)

    def on_part_end(self) -> None:
        part = self.part
        if part.handle is None:
            value = part.data.decode("utf-8", "replace")
            if "\x00" in value:
                raise BadRequest(
                    f"Form field {part.name!r} contains a NUL character",
                    details=[ErrorDetail(part.name, NUL_MESSAGE)],
                )
            self.form.fields.setdefault(part.name, []).append(value)
            return
        part.handle.close()
        assert part.path is not None and part.file_name is not None
        name = safe_file_name(part.file_name, fallback="upload")
        fetched = FetchedFile(
            path=part.path,
            sha256=part.digest.hexdigest(),
            size=part.size,
            mime_type=sniff(part.path, name),
            file_name=name,
            source_kind="UPLOAD",
        )
        self.form.files.append(UploadedFile(field_name=part.name, file=fetched))
        self.part = _Part()

    def abort(self) -> None:
        if self.part.handle is not None:
            self.part.handle.close()
        if self.part.path is not None:
            self.part.path.unlink(missing_ok=True)
        self.form.cleanup()


async def receive_multipart(
    content_type: str | None,
    stream: AsyncIterator[bytes],
    *,
    tmp_dir: Path,
    max_file_size: int,
    max_files: int,
) -> ReceivedForm:
    """Parse a multipart body; the caller must `cleanup()` the returned form's temp files."""
    kind, params = parse_options_header(content_type or "")
    if kind != b"multipart/form-data":
        raise UnsupportedMediaType("Expected a multipart/form-data body")
    boundary = params.get(b"boundary", b"")
    if not boundary or len(boundary) > MAX_BOUNDARY:
        raise BadRequest(
            f"The multipart boundary must have 1 to {MAX_BOUNDARY} characters",
            code="INVALID_MULTIPART",
        )
    await asyncio.to_thread(tmp_dir.mkdir, parents=True, exist_ok=True)
    receiver = _Receiver(tmp_dir, max_file_size, max_files)
    parser = MultipartParser(boundary, callbacks=_callbacks(receiver))
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        receiver.abort()
        raise BadRequest(f"Malformed multipart body: {exc}", code="INVALID_MULTIPART") from exc
    except BaseException:
        receiver.abort()
        raise
    return receiver.form


def _callbacks(receiver: _Receiver) -> MultipartCallbacks:
    return {
        "on_part_begin": receiver.on_part_begin,
        "on_part_data": receiver.on_part_data,
        "on_part_end": receiver.on_part_end,
        "on_header_field": receiver.on_header_field,
        "on_header_value": receiver.on_header_value,
        "on_header_end": receiver.on_header_end,
        "on_headers_finished": receiver.on_headers_finished,
    }
