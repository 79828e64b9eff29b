"""Copying a store to another location, of either backend: how a user outgrows one machine.

An analyst who started on one SQLite file and moves to a cluster keeps
everything: sources, pieces, detections, segments and, above all, the
translation cache (hours of model time). Every table is copied row for row,
ids included, in key order, a page at a time (a store of any size fits in
memory), into an empty target, in one transaction: a copy that fails half
way leaves the target as empty as it was, and the numbering of the
target's ids is set after the largest copied id in that same transaction
(a copy is never committed without it). The source is read in one
snapshot, so a run writing to it meanwhile does not tear the copy; the
target is held under its run lock, so no run writes to it meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.errors import StorageError
from pipeline.store import Store
from pipeline.store.schema import TABLES


def copy_store(source: Store, target: Store, on_page: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every row of `source` into the empty `target`; returns rows copied per table.

    `on_page(table, rows)` is called after each page (progress).
    """
    target.acquire_run_lock()
    not_empty = [table for table in TABLES if next(target.row_pages(table, size=1), None)]
    if not_empty:
        raise StorageError(
            f"{target.location}: the target store is not empty ({', '.join(not_empty)} hold rows); "
            "copy into a new store, nothing was copied"
        )
    copied = dict.fromkeys(TABLES, 0)
    with source.snapshot(), target.transaction():
        for table in TABLES:  # in the order of their references: runs and sources before what points at them
            for page in source.row_pages(table):
                target.insert_rows(table, page)
                copied[table] += len(page)
                if on_page is not None:
                    on_page(table, len(page))
        # In the same transaction: copied rows whose numbering did not follow them would make the next run or
        # source take an id already there (a duplicate key), and a retried copy would find the target not empty.
        target.restart_numbering()
    return copied
