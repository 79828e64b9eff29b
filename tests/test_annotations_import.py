"""`pipeline annotations import`: reviewers' judgements into the store, on SQLite and PostgreSQL alike.

A seeds-like store (two matches, one translation without coverage) is
exported; reviewers' work comes back in Label Studio's JSON export format and
in doccano's JSONL, and is imported through the run ledger as the CLI does.
What must hold: every judgement is stored with who, when, which item and
what was said; the same export twice stores nothing twice; a later
judgement supersedes an earlier one and both are kept; tasks from another
store, another project or with edited ids are refused one by one while the
good records of the same file are imported (exit code 3); a match judged a
different event leaves the exports and shows as rejected; a pair judged the
same event that the aligner did not match becomes a reviewed match that a
realignment keeps; two reviewers' agreement is measured.
"""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from annotation_support import label_studio_export, result, write_json
from store_factory import AR_NO_COVERAGE, AR_SUMMIT, EN_OTHER, EN_SUMMIT, seeds_like_store

from pipeline.annotations.identity import task_fields
from pipeline.cli import build_config
from pipeline.config import Config
from pipeline.errors import EXIT_INPUT_ERRORS, EXIT_OK
from pipeline.export import export_store
from pipeline.ledger import execute
from pipeline.stages import stages
from pipeline.store import open_store
from pipeline.store.copy import copy_store
from pipeline.store.schema import SCHEMA_VERSION

T1, T2 = "2026-01-05T10:00:00.000000Z", "2026-01-06T09:30:00.000000Z"


def _exported(location: str, tmp: Path, **settings: object) -> Path:
    """The store's annotation files (and csv, jsonl) after its first writing run gave it an identity."""
    out = tmp / "out"
    with seeds_like_store(location, hostile=True) as store:
        store.start_run("ingest (test)")
        cfg = build_config(None, [f"export.{k}={v}" for k, v in settings.items()], db=location)
        export_store(store, cfg, out, ["labelstudio", "doccano", "jsonl", "csv"])
    return out


def _tasks(out: Path) -> list[dict]:
    return json.loads((out / "labelstudio.json").read_text(encoding="utf-8"))


def _import(location: str, *files: Path, sets: list[str] | None = None):
    cfg = build_config(None, sets, db=location)
    return execute(stages("annotations"), cfg, command="annotations import", inputs=list(files), create_store=False)


def _summit(tasks: list[dict]) -> int:
    return next(i for i, t in enumerate(tasks) if t["data"]["source_id"] == AR_SUMMIT.id)


def _hostile(tasks: list[dict]) -> int:
    return next(i for i, t in enumerate(tasks) if t["data"]["kind"] == "match" and t["data"]["source_id"] != AR_SUMMIT.id)


def test_judgements_are_stored_once_and_a_later_one_supersedes_with_history(store_location, tmp_path):
    out = _exported(store_location, tmp_path)
    tasks = _tasks(out)
    summit = _summit(tasks)
    first = label_studio_export(
        tasks,
        {summit: [(1, result("Same event", 4, 3, "Syria did not wait for its invitation.", [(0, 5, "Mistranslation")]), T1)]},
    )
    path = write_json(tmp_path / "project-1.json", first)
    report = _import(store_location, path)
    assert report.exit_code == EXIT_OK
    assert report.reports["annotations"].files[0].imported == 1
    with open_store(store_location, create=False) as store:
        [j] = store.judgements()
        assert (j.tool, j.annotator, j.annotated_at, j.kind) == ("labelstudio", "1", T1, "match")
        assert (j.source_id, j.target_id, j.system) == (AR_SUMMIT.id, EN_SUMMIT.id, tasks[summit]["data"]["system"])
        assert (j.verdict, j.choice, j.adequacy, j.fluency) == ("same_event", "Same event", 4, 3)
        assert j.correction == "Syria did not wait for its invitation."
        assert [(e.start, e.end, e.label) for e in j.errors] == [(0, 5, "Mistranslation")]
        assert j.errors[0].text == tasks[summit]["data"]["translation"][:5]
    # the same export again, under another name: nothing new
    again = _import(store_location, write_json(tmp_path / "copy-of-project-1.json", first))
    assert again.reports["annotations"].files[0].imported == 0 and again.reports["annotations"].files[0].already == 1
    # the reviewer changes their mind in the tool: a new version, the old one kept
    later = label_studio_export(tasks, {summit: [(1, result("Unrelated", 2, 3), T2)]})
    assert _import(store_location, write_json(tmp_path / "project-1-later.json", later)).exit_code == EXIT_OK
    with open_store(store_location, create=False) as store:
        assert [j.verdict for j in store.judgements(current=False)] == ["same_event", "different"]
        [current] = store.judgements()
        assert (current.verdict, current.annotated_at, current.correction) == ("different", T2, None)
        assert store.counts().annotations == 2


def test_a_mixed_file_imports_the_good_records_and_names_the_bad(store_location, tmp_path):
    out = _exported(store_location, tmp_path)
    tasks = _tasks(out)
    other = _tasks(_exported(str(tmp_path / "other.sqlite"), tmp_path / "other"))  # another store, same pieces
    summit = _summit(tasks)
    edited = json.loads(json.dumps(tasks[summit]))
    edited["data"]["target_id"] = EN_OTHER.id  # an id changed by hand
    foreign = {"data": {"text": "a task of another project", "source_id": AR_SUMMIT.id}}
    bad_rating = tasks[_hostile(tasks)]
    mixed = label_studio_export(
        [tasks[summit], other[_summit(other)], edited, foreign, bad_rating],
        {
            0: [(1, result("Same event", 5), T1)],
            1: [(1, result("Same event", 5), T1)],
            2: [(1, result("Same event", 5), T1)],
            3: [(1, result("Same event", 5), T1)],
            4: [(1, result("Unrelated", 9), T1)],
        },
    )
    path = write_json(tmp_path / "mixed.json", mixed)
    run = _import(store_location, path)
    assert run.exit_code == EXIT_INPUT_ERRORS
    file = run.reports["annotations"].files[0]
    assert file.imported == 1 and len(file.refused) == 4
    refused = "\n".join(run.messages)
    assert f"{path}: task 2, annotation 2: exported from another store" in refused
    assert f"{path}: task 3, annotation 3: the task's ids were edited" in refused
    assert f"{path}: task 4, annotation 4: not a task this pipeline exported" in refused
    assert f"{path}: task 5, annotation 5: adequacy rating must be 1 to 5, found 9" in refused
    with open_store(store_location, create=False) as store:
        [j] = store.judgements()
        assert (j.source_id, j.target_id, j.verdict) == (AR_SUMMIT.id, EN_SUMMIT.id, "same_event")


def test_a_rejected_match_leaves_the_exports_unless_asked_and_the_report_says_so(store_location, tmp_path):
    out = _exported(store_location, tmp_path)
    tasks = _tasks(out)
    hostile = tasks[_hostile(tasks)]["data"]
    export = label_studio_export(
        tasks, {_hostile(tasks): [(1, result("Unrelated", 2, 2), T1)], _summit(tasks): [(1, result("Same event"), T1)]}
    )
    assert _import(store_location, write_json(tmp_path / "p.json", export)).exit_code == EXIT_OK
    again = tmp_path / "again"
    with open_store(store_location, create=False) as store:
        export_store(store, build_config(None, None, db=store_location), again, ["labelstudio", "jsonl", "csv", "html"])
        kept = tmp_path / "kept"
        export_store(store, build_config(None, ["export.include_rejected=true"], db=store_location), kept, ["jsonl", "csv"])
    matches = [json.loads(line) for line in (again / "matches.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(m["source_id"], m["review"]) for m in matches] == [(AR_SUMMIT.id, "confirmed")]
    assert hostile["source_id"] not in {t["data"]["source_id"] for t in _tasks(again) if t["data"]["kind"] == "match"}
    with (again / "pairs.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["review"] for r in rows if r["target_id"]} == {"confirmed"}
    assert hostile["target_id"] not in {r["target_id"] for r in rows}
    with (kept / "pairs.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert "rejected" in {r["review"] for r in csv.DictReader(handle)}
    pages = "".join(p.read_text(encoding="utf-8") for p in (again / "report").glob("matches-*.html"))
    assert "rejected by reviewers: different (labelstudio:1); left out of the exports" in pages
    index = (again / "report.html").read_text(encoding="utf-8")
    assert "matches rejected by reviewers (left out of the exports)" in index


def test_a_pair_judged_the_same_event_becomes_a_reviewed_match_that_realignment_keeps(tmp_path):
    db = str(tmp_path / "s.sqlite")
    out = _exported(db, tmp_path)
    with open_store(db, create=False) as store:
        identity = store.identity()
        system = next(p.model for p in store.load_pieces([AR_NO_COVERAGE.id]))
    # a reviewer's task about a pair the aligner left apart (the near-miss tasks have this shape)
    task = {"data": {"kind": "no_coverage", "source_id": AR_NO_COVERAGE.id, "target_id": EN_OTHER.id, "system": system}}
    task["data"].update(task_fields(identity, "no_coverage", AR_NO_COVERAGE.id, EN_OTHER.id, system))
    run = _import(db, write_json(tmp_path / "p.json", label_studio_export([task], {0: [(7, result("Same event", 3), T1)]})))
    assert run.exit_code == EXIT_OK and run.reports["annotations"].reviewed_matches_added == 1
    with open_store(db, create=False) as store:
        [added] = [m for m in store.load_matches() if m.source_id == AR_NO_COVERAGE.id]
        assert added.target_id == EN_OTHER.id and added.evidence["reviewed"] is True
        assert added.evidence["reviewers"] == {"labelstudio:7": "same_event"}
        assert store.alignments()[AR_NO_COVERAGE.id].status == "matched"
    realigned = execute(stages("align"), build_config(None, None, db=db), command="align", create_store=False)
    assert realigned.reports["align"].reviewed_matches == 1
    with open_store(db, create=False) as store:
        assert (AR_NO_COVERAGE.id, EN_OTHER.id) in {(m.source_id, m.target_id) for m in store.load_matches()}
        export_store(store, Config.load(), out, ["jsonl"])
    review = {
        json.loads(line)["source_id"]: json.loads(line)["review"] for line in (out / "matches.jsonl").read_text().splitlines()
    }
    assert review[AR_NO_COVERAGE.id] == "reviewed"


def test_doccano_reviewers_files_in_its_zip_and_their_agreement(store_location, tmp_path):
    out = _exported(store_location, tmp_path)
    lines = [json.loads(line) for line in (out / "doccano.jsonl").read_text(encoding="utf-8").splitlines()]
    summit = next(line for line in lines if line["piece_id"] == AR_SUMMIT.id)
    others = [line for line in lines if line["piece_id"] != AR_SUMMIT.id]
    assert summit["target_id"] == EN_SUMMIT.id and summit["store_id"] and summit["task_key"]

    def labelled(line: dict, *labels: object) -> str:
        return json.dumps({**line, "label": list(labels)}, ensure_ascii=False)

    alice = [labelled(summit, [0, 5, "Mistranslation"], "Same event", "adequacy 4", "fluency: 3")]
    alice += [labelled(line, "Same event", "adequacy 3") for line in others]
    bob = [labelled(summit, "Same event", "adequacy 4", "Syria did not wait to be invited.")]
    bob += [labelled(line, "Unrelated", "adequacy 2") for line in others]
    archive = tmp_path / "doccano-export.zip"  # doccano's export of a non-collaborative project: one file per user
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("alice.jsonl", "\n".join(alice) + "\n")
        z.writestr("bob.jsonl", "\n".join(bob) + "\n")
    run = _import(store_location, archive)
    assert run.exit_code == EXIT_OK, run.messages
    report = run.reports["annotations"]
    assert report.files[0].imported == 2 * len(lines)
    with open_store(store_location, create=False) as store:
        mine = {(j.annotator, j.source_id): j for j in store.judgements()}
    assert mine[("alice", AR_SUMMIT.id)].errors[0].text == summit["text"][:5]
    assert (mine[("alice", AR_SUMMIT.id)].adequacy, mine[("alice", AR_SUMMIT.id)].fluency) == (4, 3)
    assert mine[("bob", AR_SUMMIT.id)].correction == "Syria did not wait to be invited."
    assert mine[("bob", AR_SUMMIT.id)].target_id == EN_SUMMIT.id and mine[("bob", AR_SUMMIT.id)].tool == "doccano"
    verdict = report.agreement["verdict"]
    # both agree on the summit; on the hostile pair alice says same event, bob unrelated
    assert verdict["pairs"] == 2 and verdict["agreement"] == 0.5
    assert report.pairs == {"confirmed": 1, "disputed": 1}
    assert report.agreement["adequacy"]["pairs"] == len(lines) and report.agreement["adequacy"]["kappa"] is not None
    assert _import(store_location, archive).reports["annotations"].files[0].imported == 0


def test_a_copied_store_keeps_its_identity_so_its_exports_import_into_the_copy(pg_url, tmp_path):
    db = str(tmp_path / "s.sqlite")
    out = _exported(db, tmp_path)
    tasks = _tasks(out)
    with open_store(db, create=False) as source, open_store(pg_url) as target:
        copy_store(source, target)
        assert target.identity() == source.identity()
    export = label_studio_export(tasks, {_summit(tasks): [(1, result("Same event", 5), T1)]})
    assert _import(pg_url, write_json(tmp_path / "p.json", export)).exit_code == EXIT_OK


@pytest.mark.parametrize("content", ['{"not": "a list"}', "[1, 2", ""])
def test_an_unreadable_file_is_named_and_the_others_are_imported(tmp_path, content):
    db = str(tmp_path / "s.sqlite")
    out = _exported(db, tmp_path)
    tasks = _tasks(out)
    good = write_json(tmp_path / "good.json", label_studio_export(tasks, {_summit(tasks): [(1, result("Same event"), T1)]}))
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    run = _import(db, bad, good)
    assert run.exit_code == EXIT_INPUT_ERRORS
    assert run.messages[0].startswith(f"{bad}")
    assert run.reports["annotations"].files[1].imported == 1


def test_a_schema_4_store_is_migrated_and_gets_its_identity_at_its_next_writing_run(store_location):
    """Migration 5 adds the annotation tables to an older store in place; its rows stay as they were."""
    from test_store_external import store_at_version

    now = "2024-01-01T00:00:00+00:00"
    store_at_version(
        store_location,
        4,
        {
            "runs": [{"id": 1, "command": "run old/", "started_at": now, "status": "completed"}],
            "pieces": [{"id": "p-old", "text": "نص", "status": "pending", "created_at": now, "lang": "ar"}],
        },
    )
    with open_store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION  # 5, then the steps after it
        assert [r.command for r in store.runs()] == ["run old/"] and store.piece_ids() == {"p-old"}
        assert store.judgements() == [] and store.last_calibration() is None
        assert store.identity() is None  # tasks exported now carry none, and are refused on import, saying why
        store.start_run("align")
        identity = store.identity()
        assert identity is not None
        store.start_run("export")
        assert store.identity() == identity  # made once
