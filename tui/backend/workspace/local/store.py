"""The local workspace's SQLite file: opening it, its WAL journal, the schema migrations, the
write transactions, and the one place sqlite3 errors become `WorkspaceError`s naming the file.

- WAL journal, `busy_timeout`, short explicit `BEGIN IMMEDIATE` write transactions: several
  threads (one shared connection behind a lock) and several processes can use one file at once.
- A fresh file is filled (`on_create`, the seed) in the same transaction that creates the schema,
  so two processes opening a new file fill it once.
- Files are user-only: the directory 0700, the database (and its -wal/-shm, which SQLite
  creates with the database's mode) 0600.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tui.backend.core.errors import NotFound, WorkspaceError, suggest
from tui.backend.workspace.local.schema import MIGRATIONS, SCHEMA_VERSION

T = TypeVar("T")


class LocalStore:
    """The open database file; the local backend's parts read and write through `_read` / `_write`."""

    def __init__(
        self,
        db_path: Path | str,
        *,
        busy_timeout_ms: int = 5000,
        on_create: Callable[[sqlite3.Connection], None] | None = None,
    ):
        self.db_path = Path(db_path).expanduser()
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._on_create = on_create
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._created = self._open()

    # -- opening ------------------------------------------------------------------------------
    def _open(self) -> bool:
        """Connect, configure and migrate; True when this call created the schema."""
        self._ensure_directory()
        self._ensure_file()
        try:
            conn = sqlite3.connect(
                str(self.db_path),
                timeout=self._busy_timeout_ms / 1000,
                isolation_level=None,  # autocommit; transactions are explicit
                check_same_thread=False,  # shared across worker threads behind self._lock
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            conn.execute("PRAGMA foreign_keys = ON")
            self._enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            created = self._migrate()
        except sqlite3.Error as exc:
            self.close()
            raise self._error(exc) from None
        except WorkspaceError:
            self.close()
            raise
        self._restrict_sidecars()
        return created

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL, retrying while another process holds the lock (two first starts at once).

        SQLite answers a journal-mode change that meets a lock with "database is locked" or the old
        mode, without waiting on busy_timeout; retry until that timeout has passed.
        """
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        while True:
            locked: sqlite3.OperationalError | None = None
            try:
                mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                locked, mode = exc, "locked"
            if mode == "wal":
                return
            if time.monotonic() >= deadline:
                if locked is not None:
                    raise locked
                raise WorkspaceError(f"The workspace file {self.db_path} could not switch to WAL mode (got {mode!r}).")
            time.sleep(0.01)

    def _ensure_directory(self) -> bool:
        directory = self.db_path.parent
        if directory.is_dir():
            return False
        try:
            directory.mkdir(parents=True, mode=0o700)
            os.chmod(directory, 0o700)
        except FileExistsError:
            if not directory.is_dir():
                raise WorkspaceError(
                    f"The workspace directory {directory} exists but is not a directory."
                ) from None
            return False
        except OSError as exc:
            raise WorkspaceError(
                f"Cannot create the workspace directory {directory}: {exc.strerror or exc}."
            ) from None
        return True

    def _ensure_file(self) -> None:
        """Create the db file ourselves with mode 0600; SQLite gives -wal/-shm the same mode."""
        if self.db_path.is_dir():
            raise WorkspaceError(f"The workspace path {self.db_path} is a directory, not a database file.")
        try:
            fd = os.open(self.db_path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise WorkspaceError(
                f"Cannot open the workspace file {self.db_path}: {exc.strerror or exc}."
            ) from None
        os.close(fd)

    def _restrict_sidecars(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(self.db_path) + suffix)
            try:
                if path.exists() and (path.stat().st_mode & 0o077):
                    os.chmod(path, 0o600)
            except OSError:
                pass  # not ours to fix (e.g. owned by someone else); SQLite already opened it

    # -- errors and transactions ---------------------------------------------------------------
    def _error(self, exc: sqlite3.Error) -> WorkspaceError:
        text = str(exc)
        low = text.lower()
        path = self.db_path
        if "not a database" in low or "malformed" in low or "corrupt" in low:
            return WorkspaceError(
                f"The workspace file {path} is corrupted ({text}). Move it away "
                f"(for example `mv {path} {path}.broken`) and evaltui will create a fresh one."
            )
        if "locked" in low or "busy" in low:
            return WorkspaceError(
                f"The workspace file {path} is locked by another process; close other evaltui "
                "windows or commands using it and try again."
            )
        if "readonly" in low or "read-only" in low or "unable to open" in low or "disk i/o" in low:
            return WorkspaceError(
                f"The workspace file {path} cannot be written ({text}); check that its directory "
                "is writable and the disk is not full."
            )
        if "disk is full" in low or "full" in low:
            return WorkspaceError(f"The workspace file {path} cannot grow: the disk is full.")
        return WorkspaceError(f"The workspace file {path} could not be used: {text}.")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise WorkspaceError(f"The workspace {self.db_path} is closed.")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction (BEGIN IMMEDIATE takes the write lock up front, so
        concurrent writers wait on busy_timeout instead of failing on lock upgrade)."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc) from None
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from None
                raise

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            conn = self._connection()
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def _migrate(self) -> bool:
        """Bring the schema to SCHEMA_VERSION; returns True when this call created it."""
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise WorkspaceError(
                    f"The workspace file {self.db_path} was written by a newer evaltui "
                    f"(schema {version}, this version understands {SCHEMA_VERSION}); upgrade evaltui."
                )
            fresh = version == 0
            while version < SCHEMA_VERSION:
                step = MIGRATIONS[version]
                if callable(step):
                    step(conn)
                else:
                    for statement in step.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            if fresh and self._on_create is not None:
                self._on_create(conn)
            return fresh

    def _lookup(
        self, kind: str, name_or_id: str, query: str, decode: Callable[[Sequence[Any]], T], names_query: str
    ) -> T:
        """The row `query` finds for an id or a name (it takes `name_or_id` three times), decoded;
        otherwise NotFound suggesting the close names that `names_query` lists."""

        def find(conn: sqlite3.Connection) -> tuple[T | None, list[str]]:
            row = conn.execute(query, (name_or_id, name_or_id, name_or_id)).fetchone()
            if row:
                return decode(row), []
            return None, [r[0] for r in conn.execute(names_query)]

        found, names = self._read(find)
        if found is None:
            raise NotFound(kind, name_or_id, suggest(name_or_id, names))
        return found

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None
