"""What a file is, judged from its bytes (libmagic), never from the name it came with.

The name only refines a plain-text verdict: libmagic cannot tell CSV, Markdown or a
header-less e-mail from plain text, so `notes.md` that libmagic calls text is Markdown, while
an HTML page or a PNG named `x.pdf` stays HTML or PNG.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePath

import magic

from quarry.core.errors import JobErrorCode, JobFailure

EMPTY = "application/x-empty"
OCTET_STREAM = "application/octet-stream"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_PLAIN = "text/plain"
EML = "message/rfc822"

SUPPORTED_TYPES: frozenset[str] = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/tiff",
        "image/webp",
        "image/bmp",
        "text/html",
        TEXT_PLAIN,
        "text/csv",
        "text/markdown",
        EML,
        DOCX,
        XLSX,
    }
)

# libmagic spellings (which vary between versions) → the one name Quarry uses.
_ALIASES = {
    "inode/x-empty": EMPTY,
    "application/x-empty": EMPTY,
    "image/x-ms-bmp": "image/bmp",
    "image/x-bmp": "image/bmp",
    "image/x-tiff": "image/tiff",
    "application/x-pdf": "application/pdf",
    "text/xml": "application/xml",
    "application/csv": "text/csv",
    "text/x-csv": "text/csv",
    "text/x-markdown": "text/markdown",
    "application/x-zip-compressed": "application/zip",
}
# Plain text whose name says which kind of text it is.
_TEXT_BY_EXTENSION = {
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".htm": "text/html",
    ".html": "text/html",
    ".json": "application/json",
}
_ZIP_CONTAINERS = frozenset({"application/zip", OCTET_STREAM})
_OOXML_MAIN_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX}
_HEADER_LINE = re.compile(rb"^[A-Za-z0-9][A-Za-z0-9-]*:[ \t]*\S")
_HEAD_BYTES = 8192
_MIN_EML_HEADERS = 2


def sniff(path: Path, file_name: str | None = None) -> str:
    """The MIME type of the file at `path`; `file_name` only refines plain text."""
    if path.stat().st_size == 0:
        return EMPTY
    detected = _normalise(str(magic.from_file(str(path), mime=True)))
    if detected in _ZIP_CONTAINERS:
        return _office_type(path) or detected
    if detected == TEXT_PLAIN and file_name:
        return _refine_text(path, file_name)
    return detected


def is_supported(mime_type: str) -> bool:
    """Whether Quarry can extract from a file of this type (parameters are ignored)."""
    return mime_type.split(";", 1)[0].strip().lower() in SUPPORTED_TYPES


def _normalise(detected: str) -> str:
    mime_type = detected.split(";", 1)[0].strip().lower()
    mime_type = _ALIASES.get(mime_type, mime_type)
    if mime_type.startswith("text/x-"):
        return TEXT_PLAIN  # libmagic's guesses at source code languages: still text
    return mime_type or OCTET_STREAM


def _refine_text(path: Path, file_name: str) -> str:
    suffix = PurePath(file_name).suffix.lower()
    if suffix == ".eml":
        return EML if _looks_like_rfc822(path) else TEXT_PLAIN
    return _TEXT_BY_EXTENSION.get(suffix, TEXT_PLAIN)


def _looks_like_rfc822(path: Path) -> bool:
    """The file opens with a block of `Name: value` header lines ending in a blank line."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    headers = 0
    for line in head.splitlines():
        if not line.strip():
            return headers >= _MIN_EML_HEADERS
        if line[:1] in (b" ", b"\t") and headers:
            continue  # folded continuation of the previous header
        if not _HEADER_LINE.match(line):
            return False
        headers += 1
    return False


def _office_type(path: Path) -> str | None:
    """docx/xlsx that libmagic called a plain zip (it only looks at the first entries)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for part, mime_type in _OOXML_MAIN_PARTS.items():
        if part in names:
            return mime_type
    return None


# Names that promise a binary document; text under such a name is a failed download's page.
_BINARY_EXTENSIONS = frozenset(
    {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".docx", ".xlsx"}
)


def check_declared_type(file_name: str, mime_type: str) -> None:
    """Refuse what cannot be extracted, and text that arrived under a binary document's name.

    An HTML or text file named `invoice.pdf` is nearly always an error or login page saved by
    a failed download; extracting from it would give confident nonsense. Binary content under
    another binary name (a PNG named `.pdf`) is processed as what it really is.
    """
    code = JobErrorCode.UNSUPPORTED_FILE_TYPE
    if mime_type == EMPTY:
        raise JobFailure(code, f"{file_name!r} is empty")
    if not is_supported(mime_type):
        raise JobFailure(code, f"{file_name!r} is {mime_type}, which Quarry cannot extract from")
    suffix = PurePath(file_name).suffix.lower()
    if suffix in _BINARY_EXTENSIONS and mime_type.startswith(("text/", "message/")):
        raise JobFailure(
            code,
            f"{file_name!r} is named like a {suffix} file but contains {mime_type} "
            "(often an error page saved by a failed download)",
        )
