"""The aligner's operating point refitted on reviewers' judged pairs (`pipeline align --calibrate-from-annotations`).

50 judged pairs of ../shared/data/dev-align, made from its gold: every gold
pair judged the same event, every must-not-match pair (same story thread,
another event) judged related, the rest drawn from the other pairs by a
fixed hash and judged different. They come in as a Label Studio export of
pair tasks the store keyed (as its exported tasks are), through `pipeline
annotations import`. Calibrating on them must move the operating point off
the shipped table's, print the held-out (cross-validated) false-match rate,
recall and P@1 beside the figures on the labels themselves, and be used by
the run; too few labels are refused, saying how many there are.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from annotation_support import cli, dev_align_store, gold, label_studio_export, result, write_json

from pipeline.annotations.identity import task_fields
from pipeline.store import open_store

T = "2026-02-01T12:00:00.000000Z"


@pytest.fixture(scope="module")
def dev_align(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return dev_align_store(tmp_path_factory.mktemp("dev-align"))


def judged_pairs(n: int) -> list[tuple[str, str, str]]:
    """(Arabic id, English id, verdict) for `n` pairs of dev-align, from its gold."""
    g = gold()
    same = [(a, e, "Same event") for a, targets in g["expected"].items() for e in targets]
    related = [(m["ar"], m["en"], "Related, different event") for m in g["must_not_match"]]
    taken = {(a, e) for a, e, _ in same + related}
    rest = sorted(
        ((a, e) for a in g["arabic"] for e in g["english"] if (a, e) not in taken),
        key=lambda pair: hashlib.sha256("|".join(pair).encode()).hexdigest(),
    )
    return (same + related + [(a, e, "Unrelated") for a, e in rest])[:n]


def _labels_file(db: Path, pairs: list[tuple[str, str, str]], path: Path) -> Path:
    """A reviewer's Label Studio export of pair tasks keyed by this store, one annotation each."""
    with open_store(db, create=False) as store:
        identity = store.identity()
        pieces = {p.input_id: p for p in store.load_pieces()}
    tasks = []
    for a, e in ((a, e) for a, e, _ in pairs):
        source, target = pieces[a], pieces[e]
        data = {
            "kind": "match",
            "source_id": source.id,
            "target_id": target.id,
            "system": source.model,
            "translation": source.translation,
        }
        tasks.append({"data": {**data, **task_fields(identity, "match", source.id, target.id, source.model)}})
    annotations = {i: [(1, result(verdict), T)] for i, (_, _, verdict) in enumerate(pairs)}
    return write_json(path, label_studio_export(tasks, annotations))


def test_too_few_judged_pairs_are_refused_saying_how_many(dev_align, tmp_path):
    db, _ = dev_align
    few = tmp_path / "few.sqlite"
    few.write_bytes(db.read_bytes())
    assert cli("annotations", "import", _labels_file(few, judged_pairs(8), tmp_path / "few.json"), "--db", few).returncode == 0
    run = cli("align", "--db", few, "--calibrate-from-annotations")
    assert run.returncode == 2
    assert "needs at least 20 judged pairs" in run.stderr and "the store has 8 (8 same event, 0 not)" in run.stderr


def test_calibration_from_50_judged_pairs_moves_the_operating_point_and_prints_held_out_figures(dev_align, tmp_path):
    db, _ = dev_align
    pairs = judged_pairs(50)
    assert len(pairs) == 50 and {v for _, _, v in pairs} == {"Same event", "Related, different event", "Unrelated"}
    imported = cli("annotations", "import", _labels_file(db, pairs, tmp_path / "labels.json"), "--db", db)
    assert imported.returncode == 0 and "50 new judgement(s)" in imported.stdout, imported.stdout + imported.stderr
    run = cli("align", "--db", db, "--calibrate-from-annotations")
    assert run.returncode == 0, run.stderr
    print(run.stdout)  # the measured figures, for the record (pytest -s shows them)
    assert "calibrated on 50 judged pairs (11 same event, 39 not)" in run.stdout
    assert "held out (5-fold, grouped by translated piece): false-match rate" in run.stdout
    assert "P@1" in run.stdout and "on the labels it was fitted on (not a quality figure)" in run.stdout
    with open_store(db, create=False) as store:
        fitted = store.last_calibration()
        matches = store.load_matches()
    assert fitted is not None and fitted.method == "annotations"
    table = fitted.figures["model_threshold"]["threshold"]
    assert fitted.threshold != table  # the operating point moved
    held_out = fitted.figures["cross_validated"]
    for name in ("false_match_rate", "recall", "p_at_1"):
        value, (low, high) = held_out[name]["value"], held_out[name]["ci95"]
        assert low <= value <= high
    assert held_out["false_match_rate"]["of"] == 39 and held_out["recall"]["of"] == 11
    # the run used it: every automatic match clears the fitted threshold and says where it came from
    automatic = [m for m in matches if not m.evidence.get("reviewed")]
    assert automatic and all(m.score >= fitted.threshold for m in automatic)
    assert all("calibrated on 50 judged pairs" in m.evidence["operating_point"] for m in automatic)
    # the setting does the same as the flag, and the same labels give the same point
    again = cli("align", "--db", db, "--set", "align.calibration=annotations", "-q")
    assert again.returncode == 0, again.stderr
    with open_store(db, create=False) as store:
        assert store.last_calibration().threshold == fitted.threshold  # type: ignore[union-attr]
    summary = json.loads(cli("status", "--db", db, "--json").stdout)
    assert summary["annotations"] == 50
    # one-to-one mining keeps its own floor, not the calibrated threshold: its matches say so
    mined = cli("align", "--db", db, "--calibrate-from-annotations", "--set", "align.one_to_one=true", "-q")
    assert mined.returncode == 0, mined.stderr
    with open_store(db, create=False) as store:
        automatic = [m for m in store.load_matches() if not m.evidence.get("reviewed")]
    assert automatic and all(m.evidence["operating_point"] == "one-to-one mining floor" for m in automatic)
