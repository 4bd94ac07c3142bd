"""Free space on the disks Quarry writes to, for `/api/ready`."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

from quarry.core.config import MIB, Settings


def written_folders(settings: Settings) -> list[Path]:
    """The data folder, and the blob folder when STORAGE_URL is a `file://` path elsewhere."""
    folders = [settings.data_dir]
    if settings.storage_url and urlparse(settings.storage_url).scheme == "file":
        folders.append(Path(urlparse(settings.storage_url).path))
    return folders


def free_space_check(settings: Settings) -> str:
    """ "ok", or which folder has less than MIN_FREE_DISK_MB free."""
    for folder in written_folders(settings):
        try:
            free = shutil.disk_usage(folder).free
        except OSError as exc:
            return f"error: {folder}: {exc.strerror}"
        needed = settings.min_free_disk_mb
        if free < needed * MIB:
            return f"low: {free // MIB} MB free in {folder} (MIN_FREE_DISK_MB={needed})"
    return "ok"
