"""A small tolerant reader of PDF content-stream text operators (for salvage only).

It knows literal and hex strings, arrays and numbers, and the operators that show text or move
to a new line (Tj TJ ' " T* Td TD Tm ET). Strings are decoded as Windows-1252, which is right
for the standard 8-bit fonts; strings that decode to control characters (CID fonts) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_TOKEN = re.compile(
    rb"%[^\r\n]*|<<|>>|\[|\]|<[0-9A-Fa-f\s]*>|/[^\s/\[\]()<>{}%]*|[^\s/\[\]()<>{}%]+|\(",
)
_ESCAPES = {
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("b"): b"\b",
    ord("f"): b"\f",
}
_SHOW = frozenset({b"Tj", b"TJ", b"'", b'"'})
_MOVE = frozenset({b"T*", b"Td", b"TD", b"Tm", b"ET", b"'", b'"'})
_KERN_SPACE = -200  # a TJ adjustment this far left reads as a word space
_MIN_PRINTABLE = 0.9
_CONTROL_TO_SPACE = {code: " " for code in range(32)}

Operand = bytes | float | list["Operand"] | None


def text_lines(content: bytes) -> list[str]:
    """The text lines a content stream shows; an unterminated trailing string is dropped."""
    lines: list[str] = []
    current: list[str] = []
    stack: list[Operand] = []
    last_y: float | None = None
    for token in _tokens(content):
        if not isinstance(token, _Op):
            stack.append(token)
            continue
        if token.name in _MOVE and _moves_down(token.name, stack, last_y):
            _flush(current, lines)
        if token.name == b"Tm" and len(stack) >= 1 and isinstance(stack[-1], float):
            last_y = stack[-1]
        if token.name in _SHOW and stack:
            current.append(_shown(stack[-1]))
        stack.clear()
    _flush(current, lines)
    return lines


def _moves_down(name: bytes, stack: list[Operand], last_y: float | None) -> bool:
    if name in (b"Td", b"TD"):
        return len(stack) >= 1 and stack[-1] != 0.0
    if name == b"Tm":
        return not stack or stack[-1] != last_y
    return True


def _flush(current: list[str], lines: list[str]) -> None:
    text = "".join(current).translate(_CONTROL_TO_SPACE).strip()
    if text:
        lines.append(text)
    current.clear()


def _shown(operand: Operand) -> str:
    if isinstance(operand, bytes):
        return _decode(operand)
    if isinstance(operand, list):
        parts = []
        for item in operand:
            if isinstance(item, float) and item < _KERN_SPACE:
                parts.append(" ")
            elif isinstance(item, bytes):
                parts.append(_decode(item))
        return "".join(parts)
    return ""


def _decode(raw: bytes) -> str:
    text = raw.decode("cp1252", errors="replace")
    printable = sum(ch.isprintable() for ch in text)
    return text if text and printable / len(text) >= _MIN_PRINTABLE else ""


class _Op:
    __slots__ = ("name",)

    def __init__(self, name: bytes) -> None:
        self.name = name


def _tokens(content: bytes) -> Iterator[Operand | _Op]:
    arrays: list[list[Operand]] = []
    pos = 0
    while (match := _TOKEN.search(content, pos)) is not None:
        raw = match.group()
        pos = match.end()
        value: Operand | _Op
        if raw == b"(":
            literal, pos = _literal(content, pos)
            if literal is None:
                return
            value = literal
        elif raw.startswith(b"%") or raw in (b"<<", b">>"):
            continue
        elif raw == b"[":
            arrays.append([])
            continue
        elif raw == b"]":
            value = arrays.pop() if arrays else []
        else:
            value = _atom(raw)
        if arrays and not isinstance(value, _Op):
            arrays[-1].append(value)
        else:
            yield value


def _atom(raw: bytes) -> Operand | _Op:
    if raw.startswith(b"<"):
        digits = re.sub(rb"\s", b"", raw[1:-1])
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
    if raw.startswith(b"/"):
        return None
    try:
        return float(raw)
    except ValueError:
        return _Op(raw)


def _literal(content: bytes, pos: int) -> tuple[bytes | None, int]:
    """The literal string starting after `(`, and the position after its closing `)`."""
    out = bytearray()
    depth = 1
    while pos < len(content):
        char = content[pos]
        pos += 1
        if char == 0x5C:  # backslash
            pos = _escape(content, pos, out)
            continue
        if char == 0x28:
            depth += 1
        elif char == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), pos
        out.append(char)
    return None, pos


def _escape(content: bytes, pos: int, out: bytearray) -> int:
    if pos >= len(content):
        return pos
    char = content[pos]
    if char in _ESCAPES:
        out += _ESCAPES[char]
        return pos + 1
    if 0x30 <= char <= 0x37:
        digits = re.match(rb"[0-7]{1,3}", content[pos : pos + 3])
        assert digits is not None
        out.append(int(digits.group(), 8) & 0xFF)
        return pos + len(digits.group())
    if char in (0x0A, 0x0D):  # line continuation
        return pos + (2 if content[pos : pos + 2] == b"\r\n" else 1)
    out.append(char)
    return pos + 1
