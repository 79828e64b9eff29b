"""Ingest into a real store: identity, duplicates, re-runs, one transaction per file, the CLI verb."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Config
from pipeline.ingest import cut_dump, ingest_paths
from pipeline.records import content_id
from pipeline.store import Store, open_store

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def seed(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def count(store: Store, table: str) -> int:
    return len(store.rows(table))


def test_the_same_article_in_two_dumps_is_stored_once_and_linked_to_both(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        report = ingest_paths(store, Config({}), [seed("000"), seed("001")])
        assert (report.pieces_new, report.pieces_duplicate) == (10, 1)
        shared = content_id(cut_dump(seed("001").read_text()).pieces[0].text)
        paths = {s.id: s.path for s in store.sources()}
        sources = [
            Path(paths[r["source_id"]]).name
            for r in sorted(store.rows("piece_sources"), key=lambda r: r["source_id"])
            if r["piece_id"] == shared
        ]
        assert sources == [seed("000").name, seed("001").name]
        assert count(store, "pieces") == 10


def test_reingesting_adds_nothing_and_says_so(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        first = ingest_paths(store, Config({}), [SEEDS])
        before = {t: count(store, t) for t in ("pieces", "paragraphs", "piece_sources", "sources")}
        again = ingest_paths(store, Config({}), [SEEDS])
        assert first.pieces_new == before["pieces"] and first.files_ingested == 5
        assert (again.files_skipped_unchanged, again.files_ingested, again.pieces_new) == (5, 0, 0)
        assert {t: count(store, t) for t in before} == before


APPENDED = (
    "\n\nA new article appended to the dump later on\n\n2020-10-23 09:00\n\n"
    "Shafaq News / Something else happened on Friday in Baghdad, officials said, and it was reported widely.\n"
)


def test_a_copy_or_a_grown_dump_adds_only_what_is_new(tmp_path):
    grown = tmp_path / "grown.txt"
    shutil.copy(seed("000"), grown)
    with open_store(tmp_path / "s.sqlite") as store:
        ingest_paths(store, Config({}), [seed("000")])
        copy = ingest_paths(store, Config({}), [grown])  # same text, another path: all known
        assert (copy.pieces_new, copy.pieces_duplicate) == (0, 10)
        with open(grown, "a", encoding="utf-8") as handle:
            handle.write(APPENDED)
        # what is new is exactly what the segmenter cuts differently from the grown text, whatever its cut
        known = {content_id(p.text) for p in cut_dump(seed("000").read_text(encoding="utf-8")).pieces}
        cut = {content_id(p.text) for p in cut_dump(grown.read_text(encoding="utf-8")).pieces}
        grew = ingest_paths(store, Config({}), [grown])
        assert (grew.pieces_new, grew.pieces_duplicate) == (len(cut - known), len(cut & known))
        assert count(store, "pieces") == len(known | cut)


def test_an_article_appended_to_a_dump_is_its_own_piece():
    text = seed("000").read_text(encoding="utf-8") + APPENDED
    assert cut_dump(text).pieces[-1].title == "A new article appended to the dump later on"


def test_pieces_and_paragraphs_as_the_next_stages_expect_them(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        ingest_paths(store, Config({}), [seed("003")])
        rows = store.rows("pieces")
        all_paragraphs = store.rows("paragraphs")
        assert len(rows) >= 22
        for row in rows:
            paragraphs = [r["text"] for r in all_paragraphs if r["piece_id"] == row["id"]]
            idx = [r["idx"] for r in all_paragraphs if r["piece_id"] == row["id"]]
            assert idx == list(range(len(paragraphs)))
            assert row["text"] == "\n\n".join(paragraphs) and row["id"] == content_id(row["text"])
            assert row["title"] is None or row["title"] not in paragraphs
            assert (row["status"], row["lang"]) == ("ingested", None)
        assert [r for r in all_paragraphs if r["lang"] is not None or r["route"] is not None] == []
        positions = sorted(r["position"] for r in store.rows("piece_sources"))
        assert positions == list(range(len(rows)))
        pieces = store.load_pieces()  # the store's own view: source order, titles, dates
        assert pieces[0].title.startswith("Iraqi resistance group’s leader") and pieces[0].date == "2023-05-07T00:24"
        (source,) = store.sources()
        assert (source.status, source.encoding, source.kind, source.pieces, source.removed_lines) == (
            "ingested",
            "utf-8",
            "text",
            len(rows),
            51,  # captions, credits, section labels and repeated headlines are labelled chrome now: removed, with the reason
        )
        assert source.sha256 == hashlib.sha256(seed("003").read_bytes()).hexdigest()
        assert source.path == str(seed("003").resolve())


def test_a_failed_file_is_recorded_and_nothing_stored_is_lost(tmp_path):
    bad = tmp_path / "bad.txt.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03broken")
    with open_store(tmp_path / "s.sqlite") as store:
        ingest_paths(store, Config({}), [seed("000")])
        before = count(store, "pieces")
        report = ingest_paths(store, Config({}), [bad, seed("004")])
        assert report.files_failed == 1 and report.files_ingested == 1
        assert count(store, "pieces") == before + 1
        ((status, error),) = [(s.status, s.error) for s in store.sources() if s.path.endswith("bad.txt.gz")]
        assert status == "failed" and "bad.txt.gz" in error and ".gz" in error
        # fixed later (same path, new bytes): ingested, and the failure stays as history
        bad.write_bytes(__import__("gzip").compress(seed("001").read_bytes()))
        fixed = ingest_paths(store, Config({}), [bad])
        assert fixed.errors == [] and fixed.pieces_duplicate == 1


def test_cli_ingest_exit_codes_and_summary(tmp_path):
    runner = CliRunner()
    db = tmp_path / "cli.sqlite"
    result = runner.invoke(app, ["ingest", str(seed("000")), str(seed("001")), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "new 10" in result.output and "already known 1" in result.output
    result = runner.invoke(app, ["ingest", str(seed("002")), str(tmp_path / "nope.txt"), "--db", str(db), "--quiet"])
    assert result.exit_code == 3
    assert "nope.txt: no such file or directory" in " ".join(result.output.split())  # rich may wrap at 80 columns
    with open_store(db) as store:
        assert count(store, "pieces") == 10 + len(cut_dump(seed("002").read_text(encoding="utf-8")).pieces)
        assert store.runs()[-1].status == "completed_with_errors"
