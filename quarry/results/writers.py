"""Result files: JSON, JSONL and CSV as text streamed record by record, XLSX as a workbook.

A text format is three steps, `begin()`, `record(r)` per record and `end()`, each returning the
text to append, so the API streams it and `quarry extract` writes it to a file as it goes. An
XLSX workbook is written with openpyxl's write-only mode (rows go to temporary files, not
memory) and saved by `close()`.

    format  sheet / lines
    json    [ {jobId, externalRef, fileName, status, errorCode, fields, fieldDetails}, ... ]
    jsonl   the same objects, one per line
    csv     jobId,externalRef,fileName,status,errorCode,<field columns in schema order>
    xlsx    "Results" like the CSV (dates and numbers as typed cells), plus one sheet per
            array-of-objects field: jobId,<its properties>
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from quarry.core.fields import FieldSpec
from quarry.results.columns import field_columns, text_cell
from quarry.results.records import IDENTITY, ResultRecord
from quarry.results.xlsx import XlsxBook


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str


FORMATS = {
    "json": Format("json", "application/json"),
    "jsonl": Format("jsonl", "application/x-ndjson"),
    "csv": Format("csv", "text/csv; charset=utf-8"),
    "xlsx": Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


class TextFormat(Protocol):
    def begin(self) -> str: ...
    def record(self, record: ResultRecord) -> str: ...
    def end(self) -> str: ...


def _json(record: ResultRecord) -> str:
    return json.dumps(record.wire(), ensure_ascii=False, separators=(",", ":"))


class JsonArray:
    """A JSON array, one record per line, valid as soon as `end()` is written."""

    def __init__(self) -> None:
        self._first = True

    def begin(self) -> str:
        return "["

    def record(self, record: ResultRecord) -> str:
        separator = "\n" if self._first else ",\n"
        self._first = False
        return separator + _json(record)

    def end(self) -> str:
        return "]\n" if self._first else "\n]\n"


class JsonLines:
    def begin(self) -> str:
        return ""

    def record(self, record: ResultRecord) -> str:
        return _json(record) + "\n"

    def end(self) -> str:
        return ""


class CsvTable:
    """CSV (RFC 4180, CRLF line ends): identity columns, then the schema's columns."""

    def __init__(self, specs: Sequence[FieldSpec]) -> None:
        self._columns = field_columns(specs)

    def begin(self) -> str:
        return self._line([*IDENTITY, *(column.header for column in self._columns)])

    def record(self, record: ResultRecord) -> str:
        values = [column.value(record.fields) for column in self._columns]
        return self._line([*record.identity(), *values])

    def end(self) -> str:
        return ""

    @staticmethod
    def _line(values: Sequence[object]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([text_cell(value) for value in values])
        return buffer.getvalue()


def text_format(name: str, specs: Sequence[FieldSpec]) -> TextFormat:
    if name == "json":
        return JsonArray()
    if name == "jsonl":
        return JsonLines()
    if name == "csv":
        return CsvTable(specs)
    raise ValueError(f"{name} is not a text format")


class RecordFile(Protocol):
    def add(self, record: ResultRecord) -> None: ...
    def close(self) -> None: ...


class TextFile:
    """A text format written to a stream as records come, flushed after each one, so what is
    written so far is on disk (and, once `close()` has run, a valid file)."""

    def __init__(self, stream: TextIO, text: TextFormat, *, owned: bool = True) -> None:
        self._stream, self._text, self._owned = stream, text, owned
        self._stream.write(text.begin())

    def add(self, record: ResultRecord) -> None:
        self._stream.write(self._text.record(record))
        self._stream.flush()

    def close(self) -> None:
        self._stream.write(self._text.end())
        self._stream.flush()
        if self._owned:
            self._stream.close()


def format_of(path: Path) -> str:
    """The export format a file name asks for (`.json`, `.jsonl`, `.csv`, `.xlsx`)."""
    name = path.suffix.lower().lstrip(".")
    if name not in FORMATS:
        known = ", ".join(f".{n}" for n in FORMATS)
        raise ValueError(f"cannot tell the format of {path.name}: use one of {known}")
    return name


def open_file(path: Path, specs: Sequence[FieldSpec]) -> RecordFile:
    """A writer of result records into `path`, in the format its extension names."""
    name = format_of(path)
    if name == "xlsx":
        return XlsxBook(specs, path)
    return TextFile(path.open("w", encoding="utf-8", newline=""), text_format(name, specs))
