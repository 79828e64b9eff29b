"""Raw access to a store's PostgreSQL database, for the few tests that need a store the pipeline would not write.

The PostgreSQL counterpart of tests/sqlite_surgery.py: a test of what
opening an older store does to the rows it holds needs a database exactly
as an older pipeline left it, which the current store never produces
itself. So the raw SQL lives here, as small as that needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import psycopg


def store_at_version(url: str, version: int, rows: Mapping[str, Sequence[Mapping[str, object]]]) -> None:
    """A store database as a pipeline of schema `version` left it: its migrations only, and these rows."""
    from pipeline.store.postgres import SERIAL
    from pipeline.store.schema import statements

    with psycopg.connect(url) as conn:  # one transaction, committed on leaving
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version(version) VALUES (%s)", (version,))
        for number in range(1, version + 1):
            for sql in statements(number, SERIAL):
                conn.execute(sql)
        for table, items in rows.items():
            for item in items:
                columns = ", ".join(item)
                conn.execute(f"INSERT INTO {table}({columns}) VALUES ({', '.join(['%s'] * len(item))})", list(item.values()))
            if items and isinstance(items[0].get("id"), int):  # numbering goes on after the ids given, as in SQLite
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")


def create_schema(url: str, name: str) -> None:
    """A new empty schema in the database at `url` (a store may be put there with the URL's options)."""
    with psycopg.connect(url) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')


def tables_in_schema(url: str, name: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (name,)).fetchall()
    return {row[0] for row in rows}


@contextmanager
def sequence_locked(url: str, table: str) -> Iterator[None]:
    """Another session holding the lock of `table`'s id sequence (ALTER SEQUENCE in an open transaction) meanwhile."""
    with psycopg.connect(url) as conn:
        sequence = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()[0]
        conn.execute(f"ALTER SEQUENCE {sequence} NO CYCLE")  # blocks setval/nextval until this transaction ends
        yield
        conn.rollback()
