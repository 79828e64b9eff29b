"""A full disk, a read-only output folder: a clear error (exit 6) and nothing stored is lost.

The full disk is real where the test may mount a small tmpfs (root, or CI
containers with CAP_SYS_ADMIN), and is simulated otherwise with a file-size
limit (RLIMIT_FSIZE) on the child process, which makes every write past the
limit fail like a full disk does. Either way SQLite's transaction rolls back,
the store keeps everything committed before, and a rerun once space is back
finishes the job.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_support import (
    SEEDS,
    bench_module,
    cannot_read_as_child,
    child_env,
    cli,
    counts,
    drop_file_read_override,
    pipeline_argv,
    reading,
    store_snapshot,
)
from sqlite_surgery import cap_size, integrity


def small_disk(where: Path, size_mb: int) -> bool:
    """Mount a tmpfs of `size_mb` at `where`; False where mounting is not allowed."""
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        return False
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where)], capture_output=True)
    return proc.returncode == 0


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fill the file system of `disk` until only about `leave_bytes` are free."""
    filler = disk / f"filler{len(list(disk.glob('filler*')))}"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as handle:
        remaining = max(free - leave_bytes, 0)
        block = b"\0" * (1 << 16)
        try:
            while remaining > 0:
                remaining -= handle.write(block[: min(len(block), remaining)])
        except OSError:  # full a little earlier than statfs said
            pass
    return filler


@pytest.fixture(params=["tmpfs", "file-size-limit"])
def disk(request, tmp_path) -> Iterator[tuple[str, Path]]:
    mode = request.param
    where = tmp_path / "disk"
    if mode == "tmpfs":
        if not small_disk(where, 4):
            pytest.skip("mounting a small tmpfs is not allowed here; the file-size-limit variant covers a full disk")
        try:
            yield mode, where
        finally:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)
    else:
        where.mkdir()
        yield mode, where


def limited(limit_bytes: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return preexec


def test_store_on_a_full_disk_is_exit_6_and_loses_nothing(disk, tmp_path):
    mode, where = disk
    db = where / "store.sqlite"
    out = where / "out"
    first = cli("ingest", SEEDS, "--db", db)
    assert first.returncode == 0, first.stderr
    assert cli("export", "--db", db, "--out", out, "--format", "jsonl", "--quiet").returncode == 0
    before = store_snapshot(db)
    exported = (out / "pieces.jsonl").read_bytes()
    big = tmp_path / "big.txt"  # ~3 MB of new pieces: far more than the space left
    bench_module().write_dump(big, 3_000_000, first_copy=700)

    if mode == "tmpfs":
        fill(where, leave_bytes=192 * 1024)
        proc = cli("ingest", big, "--db", db)
    else:
        proc = subprocess.run(
            pipeline_argv("ingest", big, "--db", db),
            capture_output=True,
            text=True,
            timeout=300,
            env=child_env(),
            preexec_fn=limited(db.stat().st_size + 192 * 1024),
        )
    assert proc.returncode == 6, proc.stderr
    (error,) = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: {db}: the disk is full; nothing of this step was stored: ")
    assert error.endswith(("database or disk is full", "disk I/O error"))
    assert "Traceback" not in proc.stderr
    assert integrity(db) == "ok"
    assert store_snapshot(db) == before  # the failed file left nothing behind, and took nothing away

    if mode == "tmpfs":
        # completely full: a reader still reads (when SQLite's -shm index is there already), or
        # says plainly that it cannot open the store because of the disk (when it must create it)
        fill(where, leave_bytes=0)
        status = cli("status", "--db", db, "--json")
        if status.returncode == 0:
            assert f'"pieces": {len(before["pieces"])}' in status.stdout
        else:
            assert status.returncode == 6
            assert f"{db}: cannot open the store" in status.stderr and "disk full" in status.stderr
        # an export cannot write either: exit 6, and the previous pieces.jsonl is still whole
        export = cli("export", "--db", db, "--out", out, "--format", "jsonl")
        assert export.returncode == 6
        assert (out / "pieces.jsonl").read_bytes() == exported
        assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
        for leftover in where.glob("filler*"):
            leftover.unlink()
        if shutil.disk_usage(where).free < 3_500_000:  # the store and its new pieces need room now
            subprocess.run(["mount", "-o", "remount,size=64m", str(where)], check=True)

    assert integrity(db) == "ok" and store_snapshot(db) == before
    again = cli("ingest", big, "--db", db)
    assert again.returncode == 0, again.stderr
    after = store_snapshot(db)
    assert set(before["pieces"]) < set(after["pieces"])
    assert integrity(db) == "ok"


@pytest.fixture
def without_root_override(tmp_path) -> Iterator[None]:
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        if not cannot_read_as_child(probe):
            pytest.skip("this environment cannot take away root's right to write read-only folders")
    finally:
        probe.chmod(0o644)
    yield


def run_unprivileged(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        pipeline_argv(*args), capture_output=True, text=True, timeout=300, env=child_env(), preexec_fn=drop_file_read_override
    )


def test_read_only_output_folder_is_exit_6_naming_it(tmp_path, without_root_override):
    db = tmp_path / "store.sqlite"
    assert cli("ingest", SEEDS, "--db", db).returncode == 0
    before = store_snapshot(db)
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o555)
    try:
        proc = run_unprivileged("export", "--db", db, "--out", out)
    finally:
        out.chmod(0o755)
    assert proc.returncode == 6, proc.stderr
    assert f"error: {out}: the output folder is not writable" in proc.stderr and "--out" in proc.stderr
    assert list(out.iterdir()) == []
    assert store_snapshot(db) == before and integrity(db) == "ok"


def test_read_only_store_folder_is_exit_6_not_corruption(tmp_path, without_root_override):
    """A store in a folder the user may not write: a clear 'cannot open' (exit 6), never 'not a store'."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "store.sqlite"
    assert cli("ingest", SEEDS, "--db", db).returncode == 0
    before = store_snapshot(db)
    folder.chmod(0o555)
    db.chmod(0o444)
    try:
        proc = run_unprivileged("ingest", SEEDS / "000_906fee29af3cbfe9.txt", "--db", db)
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert proc.returncode == 6, proc.stderr
    assert "not a usable pipeline store" not in proc.stderr and "Traceback" not in proc.stderr
    assert str(db) in proc.stderr
    assert store_snapshot(db) == before and integrity(db) == "ok"
    assert os.access(db, os.W_OK)


def test_run_into_a_read_only_output_folder_stops_before_any_work(tmp_path, without_root_override, tiny_model_dir):
    db = tmp_path / "store.sqlite"
    assert cli("ingest", SEEDS / "000_906fee29af3cbfe9.txt", "--db", db).returncode == 0
    before = store_snapshot(db)
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o555)
    try:
        proc = run_unprivileged("run", SEEDS, "--db", db, "--out", out, "--model", tiny_model_dir)
    finally:
        out.chmod(0o755)
    assert proc.returncode == 6, proc.stderr
    assert f"error: {out}: the output folder is not writable" in proc.stderr
    assert store_snapshot(db) == before and integrity(db) == "ok"  # told at once, nothing half-done


def test_disk_full_in_the_middle_of_translation_keeps_every_finished_batch(tmp_path, tiny_model_dir):
    """The store hits the file-size limit while translations are committed batch by batch."""
    from reliability_support import write_arabic_dumps

    dumps = tmp_path / "arabic"
    write_arabic_dumps(dumps, sentences=600, pieces=20, files=2)
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    # everything but the translations, stored while there is room (no model: exit 4, pieces pending)
    assert cli("run", dumps, "--db", db, "--out", out, "--model", tmp_path / "no-model-here").returncode == 4
    pending = counts(db).segments - counts(db).segments_translated  # segments without a translation
    assert pending > 500
    before = store_snapshot(db)
    # The limit is per file: the store's WAL may grow by the store's size plus 96 KB (the
    # tiny model's converted weights, 0.35 MB, fit under it when the cache is cold).
    assert db.stat().st_size > 512 * 1024
    proc = subprocess.run(
        pipeline_argv("run", dumps, "--db", db, "--out", out, "--model", tiny_model_dir),
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(),
        preexec_fn=limited(db.stat().st_size + 96 * 1024),
    )
    assert proc.returncode == 6, proc.stderr
    assert f"error: {db}: the disk is full; nothing of this step was stored" in proc.stderr
    assert integrity(db) == "ok" and store_snapshot(db) == before
    stored = counts(db)
    kept = stored.translations_cached
    assert kept > 0 and stored.segments_translated < stored.segments

    again = cli("run", dumps, "--db", db, "--out", out, "--model", tiny_model_dir)
    assert again.returncode == 0, again.stderr
    with reading(db) as store:
        stored = store.counts()
        linked = {s.translation_key for segments in store.segments().values() for s in segments if s.translation_key}
        distinct = len({t["source_text"] for t in store.rows("translations") if t["key"] in linked})
    assert stored.segments_pending == 0
    assert stored.translations_cached == distinct
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["new_translations"] == distinct - kept  # what was kept is not translated again
    assert integrity(db) == "ok"


def test_a_full_store_rolls_back_and_names_the_real_cause(tmp_path):
    """In-process, with SQLite's own size cap (a maximum page count, sqlite_surgery.cap_size): SQLite rolls the
    transaction back itself on SQLITE_FULL, and the error must still say 'full', not
    'cannot rollback - no transaction is active'."""
    from store_factory import source_file

    from pipeline.config import Config
    from pipeline.errors import StorageError
    from pipeline.ingest import ingest_paths
    from pipeline.records import IngestedPiece
    from pipeline.store import open_store

    db = tmp_path / "store.sqlite"
    with open_store(db) as store:
        ingest_paths(store, Config({}), [SEEDS])
        before = store_snapshot(db)
        cap_size(store, extra_pages=2)
        full = "the disk is full; nothing of this step was stored: database or disk is full"
        with pytest.raises(StorageError, match=full), store.writing_source(source_file("big.txt"), None) as writer:
            for n in range(2000):
                writer.add_piece(IngestedPiece(id=f"x{n}", position=n, paragraphs=["نص " * 200]))
        # no transaction was left open: another connection can write at once (a busy timeout of 1 s, not 30)
        with open_store(db, busy_timeout_s=1) as other:
            other.save_detections([])
        store.save_detections([])  # and this connection is still usable
    assert store_snapshot(db) == before and integrity(db) == "ok"
