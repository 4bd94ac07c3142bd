"""Raw PDF stream scanning, without trusting the file's structure.

Two jobs, both bounded in work and memory:

* `check_stream_sizes` runs before PDFium opens a file and refuses a content stream that would
  inflate past a cap (a "flate bomb": a few KB on disk, a GiB once decoded). PDFium itself
  would allocate the whole stream.
* `salvage_text` recovers the strings shown by the content streams of a PDF whose structure
  PDFium cannot read (truncated files, broken page trees). It reads only unfiltered or Flate
  streams and only literal/hex string operands of the text-showing operators.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from quarry.parsing.pdf_text_ops import text_lines

MAX_DECODED_STREAM_BYTES = 100 * 1024 * 1024
_SALVAGE_STREAM_BYTES = 16 * 1024 * 1024
_CHUNK = 1 << 20
_DICT_LOOKBACK = 4096
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_END = re.compile(rb"\r?\n?endstream")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_NAME = re.compile(rb"/([A-Za-z0-9]+)")
_IMAGE = re.compile(rb"/Subtype\s*/Image")
_FLATE = frozenset({b"FlateDecode", b"Fl"})


class StreamTooLarge(Exception):
    """A stream decodes to more than the allowed number of bytes."""


@dataclass(frozen=True)
class RawStream:
    header: bytes  # the object's dictionary (best effort)
    data: bytes  # encoded bytes, possibly cut short
    filters: tuple[bytes, ...]

    @property
    def is_image(self) -> bool:
        return _IMAGE.search(self.header) is not None

    @property
    def inflatable(self) -> bool:
        return all(f in _FLATE for f in self.filters)


def iter_streams(data: bytes) -> Iterator[RawStream]:
    for match in _STREAM.finditer(data):
        start = match.end()
        end_match = _END.search(data, start)
        end = end_match.start() if end_match else len(data)
        header = data[max(0, match.start() - _DICT_LOOKBACK) : match.start()]
        header = header[header.rfind(b"obj") + 1 :] if b"obj" in header else header
        yield RawStream(header=header, data=data[start:end], filters=_filters(header))


def _filters(header: bytes) -> tuple[bytes, ...]:
    found = _FILTER.search(header)
    return tuple(_NAME.findall(found.group(1))) if found else ()


def check_stream_sizes(data: bytes, *, limit: int = MAX_DECODED_STREAM_BYTES) -> None:
    """Raise StreamTooLarge when a non-image Flate stream inflates to more than `limit`."""
    for stream in iter_streams(data):
        if stream.filters and stream.inflatable and not stream.is_image:
            for _ in decode(stream, limit=limit):
                pass


def decode(stream: RawStream, *, limit: int) -> Iterator[bytes]:
    """The decoded bytes in chunks; stops quietly on damaged data, raises past `limit`."""
    chunks: Iterable[bytes] = (stream.data,)
    for _ in stream.filters:
        chunks = _inflate(chunks)
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise StreamTooLarge(f"a stream decodes to more than {limit // (1024 * 1024)} MB")
        yield chunk


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    try:
        for chunk in chunks:
            pending = chunk
            while True:
                out = inflater.decompress(pending, _CHUNK)
                if out:
                    yield out
                pending = inflater.unconsumed_tail
                if inflater.eof or (not pending and len(out) < _CHUNK):
                    break
            if inflater.eof:
                return
    except zlib.error:
        return


def salvage_text(data: bytes) -> list[str]:
    """Lines of text shown by the readable content streams, in file order."""
    lines: list[str] = []
    for stream in iter_streams(data):
        if stream.is_image or not stream.inflatable:
            continue
        try:
            content = b"".join(decode(stream, limit=_SALVAGE_STREAM_BYTES))
        except StreamTooLarge:
            continue
        if b"BT" in content and (b"Tj" in content or b"TJ" in content):
            lines.extend(text_lines(content))
    return lines
