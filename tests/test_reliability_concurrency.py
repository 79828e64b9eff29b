"""Two commands on one store at the same time: one writer at a time, readers always welcome.

A writing command (run, ingest, detect, align) holds the store's run lock (a
`flock` the OS drops when the process dies). A second writer stops at once
with exit 5 and a message naming the holder and `--wait` — or, with `run
--wait`, queues behind it. Readers (`status`, `export`) take no lock: SQLite's
WAL lets them read a consistent snapshot while the writer commits, file by
file. Whatever the interleaving, the store ends up whole (integrity_check ok,
every file's pieces all there or not at all).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from reliability_support import (
    ARABIC_ARTICLE,
    ENGLISH_ARTICLE,
    SEEDS,
    child_env,
    cli,
    pieces_per_source,
    pipeline_argv,
    reading,
    run_statuses,
    table,
    wait_for,
    write_seed_dumps,
)
from sqlite_surgery import integrity

SEED_WITH_ARABIC = SEEDS / "003_d3a64df3fb8f3d34.txt"


def start(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(pipeline_argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())


def lock_held_by(db: Path, pid: int) -> bool:
    lock = db.with_name(db.name + ".lock")
    return lock.exists() and lock.read_text().strip() == f"pid {pid}"


def per_source_links(db: Path) -> dict[str, int]:
    """Pieces linked to each source, read in one snapshot."""
    return pieces_per_source(db)


def test_second_writer_stops_with_exit_5_while_readers_read_whole_files(tmp_path):
    dumps = write_seed_dumps(tmp_path / "dumps", files=32, kb_each=500)
    db = tmp_path / "store.sqlite"
    other = tmp_path / "other.txt"
    other.write_text(ENGLISH_ARTICLE, encoding="utf-8")

    writer = start("ingest", tmp_path / "dumps", "--db", db, "--quiet")
    try:
        assert wait_for(lambda: lock_held_by(db, writer.pid) or writer.poll() is not None, 60)
        assert writer.poll() is None, "the writer finished before the test could race it: make the dumps bigger"

        # a second writer — of any kind — stops at once, naming the holder and --wait
        began = time.monotonic()
        second = cli("ingest", other, "--db", db)
        detect = cli("detect", "--db", db)
        assert time.monotonic() - began < 20, "a busy store must be reported at once, not after the busy timeout"
        for proc in (second, detect):
            assert proc.returncode == 5, proc.stderr
            assert f"another pipeline run (pid {writer.pid}) is writing to this store" in proc.stderr
            assert "--wait" in proc.stderr and "Traceback" not in proc.stderr

        # readers work during the run and never see half a file
        snapshots: list[dict[str, int]] = []
        exports = 0
        status_counts: list[int] = []
        while writer.poll() is None:
            snapshots.append(per_source_links(db))
            status = cli("status", "--db", db, "--json")
            assert status.returncode == 0, status.stderr
            status_counts.append(json.loads(status.stdout)["pieces"])
            out = tmp_path / f"export{exports}"
            export = cli("export", "--db", db, "--out", out, "--format", "jsonl", "--quiet")
            assert export.returncode == 0, export.stderr
            exported = (out / "pieces.jsonl").read_text(encoding="utf-8").splitlines()
            pieces = [json.loads(line) for line in exported]  # every line whole
            summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
            assert len(pieces) == sum(summary["pieces_by_language"].values()), "pieces.jsonl and summary.json from one snapshot"
            exports += 1
        assert writer.wait(timeout=300) == 0, writer.stderr.read() if writer.stderr else ""
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()

    final = per_source_links(db)
    assert len(final) == len(dumps) and all(n > 0 for n in final.values())
    assert status_counts == sorted(status_counts), "a reader never sees the store go back"
    mid_run = [s for s in snapshots if 0 < len(s) < len(dumps)]
    assert mid_run, "no reader ran while the writer was half-way: make the dumps bigger"
    for snapshot in snapshots:  # each file: all of its pieces or none
        assert all(final[path] == n for path, n in snapshot.items()), snapshot
    assert integrity(db) == "ok"
    assert [s["path"] for s in table(db, "sources") if s["path"].endswith("other.txt")] == []
    assert cli("ingest", other, "--db", db).returncode == 0  # the lock went with the writer


_RACER = """
import sys, time
from pathlib import Path
from pipeline.store import open_store
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
with open_store(sys.argv[1]) as store:
    store.acquire_run_lock(wait=True)
    run = store.start_run("racer")
    store.finish_run(run, "completed", {})
"""


def test_processes_creating_the_same_new_store_at_once(tmp_path):
    """Four processes open a store that does not exist yet at the same instant (imports done,
    released together): none may fail on the WAL switch or on the schema being created twice."""
    for attempt in range(4):
        db, go = tmp_path / f"new{attempt}.sqlite", tmp_path / f"go{attempt}"
        procs = [
            subprocess.Popen([sys.executable, "-c", _RACER, str(db), str(go)], stderr=subprocess.PIPE, text=True, env=child_env())
            for _ in range(4)
        ]
        time.sleep(1.5)  # let them import and spin on the start signal
        go.touch()
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, errors
        assert integrity(db) == "ok"
        assert run_statuses(db) == ["completed"] * 4


def test_run_wait_queues_behind_a_running_run_and_without_it_stops(tmp_path, tiny_model_dir):
    arabic, english = tmp_path / "arabic.txt", tmp_path / "english.txt"
    arabic.write_text(ARABIC_ARTICLE, encoding="utf-8")
    english.write_text(ENGLISH_ARTICLE, encoding="utf-8")
    db = tmp_path / "store.sqlite"
    first = start("run", SEED_WITH_ARABIC, "--db", db, "--out", tmp_path / "out1", "--model", tiny_model_dir)
    try:
        assert wait_for(lambda: lock_held_by(db, first.pid) or first.poll() is not None, 120)
        assert first.poll() is None, "the first run ended before the test could race it"
        queued = start("run", arabic, english, "--db", db, "--out", tmp_path / "out2", "--model", tiny_model_dir, "--wait")
        refused = cli("run", english, "--db", db, "--out", tmp_path / "out3", "--model", tiny_model_dir)
        assert refused.returncode == 5 and f"another pipeline run (pid {first.pid})" in refused.stderr
        status = cli("status", "--db", db, "--json")  # a reader, during the run
        assert status.returncode == 0 and json.loads(status.stdout)["runs"] == 1
        while first.poll() is None:  # the queued run starts only once the first one has finished
            statuses = run_statuses(db)
            assert "running" not in statuses[:-1], statuses  # no run recorded after one still running
            time.sleep(0.2)
        assert first.wait() == 0, first.stderr.read()  # type: ignore[union-attr]
        assert queued.wait(timeout=300) == 0, queued.stderr.read()  # type: ignore[union-attr]
        assert "waiting for it to finish (--wait)" in queued.stderr.read()  # type: ignore[union-attr]
    finally:
        for proc in (first, locals().get("queued")):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    with reading(db) as store:
        runs = store.runs()
        arabic = store.load_pieces(lang="ar")
    assert [r.status for r in runs] == ["completed", "completed"]
    assert runs[1].started_at >= runs[0].finished_at  # the second started when the first had finished
    assert [p.status for p in arabic] == ["translated"] * 7
    assert integrity(db) == "ok"
