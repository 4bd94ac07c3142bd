"""`FetchedFile`: what every source (upload, URL, integration) hands on for processing."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

SOURCE_KINDS = frozenset({"UPLOAD", "URL", "INTEGRATION"})
MAX_FILE_NAME_LENGTH = 200
_MAX_KEPT_SUFFIX = 16


@dataclass(frozen=True)
class FetchedFile:
    path: Path  # local file holding the bytes (caller owns/deletes it)
    sha256: str
    size: int
    mime_type: str  # sniffed from content, see mime.py
    file_name: str  # original name, sanitised, never empty
    source_kind: str  # "UPLOAD" | "URL" | "INTEGRATION"

    def __post_init__(self) -> None:
        if self.source_kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.source_kind!r}")
        if not self.file_name:
            raise ValueError("a fetched file needs a file name")


def safe_file_name(raw: str | None, fallback: str = "download") -> str:
    """A display/storage-safe version of a name a client or server gave us.

    Keeps only the last path segment, drops control and format characters (NUL, newlines,
    bidi overrides), trims spaces and caps the length at 200 keeping the extension.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = name.strip()
    if name in ("", ".", ".."):
        return fallback
    return _shortened(name)


def _shortened(name: str) -> str:
    if len(name) <= MAX_FILE_NAME_LENGTH:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > _MAX_KEPT_SUFFIX:
        return name[:MAX_FILE_NAME_LENGTH].rstrip()
    keep = MAX_FILE_NAME_LENGTH - len(suffix) - 1
    return f"{stem[:keep].rstrip()}.{suffix}"
