"""HTML → ParsedDocument: the visible text only, block structure kept as lines.

Script, style, template and similar elements, and anything marked `hidden` or styled
`display:none`, are dropped. Block elements and table rows end lines; table cells on a row are
kept apart by wide gaps (the synthetic grid of `text.py`), and every <table> becomes a `Table`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from quarry.parsing.model import Cell, ParsedDocument, Table, union_bbox
from quarry.parsing.tables import header_rows_of
from quarry.parsing.text import decode_text, grid_box, synthetic_page

HTML_MIME = "text/html"
_INVISIBLE = frozenset(
    {"script", "style", "template", "noscript", "head", "svg", "math", "iframe", "object"}
)
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
        "title",
        "body",
        "html",
    }
)
_CELL = frozenset({"td", "th"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_GAP = "    "
_VISIBLE_INPUTS = frozenset({"text", "", "email", "number", "date", "tel"})


@dataclass
class _Fragment:
    line: int
    start: int
    end: int
    text: str


@dataclass
class _TableBuilder:
    rows: list[list[list[_Fragment]]] = field(default_factory=list)
    heading_cells: list[list[bool]] = field(default_factory=list)  # <th> or not, per cell


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current = ""
        self.tables: list[_TableBuilder] = []
        self.finished_tables: list[_TableBuilder] = []
        self._skip: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag == self._skip[-1] and tag not in _VOID:
                self._skip.append(tag)
            return
        attributes = dict(attrs)
        if tag in _INVISIBLE or _is_hidden(attributes):
            if tag not in _VOID:
                self._skip.append(tag)
            return
        self._open(tag, attributes)

    def _open(self, tag: str, attributes: dict[str, str | None]) -> None:
        if tag in _BLOCK:
            self._break()
        if tag == "pre":
            self._pre += 1
        elif tag == "table":
            self.tables.append(_TableBuilder())
        elif tag == "tr" and self.tables:
            self.tables[-1].rows.append([])
            self.tables[-1].heading_cells.append([])
        elif tag in _CELL:
            self._open_cell(tag == "th")
        elif tag == "input" and (attributes.get("type") or "").lower() in _VISIBLE_INPUTS:
            self.handle_data(" " + (attributes.get("value") or "") + " ")

    def _open_cell(self, heading: bool) -> None:
        if self.current.strip():
            self.current += _GAP
        if self.tables:
            if not self.tables[-1].rows:
                self.tables[-1].rows.append([])
                self.tables[-1].heading_cells.append([])
            self.tables[-1].rows[-1].append([])
            self.tables[-1].heading_cells[-1].append(heading)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag in _BLOCK:
            self._break()
        if tag == "pre":
            self._pre = max(self._pre - 1, 0)
        elif tag == "table" and self.tables:
            self.finished_tables.append(self.tables.pop())

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            for index, part in enumerate(data.split("\n")):
                if index:
                    self._break()
                self._append(part)
            return
        text = " ".join(data.split())
        if text:
            spacer = (
                " "
                if data[:1].isspace() and self.current and not self.current.endswith(" ")
                else ""
            )
            self._append(spacer + text + (" " if data[-1:].isspace() else ""))

    def _append(self, text: str) -> None:
        stripped = text.strip()
        if not stripped:
            self.current += text
            return
        start = len(self.current) + len(text) - len(text.lstrip())
        self.current += text
        cells = self.tables[-1].rows[-1] if self.tables and self.tables[-1].rows else None
        if cells:
            cells[-1].append(_Fragment(len(self.lines), start, start + len(stripped), stripped))

    def _break(self) -> None:
        if self.current.strip():
            self.lines.append(self.current)
        self.current = ""

    def close(self) -> None:
        super().close()
        self._break()
        self.finished_tables.extend(reversed(self.tables))
        self.tables = []


def _is_hidden(attributes: dict[str, str | None]) -> bool:
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    if (attributes.get("type") or "").lower() == "hidden":
        return True
    return bool(_HIDDEN_STYLE.search(attributes.get("style") or ""))


def parse_html(data: bytes, *, mime_type: str = HTML_MIME) -> ParsedDocument:
    parser = _VisibleText()
    parser.feed(decode_text(data))
    parser.close()
    page = synthetic_page(1, parser.lines)
    rows, columns = int(page.height), int(page.width)
    tables = tuple(
        table
        for builder in parser.finished_tables
        if (table := _table(builder, rows, columns)).rows
    )
    return ParsedDocument(pages=(replace(page, tables=tables),), mime_type=mime_type)


def _table(builder: _TableBuilder, rows: int, columns: int) -> Table:
    pairs = zip(builder.rows, builder.heading_cells, strict=False)
    kept = [(row, heads) for row, heads in pairs if row]
    cells = tuple(tuple(_cell(fragments, rows, columns) for fragments in row) for row, _ in kept)
    texts = [[cell.text for cell in row] for row in cells]
    headed = bool(kept) and all(kept[0][1]) and len(kept) > 1
    return Table(rows=cells, header_rows=1 if headed else header_rows_of(texts))


def _cell(fragments: list[_Fragment], rows: int, columns: int) -> Cell:
    if not fragments:
        return Cell("")
    boxes = [grid_box(f.line, f.start, f.end, rows, columns) for f in fragments]
    return Cell(" ".join(f.text for f in fragments), union_bbox(boxes))
