"""DOCX → ParsedDocument: paragraphs and tables in reading order, headers first, footers last.

The XML is read as a stream of events (see `ooxml`), so a large document costs little memory.
Page breaks (explicit or as Word last rendered them) start a new page; a cell's paragraphs
are kept as the lines of its text; a table nested in a cell becomes text of that cell.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.parsing.flow import Flow
from quarry.parsing.model import Page, ParsedDocument
from quarry.parsing.ooxml import iter_xml, open_package
from quarry.parsing.options import ParseOptions

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAIN = "word/document.xml"
_HEADER = re.compile(r"^word/(header|footer)\d*\.xml$")


@dataclass
class _Paragraph:
    text: str
    break_before: bool = False
    break_after: bool = False


@dataclass
class _Tables:
    """Tables being read: a stack, because cells may hold tables."""

    stack: list[list[list[list[str]]]] = field(default_factory=list)

    def cell_text(self, text: str) -> bool:
        if not self.stack or not self.stack[-1] or not self.stack[-1][-1]:
            return False
        self.stack[-1][-1][-1].append(text)
        return True


def parse_docx(path: Path, options: ParseOptions) -> ParsedDocument:
    with open_package(path, "DOCX") as archive:
        names = set(archive.namelist())
        if _MAIN not in names:
            raise JobFailure(JobErrorCode.CORRUPT_DOCUMENT, "the DOCX has no main document part")
        headers = sorted(n for n in names if _HEADER.match(n) and "header" in n)
        footers = sorted(n for n in names if _HEADER.match(n) and "footer" in n)
        pages = _pages(archive, headers, footers, options.max_pages)
    return ParsedDocument(pages=pages, mime_type=DOCX_MIME)


def _pages(
    archive: zipfile.ZipFile, headers: list[str], footers: list[str], max_pages: int
) -> tuple[Page, ...]:
    flows = [Flow()]
    _add_parts(archive, headers, flows[0])
    for block in _blocks(archive, _MAIN):
        if isinstance(block, _Paragraph):
            if block.break_before:
                _new_page(flows, max_pages)
            flows[-1].paragraph(block.text)
            if block.break_after:
                _new_page(flows, max_pages)
        else:
            flows[-1].table(block)
    if flows[-1].empty and len(flows) > 1:
        flows.pop()
    _add_parts(archive, footers, flows[-1])
    return tuple(flow.page(number) for number, flow in enumerate(flows, start=1))


def _new_page(flows: list[Flow], max_pages: int) -> None:
    if flows[-1].empty:
        return
    flows.append(Flow())
    if len(flows) > max_pages:
        raise JobFailure(JobErrorCode.TOO_MANY_PAGES, f"the DOCX has more than {max_pages} pages")


def _add_parts(archive: zipfile.ZipFile, names: list[str], flow: Flow) -> None:
    seen: set[str] = set()
    for name in names:
        for block in _blocks(archive, name):
            if isinstance(block, _Paragraph):
                if block.text.strip() and block.text not in seen:
                    seen.add(block.text)
                    flow.paragraph(block.text)
            else:
                flow.table(block)


def _blocks(archive: zipfile.ZipFile, name: str) -> Iterator[_Paragraph | list[list[str]]]:
    """Top-level paragraphs and tables of a part, in order."""
    tables = _Tables()
    open_paragraphs = 0
    for event, element in iter_xml(archive, name):
        tag = element.tag
        if tag == f"{_W}p":
            open_paragraphs += 1 if event == "start" else -1
            if event == "end" and open_paragraphs == 0:
                paragraph = _paragraph(element)
                if not tables.cell_text(paragraph.text):
                    yield paragraph
                element.clear()
        elif tag == f"{_W}tbl":
            done = _table_event(tables, event)
            if done is not None:
                yield done
                element.clear()
        elif tag in (f"{_W}tr", f"{_W}tc") and event == "start" and tables.stack:
            if tag == f"{_W}tr":
                tables.stack[-1].append([])
            elif tables.stack[-1]:
                tables.stack[-1][-1].append([])


def _table_event(tables: _Tables, event: str) -> list[list[str]] | None:
    if event == "start":
        tables.stack.append([])
        return None
    rows = [["\n".join(parts) for parts in row] for row in tables.stack.pop()]
    if tables.stack:  # a table inside a cell: its rows become lines of that cell
        tables.cell_text("\n".join("  ".join(cell for cell in row if cell) for row in rows))
        return None
    return rows


def _paragraph(element: Element) -> _Paragraph:
    """The paragraph's text; a page break before any text breaks before it, else after."""
    parts: list[str] = []
    paragraph = _Paragraph("")
    for node in element.iter():
        tag = node.tag
        if tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif tag == f"{_W}tab":
            parts.append("    ")
        elif _is_page_break(node):
            if "".join(parts).strip():
                paragraph.break_after = True
            else:
                paragraph.break_before = True
        elif tag in (f"{_W}br", f"{_W}cr") or (tag == f"{_W}p" and node is not element and parts):
            parts.append("\n")
    paragraph.text = "".join(parts)
    return paragraph


def _is_page_break(node: Element) -> bool:
    if node.tag == f"{_W}lastRenderedPageBreak":
        return True
    return node.tag == f"{_W}br" and node.get(f"{_W}type") == "page"
