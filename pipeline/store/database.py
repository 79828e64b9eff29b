"""The narrow connection interface a store backend provides to the shared SQL.

Every query of the store is written once (pipeline/store/sql.py) with ``?``
placeholders; a backend supplies a :class:`Database` that runs it on its
driver (sqlite3, psycopg), translating placeholders and driver errors. So a
second backend is a connection adapter, not a second copy of the queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = Mapping[str, Any]
Params = Sequence[Any]


class Database(Protocol):
    """One connection: queries, writes inside transactions, consistent reads."""

    location: str  # what messages name: a file path, or a URL without its password

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        ...

    def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    def insert_returning_id(self, sql: str, params: Params) -> int:
        """Run an INSERT ... RETURNING id and return the id."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction: committed at the end, rolled back on any exception; nested ones join it."""
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction: every query inside sees the store as of one moment."""
        ...

    def close(self) -> None: ...


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """`items` in slices of `size`: an ``IN (?, ?, ...)`` list stays within every driver's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(items: Sequence[Any]) -> str:
    """``?, ?, ?`` for an IN list of `items`."""
    return ",".join("?" * len(items))
