"""Plain text and Markdown → ParsedDocument, and the synthetic layout shared by text formats.

Text has no geometry, so each character is one cell of a grid: line i of n spans
y ∈ [i/n, (i+1)/n] and column j of w spans x ∈ [j/w, (j+1)/w]. Runs of spaces stay gaps, so
"Total      45.00" keeps its label and its value apart just as a PDF would.
A form feed (\\f) starts a new page.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.model import BBox, Line, Page, ParsedDocument, Word

_MIN_COLUMNS = 80
_BINARY_WINDOW = 8192
_WORD = re.compile(r"\S+")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6}|>+)\s*")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`+|~~)")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def decode_text(data: bytes) -> str:
    """Text from bytes: UTF-16 with a BOM, UTF-8 (BOM optional), else Windows-1252."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:_BINARY_WINDOW]:
        raise JobFailure(JobErrorCode.UNSUPPORTED_FILE_TYPE, "the file holds binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_plain_text(
    data: bytes, *, mime_type: str, max_pages: int, markdown: bool = False
) -> ParsedDocument:
    chunks = decode_text(data).split("\f")
    if len(chunks) > max_pages:
        raise JobFailure(
            JobErrorCode.TOO_MANY_PAGES,
            f"the text has {len(chunks)} pages; at most {max_pages} are allowed",
        )
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        lines = chunk.splitlines()
        pages.append(synthetic_page(number, markdown_lines(lines) if markdown else lines))
    return ParsedDocument(pages=tuple(pages), mime_type=mime_type)


def markdown_lines(lines: Sequence[str]) -> list[str]:
    """Markdown without its markup; table rows keep their cells apart by wide gaps."""
    out = []
    for line in lines:
        if _MD_TABLE_RULE.match(line) and "-" in line:
            continue
        text = _MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", _MD_HEADING.sub("", line)))
        if text.strip().startswith("|"):
            text = "    ".join(cell.strip() for cell in text.strip().strip("|").split("|"))
        out.append(text)
    return out


def synthetic_page(number: int, lines: Sequence[str]) -> Page:
    """A page whose geometry is the character grid of `lines` (tabs expanded)."""
    expanded = [line.expandtabs(8).rstrip() for line in lines]
    columns = max([_MIN_COLUMNS, *(len(line) for line in expanded)])
    rows = max(len(expanded), 1)
    built: list[Line] = []
    for row, text in enumerate(expanded):
        words = [
            Word(match.group(), grid_box(row, match.start(), match.end(), rows, columns))
            for match in _WORD.finditer(text)
        ]
        if words:
            built.append(Line.from_words(words))
    all_words = tuple(word for line in built for word in line.words)
    return Page(number=number, width=columns, height=rows, words=all_words, lines=tuple(built))


def grid_box(row: int, start: int, end: int, rows: int, columns: int) -> BBox:
    return (start / columns, row / rows, end / columns, (row + 1) / rows)
