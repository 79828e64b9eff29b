"""The store's file in trouble: moved or deleted during a run, damaged, another program's, its lock file broken.

Each case must end with one `error:` line naming the file and the reason,
exit 6, and nothing already stored lost: a damaged or foreign file is left
byte for byte as it was (not even switched to WAL), and a store moved away
during a run keeps every batch committed before the move, so the same
command on the moved file carries on.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest
from reliability_support import (
    SEEDS,
    cannot_read_as_child,
    child_env,
    cli,
    counts,
    drop_file_read_override,
    pipeline_argv,
    reading,
    run_statuses,
    stderr_lines,
    write_arabic_dumps,
)
from sqlite_surgery import corrupt_page, drop_table, foreign_database, integrity, is_wal, table_root_page

from pipeline.config import Config
from pipeline.detect import detect_store
from pipeline.errors import StorageError
from pipeline.ingest import ingest_paths
from pipeline.ledger import execute
from pipeline.progress import Reporter
from pipeline.stages import stages
from pipeline.store import open_store
from pipeline.translate.stage import translate_store

SEED = SEEDS / "003_d3a64df3fb8f3d34.txt"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name) and p != db)


# -- moved or deleted during a run ------------------------------------------------------------------------


def test_a_store_moved_away_between_batches_stops_the_run_and_keeps_every_committed_batch(tmp_path, tiny_model_dir):
    db, moved = tmp_path / "store.sqlite", tmp_path / "moved.sqlite"
    write_arabic_dumps(tmp_path / "dumps", sentences=120, pieces=6, files=2)
    config = Config.load(
        None,
        {
            "store.path": str(db),
            "model.name": str(tiny_model_dir),
            "translate.max_batch_size": 8,
            "translate.backend": "transformers",
        },
    )
    committed: list[int] = []

    def move_after_second(batch: int) -> None:
        with reading(db) as reader:
            committed.append(reader.counts().translations_cached)
        if batch == 2:
            db.rename(moved)  # `mv store.sqlite elsewhere/` in another terminal

    with open_store(db) as store:
        ingest_paths(store, config, [tmp_path / "dumps"])
        detect_store(store, config)
        with pytest.raises(StorageError, match="the store file was deleted, moved or replaced while this run was writing to it"):
            translate_store(store, config, after_batch=move_after_second)
    assert len(committed) == 2 and not db.exists()
    assert integrity(moved) == "ok"
    assert counts(moved).translations_cached == committed[-1]  # every batch committed before the move, nothing after
    # the same command on the moved store carries on where it stopped
    proc = cli(
        "translate",
        "--db",
        moved,
        "--model",
        tiny_model_dir,
        "--set",
        "translate.backend=transformers",
        "--set",
        "translate.max_batch_size=8",
    )
    assert proc.returncode == 0, proc.stderr
    assert counts(moved).segments_pending == 0 and integrity(moved) == "ok"


class _DeleteStoreAt(Reporter):
    """Progress that deletes the store when a stage starts (`rm store.sqlite` in another terminal, at that moment)."""

    def __init__(self, db: Path, stage: str):
        super().__init__(quiet=True)
        self.db, self.stage = db, stage

    def info(self, message: str) -> None:
        if message == f"[{self.stage}]":
            self.db.unlink()


def test_a_store_deleted_after_its_last_write_fails_the_run_at_the_end(tmp_path):
    """Deleted while export reads it (after every stage's commits): the end of the run checks, and says so."""
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    assert cli("ingest", SEED, "--db", db, "--no-detect").returncode == 0
    config = Config.load(None, {"store.path": str(db), "output.dir": str(out)})
    with pytest.raises(StorageError, match=f"{db}: the store file was deleted, moved or replaced"):
        execute(stages("detect", "export"), config, command="detect+export", reporter=_DeleteStoreAt(db, "export"))
    assert not (out / "summary.json").exists()  # no summary of work the store no longer holds


def test_a_store_deleted_during_a_cli_run_is_exit_6_naming_it(tmp_path, tiny_model_dir):
    """Through the command line: whenever the file disappears, the run stops with exit 6 and one line."""
    db = tmp_path / "store.sqlite"
    write_arabic_dumps(tmp_path / "dumps", sentences=300, pieces=10, files=2)
    assert cli("ingest", tmp_path / "dumps", "--db", db).returncode == 0
    proc = subprocess.Popen(
        pipeline_argv("translate", "--db", db, "--model", tiny_model_dir, "--set", "translate.max_batch_size=4"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        while counts(db).translations_cached == 0 and proc.poll() is None:
            time.sleep(0.05)
        db.unlink()
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 6, stderr
    assert "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if line.startswith("error: ")] == [
        f"error: {db}: the store file was deleted, moved or replaced while this run was writing to it; nothing more "
        "was written. A moved store holds everything committed before the move: run the same command on it to carry on"
    ]
    assert "segments" not in stdout  # no summary of translations that were lost


# -- damaged -------------------------------------------------------------------------------------------------


def seeded_store(tmp_path: Path) -> Path:
    db = tmp_path / "store.sqlite"
    assert cli("ingest", SEED, "--db", db).returncode == 0
    assert side_files(db) == ["store.sqlite.lock"]  # closed cleanly: everything is in the main file
    return db


@pytest.mark.parametrize("verb", ["run", "status"])
def test_a_store_with_one_corrupt_page_is_refused_before_anything_is_written(tmp_path, tiny_model_dir, verb):
    db = seeded_store(tmp_path)
    corrupt_page(db, table_root_page(db, "paragraphs"))
    before = sha256(db)
    args = ("run", SEED, "--out", tmp_path / "out", "--model", tiny_model_dir) if verb == "run" else ("status",)
    proc = cli(*args, "--db", db)
    assert proc.returncode == 6, proc.stderr
    assert "Traceback" not in proc.stderr
    (error,) = set(stderr_lines(proc))
    assert error.startswith(f"error: {db}: the store is damaged (") and error.endswith(
        "restore it from a copy, nothing was written"
    )
    assert sha256(db) == before and side_files(db) == ["store.sqlite.lock"]


def test_a_store_missing_a_table_is_refused_at_once_not_after_the_work(tmp_path, tiny_model_dir):
    db = seeded_store(tmp_path)
    drop_table(db, "refs")
    before = sha256(db)
    proc = cli("run", SEED, "--db", db, "--out", tmp_path / "out", "--model", tiny_model_dir)
    assert proc.returncode == 6, proc.stderr
    assert stderr_lines(proc) == [
        f"error: {db}: the store has no 'refs' table(s): it is damaged or not a pipeline store; restore it from a copy, nothing was written"
    ]
    assert "[ingest]" not in proc.stderr and "disk full" not in proc.stderr  # found at opening, not after hours of work
    assert sha256(db) == before and not (tmp_path / "out" / "summary.json").exists()


# -- another program's database --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tables", "user_version"),
    [
        ({"moz_places": "id, url", "moz_bookmarks": "id, title"}, 52),  # a browser's history: its own schema version
        ({"runs": "id, started", "results": "id, score"}, 0),  # shares a table name with the store
        ({"notes": "id, body"}, 0),
    ],
)
def test_a_foreign_sqlite_file_is_left_byte_for_byte_as_it_was(tmp_path, tables, user_version):
    other = tmp_path / "places.sqlite"
    foreign_database(other, tables, user_version)
    before = sha256(other)
    for args in (("ingest", SEED), ("status",), ("export", "--out", tmp_path / "out")):
        proc = cli(*args, "--db", other)
        assert proc.returncode == 6, (args, proc.stderr)
        (error,) = stderr_lines(proc)
        assert error.startswith(f"error: {other}: an SQLite database of another program ({len(tables)} tables")
        assert error.endswith("refusing to add the pipeline's tables to it: choose another --db")
    assert sha256(other) == before and not is_wal(other)
    assert side_files(other) == []


def test_a_fifo_or_a_folder_as_the_store_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "store.fifo"
    os.mkfifo(fifo)
    for db, what in ((fifo, "a FIFO (named pipe)"), (tmp_path, "a folder")):
        proc = cli("ingest", SEED, "--db", db, timeout=60)
        assert proc.returncode == 6 and stderr_lines(proc) == [f"error: {db}: is {what}, not a store file"], proc.stderr


# -- the lock file ----------------------------------------------------------------------------------------------


def test_a_lock_file_that_is_a_folder_is_exit_6_and_the_store_untouched(tmp_path):
    db = seeded_store(tmp_path)
    (tmp_path / "store.sqlite.lock").unlink()
    (tmp_path / "store.sqlite.lock").mkdir()
    before = counts(db)
    proc = cli("ingest", SEED, "--db", db)
    assert proc.returncode == 6
    assert stderr_lines(proc) == [
        f"error: {tmp_path / 'store.sqlite.lock'}: the store's lock file is a folder, not a regular file; remove it and run again"
    ]
    assert counts(db) == before and run_statuses(db) == ["completed"]


def test_a_lock_file_this_user_cannot_open_is_exit_6(tmp_path):
    db = seeded_store(tmp_path)
    lock = tmp_path / "store.sqlite.lock"
    lock.chmod(0)
    try:
        if not cannot_read_as_child(lock):
            pytest.skip("this environment cannot take away the right to open a mode-000 file (root without CAP_SETPCAP)")
        proc = subprocess.run(
            pipeline_argv("ingest", SEED, "--db", db),
            capture_output=True,
            text=True,
            timeout=120,
            env=child_env(),
            preexec_fn=drop_file_read_override,
        )
    finally:
        lock.chmod(0o644)
    assert proc.returncode == 6, proc.stderr
    assert stderr_lines(proc) == [f"error: {lock}: cannot open the store's lock file: Permission denied"]
    assert run_statuses(db) == ["completed"] and integrity(db) == "ok"
