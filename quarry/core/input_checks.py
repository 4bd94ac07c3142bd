"""Checks every request input shares, whatever route it reaches.

- A NUL character (`\\u0000`) in any string or key is refused: PostgreSQL cannot store it in
  text or JSON, so it would otherwise end as a 500.
- A key Quarry does not know is ignored, unless it looks like a misspelt known key
  (`externalref`, `schema_id`, `callbackUrll`): that is refused with a hint, so a typo never
  silently drops a value.

Both raise pydantic errors whose `ctx["field"]` names the offending key or path relative to
the object checked; `error_path` joins it to the error's location.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from pydantic_core import PydanticCustomError
from rapidfuzz.distance import OSA

MISSPELT = "misspelt_field"
NUL_CHARACTER = "nul_character"
NUL_MESSAGE = "must not contain a NUL character (\\u0000)"


def check_input(data: Any, known: Collection[str]) -> Any:
    """The before-validator of every request model: `data` unchanged, or an error."""
    if not isinstance(data, dict):
        return data
    check_keys((key for key in data if isinstance(key, str)), known)
    path = nul_path(data)
    if path is not None:
        raise PydanticCustomError(NUL_CHARACTER, NUL_MESSAGE, {"field": path})
    return data


def check_keys(keys: Iterable[str], known: Collection[str]) -> None:
    for key in keys:
        if key in known:
            continue
        suggestion = near_match(key, known)
        if suggestion is not None:
            raise PydanticCustomError(
                MISSPELT,
                "unknown field; did you mean `{suggestion}`?",
                {"field": key, "suggestion": suggestion},
            )


def near_match(key: str, known: Collection[str]) -> str | None:
    """The known key `key` was probably meant to be: the same but for case, `_` or `-`, or a
    few edits away (a letter added, dropped, changed or two swapped: one edit for names of
    4–8 letters, two for longer ones)."""
    wanted = _normal(key)
    best: tuple[int, str] | None = None
    for candidate in known:
        normal = _normal(candidate)
        if normal == wanted:
            return candidate
        allowed = 2 if len(normal) > 8 else 1 if len(normal) >= 4 else 0
        if allowed == 0 or len(wanted) < 4:
            continue
        distance = OSA.distance(wanted, normal, score_cutoff=allowed)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def _normal(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def nul_path(value: Any, path: str = "") -> str | None:
    """Where the first NUL character sits in a JSON-like value (`urls[2].url`), or None."""
    if isinstance(value, str):
        return (path or "value") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                return where
            found = nul_path(item, where)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def error_path(loc: Iterable[Any], error_type: str, ctx: dict[str, Any] | None) -> str:
    """`("urls", 2)` and ctx field `url` → `urls[2].url` (locations without `body` etc.)."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    extra = (ctx or {}).get("field") if error_type in (MISSPELT, NUL_CHARACTER) else None
    if isinstance(extra, str) and extra:
        joiner = "" if extra.startswith("[") or not path else "."
        path += joiner + extra
    return path
