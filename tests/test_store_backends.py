"""The store's units of work behave the same on SQLite and PostgreSQL.

Each test runs once per backend (the `store_location` fixture: an SQLite
file, then a new database on the session's own PostgreSQL server), through
the store's methods only. What must hold on both: a unit of work is stored
whole or not at all; a batch of translations stored twice is stored once and
counted once; a segment's link is only ever filled, never moved; a snapshot
does not see later commits; one writing run at a time, and a killed run
leaves no lock behind; text sorts by bytes; a store copied to the other
backend reads back the same.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from services import PostgresCluster
from store_factory import ingest_pieces, ingested, seeds_like_store, source_file

from pipeline.errors import StorageError, StoreBusy, UsageError
from pipeline.records import IngestedPiece, SegmentRef, Translation
from pipeline.store import open_store
from pipeline.store.copy import copy_store
from pipeline.store.schema import SCHEMA_VERSION, TABLES, tables_at


def _translation(key: str, source: str, target: str) -> Translation:
    return Translation(
        key=key, source_text=source, target_text=target, model="m", revision="r", backend="b", settings={"beams": 4}
    )


def _ref(piece: str, sentence: int) -> SegmentRef:
    return SegmentRef(piece_id=piece, paragraph_index=0, sentence_index=sentence)


def _store_with_segments(location: str):
    """Two pieces of two sentences each, segmented, nothing translated; the same sentence in both."""
    from pipeline.records import Detection, RoutedParagraph, Segment

    store = open_store(location)
    ingest_pieces(
        store, "d.txt", [ingested("p1", ["جملة أولى. جملة ثانية."]), ingested("p2", ["جملة أولى. جملة ثالثة."], position=1)]
    )
    store.save_detections(
        [
            Detection(
                piece_id=p,
                lang="ar",
                score=0.9,
                title_lang=None,
                status="pending",
                reason=None,
                paragraphs=[RoutedParagraph(index=0, lang="ar", score=0.9, route="translate")],
            )
            for p in ("p1", "p2")
        ]
    )
    store.save_segments(
        [
            Segment(piece_id="p1", paragraph_index=0, sentence_index=0, text="جملة أولى."),
            Segment(piece_id="p1", paragraph_index=0, sentence_index=1, text="جملة ثانية."),
            Segment(piece_id="p2", paragraph_index=0, sentence_index=0, text="جملة أولى."),
            Segment(piece_id="p2", paragraph_index=0, sentence_index=1, text="جملة ثالثة."),
        ]
    )
    return store


def test_a_new_store_has_the_schema_and_reopening_does_not_migrate_again(store_location):
    assert tables_at(SCHEMA_VERSION) == set(TABLES)  # what an older store is checked against comes from the migrations
    with open_store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert set(TABLES) <= {t for t in TABLES if store.rows(t) == []}
        run = store.start_run("first")
    with open_store(store_location, create=False) as again:
        assert again.schema_version == SCHEMA_VERSION
        assert [r.id for r in again.runs()] == [run]


def test_a_file_written_half_way_is_rolled_back(store_location):
    with open_store(store_location) as store:
        with pytest.raises(RuntimeError), store.writing_source(source_file("d.txt"), None) as writer:
            writer.add_piece(IngestedPiece(id="p1", position=0, paragraphs=["x"]))
            raise RuntimeError("crash mid-way")
        assert store.rows("pieces") == [] and store.rows("sources") == [] and store.rows("paragraphs") == []


def test_a_batch_stored_twice_is_stored_and_counted_once(store_location):
    with _store_with_segments(store_location) as store:
        batch = [_translation("k1", "جملة أولى.", "First."), _translation("k2", "جملة ثانية.", "Second.")]
        links = {"k1": [_ref("p1", 0), _ref("p2", 0)], "k2": [_ref("p1", 1)]}
        assert store.save_translations(batch, links) == {"k1", "k2"}
        # the same batch again (a retried task, an orphan worker): nothing inserted, nothing counted
        assert store.save_translations(batch, links) == set()
        assert store.existing_translations(["k1", "k2", "k3"]) == {"k1", "k2"}
        assert [t["key"] for t in store.rows("translations")] == ["k1", "k2"]
        linked = {(s["piece_id"], s["sentence_idx"]): s["translation_key"] for s in store.rows("segments")}
        assert linked == {("p1", 0): "k1", ("p1", 1): "k2", ("p2", 0): "k1", ("p2", 1): None}
        # a link once made is never moved by a later batch
        store.save_translations([_translation("k9", "جملة أولى.", "Other.")], {"k9": [_ref("p1", 0)]})
        assert store.segments(["p1"])["p1"][0].translation_key == "k1"
        assert store.segment_counts().pending == 1
        assert store.refresh_translation_status(None) == (1, 1)


def test_a_snapshot_does_not_see_what_is_committed_after_it_began(store_location):
    with open_store(store_location) as writer, open_store(store_location, create=False) as reader:
        writer.start_run("before")
        with reader.snapshot():
            assert len(reader.runs()) == 1
            writer.start_run("during")
            assert len(reader.runs()) == 1  # the snapshot's moment
        assert len(reader.runs()) == 2


def test_one_writing_run_at_a_time_and_the_lock_goes_with_its_holder(store_location):
    with open_store(store_location) as first, open_store(store_location, create=False) as second:
        first.acquire_run_lock()
        with pytest.raises(StoreBusy, match=r"another pipeline run .*--wait"):
            second.acquire_run_lock()
    # a holder killed with SIGKILL leaves no lock behind
    code = (
        "import sys, time; from pipeline.store import open_store\n"
        f"s = open_store({store_location!r}); s.acquire_run_lock(); print('locked', flush=True); time.sleep(120)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with open_store(store_location, create=False) as third, pytest.raises(StoreBusy, match=f"pid {holder.pid}"):
            third.acquire_run_lock()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 10
    with open_store(store_location, create=False) as after:
        while True:  # the server notices the closed connection at once; allow it a moment
            try:
                after.acquire_run_lock()
                break
            except StoreBusy:
                assert time.monotonic() < deadline
                time.sleep(0.1)


def test_text_sorts_by_bytes_on_both_backends(store_location):
    ids = ["é-accent", "Zulu", "alpha", "Beta", "ب-arabic", "_under", "10", "9"]
    with open_store(store_location) as store:
        ingest_pieces(store, "d.txt", [ingested(pid, [f"text of {pid}"], position=n) for n, pid in enumerate(ids)])
        assert [p["id"] for p in store.rows("pieces")] == sorted(ids, key=lambda s: s.encode())


def test_pages_of_rows_follow_the_key(store_location):
    with _store_with_segments(store_location) as store:
        pages = list(store.row_pages("segments", size=3))
        assert [len(p) for p in pages] == [3, 1]
        assert [r for page in pages for r in page] == store.rows("segments")


def test_the_seeds_like_store_reads_back_the_same_on_both_backends(store_location, tmp_path):
    reference = seeds_like_store(tmp_path / "reference.sqlite", hostile=True)
    store = seeds_like_store(store_location, hostile=True)
    try:
        assert store.load_pieces() == reference.load_pieces()
        assert store.load_matches() == reference.load_matches()
        assert store.alignments() == reference.alignments()
        assert store.counts().model_dump() == reference.counts().model_dump()
        strip = {"created_at", "ingested_at"}
        for table in TABLES:
            assert [{k: v for k, v in r.items() if k not in strip} for r in store.rows(table)] == [
                {k: v for k, v in r.items() if k not in strip} for r in reference.rows(table)
            ], table
    finally:
        store.close()
        reference.close()


def test_copy_moves_every_row_to_the_other_backend_and_back(pg_url, tmp_path):
    source = seeds_like_store(tmp_path / "source.sqlite", hostile=True)
    source.start_run("a run")
    back_path = tmp_path / "back.sqlite"
    with open_store(pg_url) as postgres:
        copied = copy_store(source, postgres)
        assert copied["translations"] == len(source.rows("translations")) > 0
        assert postgres.load_pieces() == source.load_pieces()
        with open_store(back_path) as back:
            copy_store(postgres, back)
            for table in TABLES:
                assert back.rows(table) == source.rows(table), table
        # numbering goes on after the copied ids
        assert postgres.start_run("next") == max(r.id for r in source.runs()) + 1
        # a store that holds rows is never a copy's target
        with pytest.raises(StorageError, match="not empty"):
            copy_store(source, postgres)
    source.close()


def test_postgres_refuses_another_programs_database_and_an_empty_one_when_reading(postgres_cluster: PostgresCluster):
    url = postgres_cluster.create_database()
    with pytest.raises(UsageError, match="no store here yet"):  # exit 2, as for a missing SQLite file
        open_store(url, create=False)
    # pgbench's tables stand for another program's: the pipeline adds nothing to them
    bench = subprocess.run([str(postgres_cluster.bin / "pgbench"), "-i", "-I", "dt", url], capture_output=True, text=True)
    assert bench.returncode == 0, bench.stderr
    with pytest.raises(StorageError, match="another program"):
        open_store(url)


def test_postgres_messages_never_show_the_password(postgres_cluster: PostgresCluster):
    url = f"postgresql://postgres:s3cret-pw@/no_such_db?host={postgres_cluster.socket_dir}"
    with pytest.raises(StorageError) as raised:
        open_store(url)
    assert "s3cret-pw" not in str(raised.value)
    assert "postgresql://postgres:***@/no_such_db" in str(raised.value) and "createdb" in str(raised.value)


def test_store_copy_on_the_command_line_and_status_of_the_copy(pg_url, tmp_path):
    from reliability_support import cli

    seeds_like_store(tmp_path / "source.sqlite").close()
    copied = cli("store", "copy", "--from", tmp_path / "source.sqlite", "--to", pg_url)
    assert copied.returncode == 0, copied.stderr
    assert "translations 8" in copied.stdout
    status = [json.loads(cli("status", "--db", db, "--json").stdout) for db in (tmp_path / "source.sqlite", pg_url)]
    assert status[1] == status[0]
    again = cli("store", "copy", "--from", tmp_path / "source.sqlite", "--to", pg_url)
    assert again.returncode == 6 and "not empty" in again.stderr


def test_a_copy_whose_renumbering_fails_leaves_the_target_empty_and_can_be_run_again(pg_url, tmp_path):
    """The ids' numbering is set in the copy's transaction: a copy never commits rows the next run would collide with."""
    from postgres_surgery import sequence_locked
    from reliability_support import SEEDS, cli

    source = tmp_path / "source.sqlite"
    assert cli("ingest", SEEDS / "003_d3a64df3fb8f3d34.txt", "--db", source, "--no-detect", "-q").returncode == 0
    open_store(pg_url).close()  # the empty target store, so its id sequences exist
    with sequence_locked(pg_url, "sources"):  # another session holds the numbering while the copy runs
        locked = cli("store", "copy", "--from", source, "--to", pg_url, "--set", "store.busy_timeout_s=1")
    assert locked.returncode == 6 and "locked" in locked.stderr, locked.stderr
    with open_store(pg_url, create=False) as target:
        assert all(next(target.row_pages(table, size=1), None) is None for table in TABLES)  # nothing committed
    again = cli("store", "copy", "--from", source, "--to", pg_url)
    assert again.returncode == 0, again.stderr
    ingest = cli("ingest", SEEDS / "004_c6526bbb5c2cd36d.txt", "--db", pg_url, "--no-detect", "-q")
    assert ingest.returncode == 0, ingest.stderr  # new run and source ids follow the copied ones
    with open_store(pg_url, create=False) as target:
        assert [s.id for s in target.sources()] == [1, 2] and [r.id for r in target.runs()] == [1, 2]
