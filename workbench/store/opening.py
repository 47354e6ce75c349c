"""Opening the SQLite file: private mode for a new base, read-only access, current-schema check."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from pathlib import Path

from workbench.core.files import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE

DEFAULT_BUSY_TIMEOUT_S = 30.0
"""Seconds a writer waits for another process's lock before giving up (``busy``), when the caller
does not say: a workspace passes its ``busy_timeout_s`` setting (:mod:`workbench.core.settings`)."""


def writable(path: Path) -> bool:
    """Can this process write the database and create its journal files beside it?"""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def create_private_file(path: Path) -> None:
    """Create an empty database file readable by its owner only (see docs/security.md)."""
    if not path.parent.exists():
        path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE))


def open_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection that can only read, for a database in a folder this process cannot write.

    ``mode=ro`` works when the WAL index can be used; on a read-only medium holding a cleanly
    closed base (no ``-wal`` file) the file is opened as immutable, which needs no index.
    """
    quoted = urllib.parse.quote(str(path.resolve()))
    attempts = ["mode=ro"] + ([] if Path(f"{path}-wal").exists() else ["mode=ro&immutable=1"])
    for i, query in enumerate(attempts):
        conn = sqlite3.connect(f"file:{quoted}?{query}", uri=True, timeout=timeout, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA query_only=ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            conn.close()
            if i == len(attempts) - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def schema_is_current(conn: sqlite3.Connection, version: int, migrations: set[str]) -> bool:
    """True when the base already has this software's schema and every migration (a pure read)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"meta", "migrations"} <= tables:
        return False
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None or str(row[0]) != str(version):
        return False
    return {r[0] for r in conn.execute("SELECT name FROM migrations")} == migrations
