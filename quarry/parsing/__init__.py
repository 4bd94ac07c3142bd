"""Bytes → ParsedDocument (pages, words with boxes, lines, tables)."""

from quarry.parsing.model import BBox, Cell, Line, Page, ParsedDocument, Table, Word
from quarry.parsing.options import OcrOptions, ParseOptions
from quarry.parsing.parser import parse

__all__ = [
    "BBox",
    "Cell",
    "Line",
    "OcrOptions",
    "Page",
    "ParseOptions",
    "ParsedDocument",
    "Table",
    "Word",
    "parse",
]
