"""Booleans as printed: yes/no in several languages, true/false, check marks and boxes."""

from __future__ import annotations

_TRUE = frozenset(
    {"yes", "y", "true", "ja", "oui", "si", "sí", "sim", "x", "☑", "☒", "✓", "✔", "✅", "[x]", "1"}
)
_FALSE = frozenset({"no", "n", "false", "nein", "non", "nee", "não", "☐", "✗", "✘", "[ ]", "0"})


def parse_boolean(token: str) -> bool | None:
    text = token.strip().strip(":;.,").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None
