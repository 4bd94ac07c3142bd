"""Opening Office Open XML packages (DOCX, XLSX) without trusting them.

    not a zip (an old .doc/.xls, random bytes)        UNSUPPORTED_FILE_TYPE
    an encrypted Office file (a CFB container with
      an EncryptedPackage stream)                     ENCRYPTED_DOCUMENT
    a damaged zip, a missing main part                CORRUPT_DOCUMENT
    too many members, or members that inflate past
      the caps (a zip bomb), XML nested too deep,
      a DTD or entity declarations (billion laughs)   RESOURCE_LIMIT

Member sizes are checked from the zip directory before anything is inflated; Python's zip
reader never returns more than a member's declared size, so the check is a real bound.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from quarry.core.errors import JobErrorCode, JobFailure

MAX_MEMBERS = 5_000
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_RATIO = 1_000  # inflated / compressed, for members over 1 MiB
MAX_XML_DEPTH = 256
_RATIO_FLOOR = 1024 * 1024
_PROLOG_BYTES = 64 * 1024
_DTD_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def open_package(path: Path, kind: str) -> zipfile.ZipFile:
    """The checked zip of a DOCX/XLSX; the caller closes it."""
    with path.open("rb") as handle:
        head = handle.read(len(_CFB_MAGIC))
    if head == _CFB_MAGIC:
        if _ENCRYPTED_STREAM in path.read_bytes():
            raise JobFailure(
                JobErrorCode.ENCRYPTED_DOCUMENT, f"the {kind} is protected by a password"
            )
        raise JobFailure(
            JobErrorCode.UNSUPPORTED_FILE_TYPE,
            f"the file is a legacy binary Office file, not {kind}",
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise JobFailure(JobErrorCode.UNSUPPORTED_FILE_TYPE, f"the file is not a {kind}") from None
    try:
        check_members(archive.infolist())
        check_no_dtd(archive)
    except JobFailure:
        archive.close()
        raise
    return archive


def check_no_dtd(archive: zipfile.ZipFile) -> None:
    """No XML part may declare a DTD (Office never writes one; entity bombs need one).

    A DOCTYPE must come before the root element, so the head of each part is enough.
    """
    for member in archive.infolist():
        if not member.filename.endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(member) as handle:
                head = handle.read(_PROLOG_BYTES)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise JobFailure(
                JobErrorCode.CORRUPT_DOCUMENT, f"the part {member.filename} is damaged: {exc}"
            ) from None
        if any(marker in head for marker in _DTD_MARKERS):
            raise _bomb(f"{member.filename} declares a DTD (an entity-expansion bomb?)")


def check_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise _bomb(f"it has {len(members)} parts")
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise _bomb("its parts inflate to more than the allowed size")
        if size > _RATIO_FLOOR and size > MAX_RATIO * max(member.compress_size, 1):
            raise _bomb(f"{member.filename} inflates {size // max(member.compress_size, 1)} times")


def iter_xml(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, Element]]:
    """("start"|"end", element) events of one XML member, with DTDs and deep nesting refused."""
    try:
        handle: IO[bytes] = archive.open(name)
    except KeyError:
        raise JobFailure(JobErrorCode.CORRUPT_DOCUMENT, f"the part {name} is missing") from None
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise JobFailure(
            JobErrorCode.CORRUPT_DOCUMENT, f"the part {name} is damaged: {exc}"
        ) from None
    with handle:
        yield from _events(handle, name)


def _events(handle: IO[bytes], name: str) -> Iterator[tuple[str, Element]]:
    depth = 0
    try:
        for event, element in iterparse(handle, events=("start", "end"), forbid_dtd=True):
            depth += 1 if event == "start" else -1
            if depth > MAX_XML_DEPTH:
                raise _bomb(f"{name} nests XML deeper than {MAX_XML_DEPTH} levels")
            yield event, element
    except DefusedXmlException:
        raise _bomb(f"{name} declares a DTD or XML entities (an entity-expansion bomb?)") from None
    except (ParseError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise JobFailure(
            JobErrorCode.CORRUPT_DOCUMENT, f"the part {name} is damaged: {exc}"
        ) from None


def _bomb(reason: str) -> JobFailure:
    return JobFailure(JobErrorCode.RESOURCE_LIMIT, f"the document was refused: {reason}")
