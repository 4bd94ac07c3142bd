"""E-mail (.eml) → ParsedDocument: headers and body on page 1, attachments as further pages.

Page 1 holds `From`, `To`, `Cc`, `Subject` and `Date` as lines, then the text/plain body (or
the visible text of the HTML body). Each attachment that Quarry can read (PDF, images, Office
files, text, another e-mail) is parsed by its own parser and its pages follow, each carrying
the attachment's file name in `Page.section`. Limits: attachments nest at most `MAX_DEPTH`
e-mails deep, at most `MAX_ATTACHMENTS` are read, each at most `MAX_ATTACHMENT_BYTES`; an
attachment that cannot be read is skipped with a warning; more pages in all than allowed is
TOO_MANY_PAGES.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.flow import Flow
from quarry.parsing.html import parse_html
from quarry.parsing.model import Page, ParsedDocument
from quarry.parsing.options import ParseOptions
from quarry.sources.mime import is_supported, sniff

EML_MIME = "message/rfc822"
MAX_DEPTH = 3
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_HEADERS = ("From", "To", "Cc", "Subject", "Date")
_SKIPPED_CODES = frozenset(
    {
        JobErrorCode.UNSUPPORTED_FILE_TYPE,
        JobErrorCode.CORRUPT_DOCUMENT,
        JobErrorCode.ENCRYPTED_DOCUMENT,
        JobErrorCode.RESOURCE_LIMIT,
    }
)

PartParser = Callable[[Path, str, ParseOptions], ParsedDocument]


@dataclass
class _State:
    options: ParseOptions
    parse_part: PartParser
    workdir: Path
    pages: list[Page] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    attachments: int = 0


def parse_eml(data: bytes, options: ParseOptions, *, parse_part: PartParser) -> ParsedDocument:
    message = _message(data)
    with tempfile.TemporaryDirectory(prefix="quarry-eml-") as workdir:
        state = _State(options, parse_part, Path(workdir))
        _read(message, state, depth=0)
    pages = tuple(replace(page, number=n) for n, page in enumerate(state.pages, start=1))
    return ParsedDocument(pages=pages, mime_type=EML_MIME, warnings=tuple(state.warnings))


def _message(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    if not isinstance(message, EmailMessage) or not any(message.get(h) for h in _HEADERS):
        raise JobFailure(JobErrorCode.CORRUPT_DOCUMENT, "the e-mail has no readable headers")
    return message


def _read(message: EmailMessage, state: _State, *, depth: int) -> None:
    _add_page(state, _first_page(message), section=None)
    for part in _attachments(message):
        if state.attachments >= MAX_ATTACHMENTS:
            state.warnings.append(f"only the first {MAX_ATTACHMENTS} attachments were read")
            return
        state.attachments += 1
        _attachment(part, state, depth=depth)


def _first_page(message: EmailMessage) -> Page:
    flow = Flow()
    for name in _HEADERS:
        value = message.get(name)
        if value:
            flow.paragraph(f"{name}: {' '.join(str(value).split())}")
    flow.paragraph("")
    for line in _body_lines(message):
        flow.paragraph(line)
    return flow.page(1)


def _body_lines(message: EmailMessage) -> list[str]:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return []
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if body.get_content_subtype() == "html":
        return parse_html(str(content).encode()).pages[0].text.splitlines()
    return str(content).splitlines()


def _attachments(message: EmailMessage) -> Iterator[Message]:
    body = message.get_body(preferencelist=("plain", "html"))
    for part in message.walk():
        if part is message or part.is_multipart() or part is body:
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename():
            yield part
        elif part.get_content_maintype() not in ("text", "multipart"):
            yield part  # inline images and documents


def _attachment(part: Message, state: _State, *, depth: int) -> None:
    name = part.get_filename() or f"attachment-{state.attachments}"
    if part.get_content_type() == EML_MIME:
        _nested(part, name, state, depth=depth)
        return
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        return
    if len(payload) > MAX_ATTACHMENT_BYTES:
        state.warnings.append(f"attachment {name!r} is too large and was skipped")
        return
    path = state.workdir / f"part-{state.attachments}"
    path.write_bytes(payload)
    mime_type = sniff(path, name)
    if not is_supported(mime_type):
        state.warnings.append(f"attachment {name!r} ({mime_type}) cannot be read and was skipped")
        return
    _parse_attachment(path, mime_type, name, state, depth=depth)


def _parse_attachment(path: Path, mime_type: str, name: str, state: _State, *, depth: int) -> None:
    if mime_type == EML_MIME and depth + 1 >= MAX_DEPTH:
        state.warnings.append(f"attachment {name!r} nests e-mails too deep and was skipped")
        return
    remaining = state.options.max_pages - len(state.pages)
    if remaining <= 0:
        raise _too_many(state.options.max_pages)
    options = replace(state.options, max_pages=remaining)
    try:
        document = state.parse_part(path, mime_type, options)
    except JobFailure as exc:
        if exc.code is JobErrorCode.TOO_MANY_PAGES:
            raise _too_many(state.options.max_pages) from None
        if exc.code not in _SKIPPED_CODES:
            raise
        state.warnings.append(f"attachment {name!r} was skipped: {exc.message}")
        return
    for page in document.pages:
        _add_page(state, page, section=page.section or name)
    state.warnings.extend(f"{name}: {warning}" for warning in document.warnings)


def _nested(part: Message, name: str, state: _State, *, depth: int) -> None:
    inner = part.get_payload(0) if part.is_multipart() else None
    if not isinstance(inner, EmailMessage):
        return
    if depth + 1 >= MAX_DEPTH:
        state.warnings.append(f"attachment {name!r} nests e-mails too deep and was skipped")
        return
    _read(inner, state, depth=depth + 1)


def _add_page(state: _State, page: Page, *, section: str | None) -> None:
    if len(state.pages) >= state.options.max_pages:
        raise _too_many(state.options.max_pages)
    state.pages.append(replace(page, section=section))


def _too_many(max_pages: int) -> JobFailure:
    return JobFailure(
        JobErrorCode.TOO_MANY_PAGES, f"the e-mail and its attachments exceed {max_pages} pages"
    )
