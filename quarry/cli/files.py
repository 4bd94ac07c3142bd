"""The documents named on a command line: files as given, folders searched recursively.

Shared by `quarry extract` (local) and `quarry runs create` (upload to a server)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def find_files(arguments: Sequence[Path]) -> list[Path]:
    """The files named, and the files under the folders named (sorted, hidden ones skipped)."""
    found: dict[Path, None] = {}
    for path in arguments:
        if path.is_dir():
            found.update((p, None) for p in sorted(path.rglob("*")) if _visible_file(p, path))
        elif path.is_file():
            found[path] = None
        else:
            raise ValueError(f"{path}: no such file or folder")
    if not found:
        raise ValueError("no documents found in " + ", ".join(map(str, arguments)))
    return list(found)


def _visible_file(path: Path, root: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return path.is_file() and not hidden


def files_with_refs(arguments: Sequence[Path]) -> list[tuple[Path, str]]:
    """`find_files`, each file with a reference: its name when named, its path relative to
    the folder named (`march/b.pdf`) when found in one."""
    found: dict[Path, str] = {}
    for given in arguments:
        for path in find_files([given]):
            ref = path.relative_to(given).as_posix() if given.is_dir() else path.name
            found.setdefault(path, ref)
    return list(found.items())
