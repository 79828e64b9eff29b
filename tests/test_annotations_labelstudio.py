"""The annotation round trip through a real Label Studio server, and through doccano's export format.

The test starts Label Studio 1.23 (its own venv, .venv-labelstudio, made by
`scripts/setup labelstudio` from locks/requirements-labelstudio.txt) on
127.0.0.1 with a throwaway data folder, as the report's browser test starts
Chromium, and drives it over its HTTP API: a project with the pipeline's
labeling config, the pipeline's tasks of the dev-align store (real
comparable news: `pipeline run` over ../shared/data/dev-align), two
reviewers' annotations following the set's gold pairs (verdicts, ratings,
corrections, error spans; a wrong match rejected, a near miss confirmed),
the export in JSON and JSON-MIN, then the pipeline's own commands:
`annotations import`, `export`, `status`, `evaluate --refs annotations`.
A missing server is a failure, never a skip (scripts/test installs it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from annotation_support import ROOT, cli, dev_align_store, gold, result

from pipeline.store import open_store

LABEL_STUDIO = ROOT / ".venv-labelstudio" / "bin" / "label-studio"
TOKEN = "5e1f0c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"  # the legacy API token the server is started with
ADMIN, SECOND = "reviewer-one@example.org", "reviewer-two@example.org"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Label Studio server of our own on 127.0.0.1 (no telemetry, no network), stopped with its process group."""
    if not LABEL_STUDIO.exists():
        pytest.fail(f"{LABEL_STUDIO} is missing: run scripts/setup labelstudio (scripts/test does)")
    data = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_USERNAME": ADMIN,
        "LABEL_STUDIO_PASSWORD": "a-long-test-password",
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false",
    }
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [str(LABEL_STUDIO), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # the first start migrates its database: about a minute on a quiet machine
        while True:
            if server.poll() is not None:
                pytest.fail(f"Label Studio exited ({server.returncode}): {(data / 'server.log').read_text()[-2000:]}")
            try:
                if requests.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("Label Studio did not answer /health within 600 s")
            time.sleep(2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def dev_align(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # A stricter threshold than the pair model's own (0.55): the model was fitted on dev-align and misses none of its
    # pairs there, so at 0.9 one true pair (Raouche, 0.86) is a near miss for the reviewers to add as a match.
    return dev_align_store(tmp_path_factory.mktemp("dev-align"), "--set", "align.threshold=0.9")


class Api:
    def __init__(self, base: str):
        self.base, self.headers = base, {"Authorization": f"Token {TOKEN}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, self.base + path, headers=self.headers, timeout=120, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None


def _input_ids(out: Path) -> dict[str, str]:
    rows = [json.loads(line) for line in (out / "pieces.jsonl").read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r["input_id"] for r in rows}


def _gold_verdict(source: str, target: str | None) -> str:
    g = gold()
    if target is None:
        return "No English coverage"
    if target in g["expected"].get(source, []):
        return "Same event"
    if any(m["ar"] == source and m["en"] == target for m in g["must_not_match"]):
        return "Related, different event"
    return "Unrelated"


def _lines(run: subprocess.CompletedProcess[str]) -> str:
    return run.stdout + run.stderr


def test_label_studio_round_trip(label_studio: str, dev_align: tuple[Path, Path], tmp_path: Path):
    db, out = dev_align
    api = Api(label_studio)
    names = _input_ids(out)
    config = (out / "labelstudio_config.xml").read_text(encoding="utf-8")
    tasks = json.loads((out / "labelstudio.json").read_text(encoding="utf-8"))
    project = api("POST", "/api/projects", json={"title": "dev-align review", "label_config": config})["id"]
    assert api("POST", f"/api/projects/{project}/import", json=tasks)["task_count"] == len(tasks)
    second = api("POST", "/api/users/", json={"email": SECOND, "username": "second"})["id"]
    stored = api("GET", "/api/tasks", params={"project": project, "page_size": 1000})["tasks"]
    assert len(stored) == len(tasks)

    verdicts: dict[tuple[str, str | None], str] = {}
    corrected, edited_pieces = 0, set()
    for task in stored:
        data = task["data"]
        source, target = names[data["source_id"]], names.get(data["target_id"]) if data["target_id"] else None
        verdict = _gold_verdict(source, target)
        verdicts[(source, target)] = verdict
        good = verdict == "Same event"
        edit = None
        if data["kind"] == "match" and good and corrected < 4 and data["source_id"] not in edited_pieces:
            # the reviewer fixes the first line of the translation (of four pieces)
            first, _, rest = data["translation"].partition("\n")
            edit = first.replace(" the ", " ", 1) + ("\n" + rest if rest else "")
            corrected += 1
            edited_pieces.add(data["source_id"])
        one = result(verdict, 5 - corrected if edit else 4, 4 if good else 3, edit, [(0, 3, "Mistranslation")] if edit else None)
        api("POST", f"/api/tasks/{task['id']}/annotations", json={"result": one})
        if data["kind"] == "match":  # a second reviewer judges the matches, and disagrees once
            other = "Unrelated" if (good and source == "AR_RAI_ROUMIEH") else verdict
            api("POST", f"/api/tasks/{task['id']}/annotations", json={"result": result(other, 3), "completed_by": second})
    assert "Related, different event" in verdicts.values() and corrected >= 3
    near_miss = [k for k, v in verdicts.items() if v == "Same event" and k in {("AR_BINAA_RAOUCHE_TAYYAR", "EN_LOJ_RAOUCHE")}]
    assert near_miss, "the dev-align store's near miss should be among the tasks"

    exports = {}
    for kind in ("JSON", "JSON_MIN"):
        response = requests.get(
            f"{label_studio}/api/projects/{project}/export", params={"exportType": kind}, headers=api.headers, timeout=120
        )
        assert response.status_code == 200
        exports[kind] = tmp_path / f"project-{project}-{kind}.json"
        exports[kind].write_bytes(response.content)

    first = cli("annotations", "import", exports["JSON"], "--db", db)
    assert first.returncode == 0, _lines(first)
    annotations = sum(len(t["annotations"]) for t in json.loads(exports["JSON"].read_text(encoding="utf-8")))
    assert f"{annotations} new judgement(s), 0 already stored, 0 refused" in first.stdout
    assert "reviewed matches added 1" in first.stdout
    # JSON-MIN of the same annotations, and the same JSON again: nothing new
    again = cli("annotations", "import", exports["JSON_MIN"], exports["JSON"], "--db", db)
    assert again.returncode == 0, _lines(again)
    assert again.stdout.count(f"0 new judgement(s), {annotations} already stored") == 2

    with open_store(db, create=False) as store:
        judged = store.judgements()
        assert len(judged) == annotations == len(store.judgements(current=False))
        assert {j.annotator for j in judged} == {"1", str(second)}
        assert sum(1 for j in judged if j.correction) == corrected
        assert all(j.errors[0].text == j.translation[:3] for j in judged if j.errors)  # type: ignore[index]

    export = tmp_path / "after"
    done = cli("export", "--db", db, "--out", export, "-q")
    assert done.returncode == 0, _lines(done)
    matches = [json.loads(line) for line in (export / "matches.jsonl").read_text(encoding="utf-8").splitlines()]
    by_pair = {(names[m["source_id"]], names[m["target_id"]]): m["review"] for m in matches}
    assert by_pair[("AR_BINAA_RAOUCHE_TAYYAR", "EN_LOJ_RAOUCHE")] == "reviewed"  # the near miss, now a match
    assert ("AR_AKH_SUGAR_IML", "EN_DS_SMELLYFOOD") not in by_pair  # judged related, another event: rejected
    assert ("AR_BINAA_ARMYPLAN_TAYYAR", "EN_ARABNEWS_RAOUCHE") not in by_pair  # judged unrelated
    assert by_pair[("AR_RAI_ROUMIEH", "EN_NAH_ROUMIEH")] == "disputed"
    assert set(by_pair.values()) <= {"confirmed", "reviewed", "disputed"}
    relabel = json.loads((export / "labelstudio.json").read_text(encoding="utf-8"))
    assert ("AR_AKH_SUGAR_IML", "EN_DS_SMELLYFOOD") not in {
        (names[t["data"]["source_id"]], names.get(t["data"]["target_id"])) for t in relabel if t["data"]["kind"] == "match"
    }
    index = (export / "report.html").read_text(encoding="utf-8")
    assert "matches rejected by reviewers (left out of the exports)" in index and "reviewer agreement on the event" in index

    status = cli("status", "--db", db, "--json")
    reviews = json.loads(status.stdout)["reviews"]
    # rejected: the two wrong matches and the near misses judged another event; disputed: the one disagreement
    not_same = sum(1 for (_, target), verdict in verdicts.items() if target and verdict != "Same event")
    assert reviews["pairs"] == {
        "confirmed": len(gold_same := [v for v in verdicts.values() if v == "Same event"]) - 1,
        "disputed": 1,
        "rejected": not_same,
    }
    assert gold_same
    assert reviews["agreement"]["verdict"]["pairs"] > 5 and reviews["agreement"]["verdict"]["kappa"] < 1

    scored = cli("evaluate", "--db", db, "--refs", "annotations", "--json", "--paired", "none")
    assert scored.returncode == 0, _lines(scored)
    evaluation = json.loads(scored.stdout)
    assert evaluation["reviews"]["post_edits"] == len(edited_pieces) >= 3  # the latest correction of each piece
    hter = evaluation["reviews"]["hter"]["careful"]
    assert hter["pieces"] == len(edited_pieces) and 0 < hter["hter"] < 20 and hter["signature"].startswith("nrefs:1|")
    adequacy = evaluation["reviews"]["correlation"]["careful"]["adequacy"]
    assert adequacy["chrF2"]["n"] == len(edited_pieces) and adequacy["chrF2"]["rho"] is not None
    assert {s["name"] for s in evaluation["systems"]} == {"careful", "weak-mt"}  # every system, against the post-edits

    # a reviewer changes a verdict in Label Studio: a new version on import, the old one kept
    annotation = api("GET", f"/api/tasks/{stored[0]['id']}/annotations")[0]
    api("PATCH", f"/api/annotations/{annotation['id']}", json={"result": result("Not sure", 2)})
    response = requests.get(
        f"{label_studio}/api/projects/{project}/export", params={"exportType": "JSON"}, headers=api.headers, timeout=120
    )
    later = tmp_path / "later.json"
    later.write_bytes(response.content)
    changed = cli("annotations", "import", later, "--db", db)
    assert f"1 new judgement(s), {annotations - 1} already stored" in changed.stdout
    with open_store(db, create=False) as store:
        assert len(store.judgements(current=False)) == annotations + 1 and len(store.judgements()) == annotations
        assert "unsure" in {j.verdict for j in store.judgements()}


def test_doccano_export_round_trip(dev_align: tuple[Path, Path], tmp_path: Path):
    """doccano's JSONL export (sequence labelling with category labels), one file per reviewer as doccano names them."""
    db, out = dev_align
    names = _input_ids(out)
    lines = [json.loads(line) for line in (out / "doccano.jsonl").read_text(encoding="utf-8").splitlines()]
    labelled = []
    for number, line in enumerate(lines, start=1):
        source, target = names[line["piece_id"]], names.get(line["target_id"]) if line["target_id"] else None
        labels: list[Any] = [[0, 4, "Omission"], _gold_verdict(source, target), "adequacy 3", "fluency 4"]
        exported = {k: v for k, v in line.items() if k != "label"}
        labelled.append(json.dumps({"id": number, **exported, "label": labels, "Comments": []}, ensure_ascii=False))
    path = tmp_path / "maryam.jsonl"
    path.write_text("\n".join(labelled) + "\n", encoding="utf-8")
    run = cli("annotations", "import", path, "--db", db)
    assert run.returncode == 0, _lines(run)
    assert f"{len(lines)} new judgement(s)" in run.stdout
    assert cli("annotations", "import", path, "--db", db).stdout.startswith(f"{path}: 0 new judgement(s), {len(lines)} already")
    with open_store(db, create=False) as store:
        mine = [j for j in store.judgements() if j.tool == "doccano"]
    assert {j.annotator for j in mine} == {"maryam"} and len(mine) == len(lines)
    assert all(j.errors[0].label == "Omission" and j.adequacy == 3 and j.fluency == 4 for j in mine)
    done = cli("export", "--db", db, "--out", tmp_path / "after", "-q", "--format", "jsonl,csv")
    assert done.returncode == 0, _lines(done)
    pairs = {
        (names[m["source_id"]], names[m["target_id"]])
        for m in map(json.loads, (tmp_path / "after" / "matches.jsonl").read_text(encoding="utf-8").splitlines())
    }
    # doccano's verdicts judge each piece's best match: the wrong best matches are rejected
    assert ("AR_AKH_SUGAR_IML", "EN_AKH_SUGAR") in pairs
    assert ("AR_BINAA_ARMYPLAN_TAYYAR", "EN_ARABNEWS_RAOUCHE") not in pairs
