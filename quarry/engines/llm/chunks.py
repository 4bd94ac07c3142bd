"""A long document split by pages into chunks that fit the model's input budget.

Tokens are estimated at `CHARS_PER_TOKEN` characters each. Pages are kept whole and together
while they fit; a page larger than the budget alone is cut between lines. Each chunk's text
marks where its pages begin (`=== Page 3 ===`), so the model (and the merge) knows them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from quarry.parsing.model import Page

CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Chunk:
    pages: tuple[int, ...]  # 1-based page numbers whose text (or part of it) is here
    text: str


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def page_chunks(pages: Sequence[Page], budget_tokens: int) -> list[Chunk]:
    """Chunks of at most `budget_tokens` (estimated) each, in page order."""
    budget = max(budget_tokens, 1) * CHARS_PER_TOKEN
    chunks: list[Chunk] = []
    numbers: list[int] = []
    parts: list[str] = []
    for number, text in _sections(pages, budget):
        if parts and sum(map(len, parts)) + len(text) > budget:
            chunks.append(Chunk(tuple(dict.fromkeys(numbers)), "\n".join(parts)))
            numbers, parts = [], []
        numbers.append(number)
        parts.append(text)
    if parts:
        chunks.append(Chunk(tuple(dict.fromkeys(numbers)), "\n".join(parts)))
    return chunks


def _sections(pages: Sequence[Page], budget: int) -> Iterator[tuple[int, str]]:
    """Each page's text under its marker; pages over the budget in several parts."""
    for page in pages:
        if not page.text.strip():
            continue
        pieces = list(_cut(page.text, budget - 40))
        for index, piece in enumerate(pieces, start=1):
            part = f", part {index} of {len(pieces)}" if len(pieces) > 1 else ""
            yield page.number, f"=== Page {page.number}{part} ===\n{piece}"


def _cut(text: str, size: int) -> Iterator[str]:
    """`text` in pieces of at most `size` characters, cut between lines where possible."""
    size = max(size, 1)
    piece = ""
    for whole in text.split("\n"):
        line = whole
        while len(line) > size:
            if piece:
                yield piece
                piece = ""
            yield line[:size]
            line = line[size:]
        if piece and len(piece) + 1 + len(line) > size:
            yield piece
            piece = ""
        piece = f"{piece}\n{line}" if piece else line
    if piece:
        yield piece
