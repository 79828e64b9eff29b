"""Raw access to a store's SQLite file, for the few tests that damage it or inspect it as a file.

Everything else in the tests reads and writes a store through its methods
(:mod:`pipeline.store`): no SQL outside the store. These tests cannot: they
check what the pipeline does with a file the store would never produce
itself (a schema version from the future, a size cap standing in for a full
disk) or they check the file with SQLite's own integrity check, from a
connection independent of the code under test. So the raw SQL lives here,
in one place, and stays as small as those checks need.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.store import SQLiteStore


def integrity(db: Path) -> str:
    """`PRAGMA integrity_check` of the file, through a fresh read-only connection ('ok' when sound)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return ";".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def set_schema_version(db: Path, version: int) -> None:
    """Stamp the file with another schema version (PRAGMA user_version), as a newer pipeline would."""
    conn = sqlite3.connect(db)
    try:
        conn.execute(f"PRAGMA user_version={int(version)}")
    finally:
        conn.close()


def is_wal(db: Path) -> bool:
    """The file is in WAL journal mode: bytes 18 and 19 of the SQLite header are both 2."""
    with open(db, "rb") as handle:
        header = handle.read(20)
    return header[18:20] == b"\x02\x02"


def cap_size(store: SQLiteStore, extra_pages: int) -> None:
    """Let the store's own connection grow the file by at most `extra_pages` pages (PRAGMA max_page_count).

    SQLite then fails a write with SQLITE_FULL exactly as on a full disk, in
    process; the limit belongs to that connection only.
    """
    conn = store.sqlite.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + int(extra_pages)}")


def store_at_version(db: Path, version: int, rows: dict[str, list[dict[str, object]]]) -> None:
    """A store file as a pipeline of schema `version` left it: its migrations only, and these rows.

    For tests of what opening an older store does to the rows it holds
    (the current pipeline migrates it in place).
    """
    from pipeline.store.schema import statements
    from pipeline.store.sqlite import SERIAL

    conn = sqlite3.connect(db)
    try:
        for number in range(1, version + 1):
            for sql in statements(number, SERIAL):
                conn.execute(sql)
        for table, items in rows.items():
            for item in items:
                columns = ", ".join(item)
                conn.execute(f"INSERT INTO {table}({columns}) VALUES ({', '.join('?' * len(item))})", list(item.values()))
        conn.execute(f"PRAGMA user_version={int(version)}")
        conn.commit()
    finally:
        conn.close()


def page_size(db: Path) -> int:
    """The page size of the file, from its header (bytes 16–17, big-endian; 1 means 65536)."""
    with open(db, "rb") as handle:
        header = handle.read(18)
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def table_root_page(db: Path, table: str) -> int:
    """The first page of a table's b-tree (sqlite_master.rootpage)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0])
    finally:
        conn.close()


def corrupt_page(db: Path, page: int) -> None:
    """Overwrite page `page` (1-based) of the file with bytes no b-tree page can start with, as a bad disk sector would."""
    size = page_size(db)
    with open(db, "r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(bytes([0xFF, 0x13, 0x37]) * (size // 3) + b"\xff" * (size % 3))


def drop_table(db: Path, table: str) -> None:
    """Remove one table of the store, as a hand edit or a half-copied file would leave it."""
    conn = sqlite3.connect(db)
    try:
        conn.execute(f"DROP TABLE {table}")
        conn.commit()
    finally:
        conn.close()


def foreign_database(path: Path, tables: dict[str, str], user_version: int = 0) -> None:
    """An SQLite file of another program: `tables` (name → column list) with a row each, rollback journal."""
    conn = sqlite3.connect(path)
    try:
        for name, columns in tables.items():
            conn.execute(f"CREATE TABLE {name} ({columns})")
            conn.execute(f"INSERT INTO {name} VALUES ({', '.join('?' * len(columns.split(',')))})", [1] * len(columns.split(",")))
        conn.execute(f"PRAGMA user_version={int(user_version)}")
        conn.commit()
    finally:
        conn.close()
