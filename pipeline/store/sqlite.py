"""The SQLite store: one file an analyst can copy, inspect with any SQLite tool, and that survives crashes.

Why SQLite by default: one file, nothing to install or run, WAL journal (a
reader never waits for the writer), and every stage writes in transactions,
so a killed run leaves the last committed unit of work intact.

Opening a file is careful, because a mistyped ``--db`` or a damaged disk
must never cost data: a file that is not a pipeline store (another program's
database) is refused before anything is written to it; a pipeline store is
checked with ``PRAGMA quick_check`` and against the expected tables and
columns before it is used; the schema version is ``PRAGMA user_version`` and
older stores are migrated in place. While a run writes, every commit checks
that the path still names the file that was opened: a store deleted or moved
away during a run would otherwise swallow hours of work without a word.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pipeline.errors import StorageError, StoreBusy, UsageError
from pipeline.files import NotRegularFile, file_kind, open_regular
from pipeline.store.database import Params, Row
from pipeline.store.schema import DATA_MIGRATIONS, SCHEMA_VERSION, TABLES, statements, tables_at
from pipeline.store.sql import SQLStore

SERIAL = "INTEGER PRIMARY KEY"


class SQLiteDatabase:
    """A sqlite3 connection that speaks the :class:`~pipeline.store.database.Database` interface."""

    def __init__(self, path: Path, busy_timeout_s: float):
        self.path = path
        self.location = str(path)
        self.busy_timeout_s = busy_timeout_s
        try:
            # isolation_level=None: BEGIN/COMMIT are ours, so a transaction is exactly `transaction()`.
            self.conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"{path}: cannot open the store: {exc}") from exc
        self.conn.row_factory = sqlite3.Row
        self._identity: tuple[int, int] | None = None

    def remember_identity(self) -> None:
        """Note which file the path names now; commits check it still does."""
        st = os.stat(self.path)
        self._identity = (st.st_dev, st.st_ino)

    def check_identity(self) -> None:
        """Raise StorageError when the path no longer names the file opened (deleted, moved away, replaced).

        Before saying so, what this run committed is written from the WAL into
        the file it holds open: SQLite does not do that when it closes a file
        that was moved (the WAL is named after the old path), so a store moved
        away would otherwise lose every batch of the run.
        """
        if self._identity is None:
            return
        try:
            st = os.stat(self.path)
        except OSError:
            st = None
        if st is not None and (st.st_dev, st.st_ino) == self._identity:
            return
        self._rollback()
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raise StorageError(
            f"{self.path}: the store file was deleted, moved or replaced while this run was writing to it; nothing more "
            "was written. A moved store holds everything committed before the move: run the same command on it to carry on"
        )

    # -- Database interface --------------------------------------------------------------
    def query(self, sql: str, params: Params = ()) -> list[Row]:
        rows: list[Row] = self._call(lambda: self.conn.execute(sql, params).fetchall())
        return rows

    def execute(self, sql: str, params: Params = ()) -> int:
        return int(self._call(lambda: self.conn.execute(sql, params).rowcount))

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._call(lambda: self.conn.executemany(sql, rows))

    def insert_returning_id(self, sql: str, params: Params) -> int:
        return int(self._call(lambda: self.conn.execute(sql, params).fetchone()[0]))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT; rolled back on any exception. Inside a transaction, joins it.

        IMMEDIATE takes the write lock up front, so two writers queue on the
        busy timeout instead of failing half-way through.
        """
        if self.conn.in_transaction:
            yield
            return
        self._call(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield
            self.check_identity()
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise _storage_error(self.path, exc) from exc

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction; WAL lets it run beside a writer without taking any lock."""
        if self.conn.in_transaction:
            yield
            return
        self._call(lambda: self.conn.execute("BEGIN DEFERRED"))
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # -- errors --------------------------------------------------------------------------
    def _call(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if _is_storage_problem(exc):  # disk full, I/O error, read-only file: tell the user, not a traceback
                raise _storage_error(self.path, exc) from exc
            raise
        except sqlite3.DatabaseError as exc:  # a corrupt page met after opening
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                raise
            raise StorageError(f"{self.path}: the store is damaged ({exc}); restore it from a copy") from exc

    def _rollback(self) -> None:
        """Roll back what is still open, keeping the error that brought us here.

        SQLite itself rolls back on some errors (a full disk, an I/O error): a
        second ROLLBACK would then fail and hide the real cause.
        """
        if not self.conn.in_transaction:
            return
        with contextlib.suppress(sqlite3.Error):  # the original exception says more than this one
            self.conn.execute("ROLLBACK")


class SQLiteStore(SQLStore):
    """A pipeline store in one SQLite file, with its schema up to date."""

    def __init__(self, path: str | Path, busy_timeout_s: float = 30.0, create: bool = True):
        self.path = Path(path)
        if not _refuse_foreign_file(self.path, busy_timeout_s) and not create:  # missing, empty, or an SQLite file without tables
            raise UsageError(f"{self.path}: no store here yet; run `pipeline ingest INPUT...` (or `pipeline run`) first")
        if not self.path.parent.exists():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"{self.path}: cannot create the store's folder: {exc.strerror or exc}") from exc
        db = SQLiteDatabase(self.path, busy_timeout_s)
        super().__init__(db)
        self.sqlite = db
        self._lock_file: IO[bytes] | None = None
        try:
            self._open(busy_timeout_s)
        except BaseException:
            db.close()
            raise
        db.remember_identity()

    def _open(self, busy_timeout_s: float) -> None:
        conn = self.sqlite.conn
        try:
            _check_integrity(conn, self.path)
            # Switching a brand-new file to WAL needs an exclusive lock and SQLite does not wait for
            # it: two runs creating the same store at once would otherwise fail with "database is locked".
            _retry_while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"), busy_timeout_s)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            _check_tables(conn, self.path)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # I/O, space, permissions: the file itself may be fine
                raise StorageError(f"{self.path}: cannot open the store: {exc}{_hint(str(exc))}") from exc
            raise StorageError(f"{self.path}: the store is damaged ({exc}); restore it from a copy, nothing was written") from exc

    # -- schema ------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.sqlite.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: schema version {version} is newer than this pipeline ({SCHEMA_VERSION}); upgrade the pipeline"
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.db.transaction():
                # Read again under the write lock: another process creating the same store may have done it.
                if self.schema_version >= number:
                    continue
                for sql in statements(number, SERIAL):
                    self.sqlite.conn.execute(sql)
                if number in DATA_MIGRATIONS:
                    DATA_MIGRATIONS[number](self.db)
                self.sqlite.conn.execute(f"PRAGMA user_version={number}")

    # -- the run lock ------------------------------------------------------------------------
    def acquire_run_lock(self, wait: bool = False) -> None:
        """Hold an exclusive lock for a writing run (one writer run at a time).

        Readers (status, export) never take it. The lock is a `flock` on a
        side file, released by the OS when the process dies, so a killed run
        never leaves a stale lock behind; runs it finds still marked
        'running' were killed, and are marked 'interrupted'.
        """
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = _open_lock_file(lock_path)
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read(200).decode("utf-8", errors="replace").strip() or "another process"
            handle.close()
            raise StoreBusy(
                f"{self.path}: another pipeline run ({holder}) is writing to this store; "
                "wait for it to finish, or pass --wait to queue behind it"
            ) from exc
        except OSError as exc:
            handle.close()
            raise StorageError(f"{lock_path}: cannot lock the store's lock file: {exc.strerror or exc}") from exc
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}".encode())
            handle.flush()
        except OSError as exc:
            handle.close()
            raise StorageError(
                f"{lock_path}: cannot write the store's lock file: {exc.strerror or exc}{_hint(str(exc))}"
            ) from exc
        self._lock_file = handle
        self.mark_interrupted_runs()

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self.sqlite.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def counts(self, schema_version: int | None = None) -> Any:
        return super().counts(self.schema_version if schema_version is None else schema_version)

    def restart_numbering(self) -> None:
        """Nothing to do: SQLite numbers a new row after the largest id there is."""


# -- opening checks ------------------------------------------------------------------------------


def _refuse_foreign_file(path: Path, busy_timeout_s: float) -> bool:
    """Refuse, before anything is written to it, a file that is not a pipeline store this pipeline can open.

    Returns True when the file holds a pipeline store, False when there is
    none yet (no file, an empty one, an SQLite file without tables).

    Read through a separate read-only connection: a FIFO or device (never
    opened for reading, so never waited on), a file that is not SQLite,
    another program's SQLite database (tables, none of them a pipeline
    store's; or tables but no schema version), a store with some of the
    pipeline's tables missing, a store from a newer pipeline. An empty file,
    or an SQLite file without tables, becomes a new store.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StorageError(f"{path}: cannot open the store: {exc.strerror or exc}") from exc
    kind = file_kind(st.st_mode)
    if kind is not None:
        raise StorageError(f"{path}: is {kind}, not a store file")
    if st.st_size == 0:
        return False
    try:
        with open_regular(path) as handle:
            header = handle.read(16)
    except NotRegularFile as exc:
        raise StorageError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise StorageError(f"{path}: cannot open the store: {exc.strerror or exc}{_hint(str(exc))}") from exc
    if header != b"SQLite format 3\x00":
        raise StorageError(f"{path}: not a pipeline store (not an SQLite file); refusing to touch it")
    try:
        # One read transaction, so a store another process is creating right now is seen before or after, never half.
        conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True, timeout=busy_timeout_s, isolation_level=None)
        try:
            conn.execute("BEGIN")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute("COMMIT")
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:  # I/O, space, permissions: the file itself may be fine
        raise StorageError(f"{path}: cannot open the store: {exc}{_hint(str(exc))}") from exc
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path}: the store is damaged and cannot be read ({exc}); restore it from a copy") from exc
    ours = tables & TABLES.keys()
    if tables and (not ours or version == 0):
        why = "none of them the pipeline's" if not ours else "but no pipeline schema version"
        raise StorageError(
            f"{path}: an SQLite database of another program ({len(tables)} tables, {why}); "
            "refusing to add the pipeline's tables to it: choose another --db"
        )
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"{path}: schema version {version} is newer than this pipeline ({SCHEMA_VERSION}); upgrade the pipeline"
        )
    missing = sorted(tables_at(version) - tables)  # a store of an older version is migrated, not refused
    if version > 0 and missing:
        raise StorageError(
            f"{path}: the store has no {', '.join(repr(t) for t in missing)} table(s): it is damaged or not a pipeline store; "
            "restore it from a copy, nothing was written"
        )
    return version > 0


def _open_lock_file(lock_path: Path) -> IO[bytes]:
    """The lock file, created if missing; refused (exit 6) when it cannot be opened or is not a regular file."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
    except IsADirectoryError:
        raise StorageError(
            f"{lock_path}: the store's lock file is a folder, not a regular file; remove it and run again"
        ) from None
    except OSError as exc:
        raise StorageError(f"{lock_path}: cannot open the store's lock file: {exc.strerror or exc}") from exc
    kind = file_kind(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        raise StorageError(f"{lock_path}: the store's lock file is {kind}, not a regular file; remove it and run again")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "r+b")


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """PRAGMA quick_check: a damaged page is found before a run writes to the file."""
    rows = conn.execute("PRAGMA quick_check").fetchall()
    problems = [r[0] for r in rows if r[0] != "ok"]
    if problems:
        raise StorageError(f"{path}: the store is damaged ({problems[0]}); restore it from a copy, nothing was written")


def _check_tables(conn: sqlite3.Connection, path: Path) -> None:
    """Every table and column of the schema is there (a hand-edited or half-copied file is not)."""
    for table, columns in TABLES.items():
        found = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if not found:
            raise StorageError(f"{path}: the store has no '{table}' table: it is damaged or not a pipeline store")
        missing = columns - found
        if missing:
            raise StorageError(f"{path}: table '{table}' lacks column(s) {', '.join(sorted(missing))}: the store is damaged")


def _retry_while_locked(action: Callable[[], Any], timeout_s: float) -> Any:
    """Run `action`, retrying for up to `timeout_s` while SQLite says the database is locked."""
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _is_storage_problem(exc: sqlite3.Error) -> bool:
    """An error of the disk or the file (not of our SQL): the user can act on it."""
    text = str(exc)
    return any(word in text for word in ("disk", "full", "readonly", "read-only", "unable to open", "locked", "busy"))


def _hint(text: str) -> str:
    """What an SQLite I/O error usually means, for the message the user sees."""
    if "full" in text or "disk I/O" in text:
        return " (is the disk full? free some space and run again: nothing stored is lost)"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return " (the store's file or its folder is not writable: SQLite needs to write the store and its -wal and -shm files beside it)"
    return ""


def _storage_error(path: Path, exc: sqlite3.Error) -> StorageError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(f"{path}: the store is locked by another writer and stayed locked: {text}")
    if "full" in text or "disk" in text:
        return StorageError(f"{path}: the disk is full; nothing of this step was stored: {text}")
    return StorageError(f"{path}: {text}; nothing of this step was stored{_hint(text)}")
