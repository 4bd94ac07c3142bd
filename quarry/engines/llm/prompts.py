"""What the model is told. The schema itself (names, types, descriptions) travels as the
structured-output schema; the text here sets the rules."""

from __future__ import annotations

from quarry.engines.llm.chunks import Chunk

EXTRACTION_SYSTEM = """\
You extract data from documents into JSON that follows the given schema.
Rules:
- Use only what the document says. When a value is not in the document, answer null; never guess.
- Copy text values as printed (fix only broken line wraps).
- Numbers are plain JSON numbers: no currency signs, no thousands separators.
- Dates are YYYY-MM-DD.
- For a list, give every item the document shows, in order, each once.
- A field with a fixed list of values takes one of those values, or null."""


def extraction_user(file_name: str, chunk: Chunk, index: int, total: int) -> str:
    """The document part to read, with where it sits in the whole document."""
    if total == 1:
        where = "the whole document"
    else:
        first, last = chunk.pages[0], chunk.pages[-1]
        pages = f"page {first}" if first == last else f"pages {first}-{last}"
        where = (
            f"part {index} of {total} ({pages}); fields whose value is not in this part are null"
        )
    return f"Document: {file_name}\nThis is {where}.\n\n{chunk.text}"
