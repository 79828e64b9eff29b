"""Evaluation harness for the aligner on real MT output (FLORES-200 dev, Arabic→English).

The translated side is a real system's output (flores-dev.<system>.en); the
English side is built from the human reference (flores-dev.en). A third of
the translated items have no English counterpart (fixed seed), so both
finding the right article and abstaining are measured.

Tasks (each per system):

1. parallel documents — pseudo-documents of 5 consecutive sentences; the
   English document is the reference of the same five. Also measures
   monotonic sentence alignment against the known 1-1 links.
2. partial coverage — each English document holds 2 of its 5 reference
   sentences plus 3 reference sentences from 3 other documents (possibly
   uncovered ones: facts of an uncovered document turn up elsewhere),
   shuffled.
3. sentence mining — every translated sentence against all reference
   sentences that are kept, in the aligner's mining mode (`one_to_one`:
   each reference sentence backs at most one translation, the standard
   assumption of bitext mining); `--no-mining` runs task 3 with the plain
   per-pair decision instead.

Reported: precision@1 on items with a counterpart (top match is the
counterpart; an abstention counts as a miss), abstention precision/recall/F1
on items without one, and a plain TF-IDF cosine baseline with the threshold
tuned on the same data (an upper bound for that baseline).

    python benchmarks/eval_align.py [--systems opusmt nllb argos] [--tasks 1 2 3] [--json]
    python benchmarks/eval_align.py --fit   # refit the score weights (see configs/default.yaml)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.align.matcher import AlignSettings, align_pieces
from pipeline.text.sentences import split_english
from pipeline.config import Config
from pipeline.records import Piece

REPO = Path(__file__).resolve().parents[1]
FLORES = REPO.parent / "shared" / "data" / "flores-dev"
SYSTEMS = ["opusmt", "nllb", "argos", "google", "microsoft", "bergamot-base", "bergamot-base-memory"]
SEED = 13
DOC = 5


@dataclass
class TaskData:
    name: str
    translated: list[Piece]
    english: list[Piece]
    source_sentences: dict[str, list[str]]
    truth: dict[str, str | None]  # translated id -> English id, None when uncovered
    links: dict[str, dict[int, int]] = field(default_factory=dict)  # task 1: target sentence -> reference line


def load_lines(name: str) -> list[str]:
    return (FLORES / f"flores-dev.{name}").read_text(encoding="utf-8").splitlines()


def _piece(pid: str, lines: list[str], translated: bool) -> Piece:
    text = "\n".join(lines)
    if translated:
        return Piece(id=pid, source="flores", lang="ar", text=text, translation=text)
    return Piece(id=pid, source="flores", lang="en", text=text)


def build_task(task: int, hyp: list[str], ref: list[str], seed: int = SEED) -> TaskData:
    rng = random.Random(seed)
    if task == 3:
        n = len(ref)
        uncovered = set(rng.sample(range(n), n // 3))
        translated = [_piece(f"s{i:04d}", [hyp[i]], True) for i in range(n)]
        english = [_piece(f"r{i:04d}", [ref[i]], False) for i in range(n) if i not in uncovered]
        truth = {f"s{i:04d}": (None if i in uncovered else f"r{i:04d}") for i in range(n)}
        return TaskData("sentence mining", translated, english, {p.id: [hyp[int(p.id[1:])]] for p in translated}, truth)
    n_docs = len(ref) // DOC
    docs = [list(range(d * DOC, d * DOC + DOC)) for d in range(n_docs)]
    uncovered = set(rng.sample(range(n_docs), n_docs // 3))
    translated = [_piece(f"d{d:03d}", [hyp[i] for i in docs[d]], True) for d in range(n_docs)]
    sources = {f"d{d:03d}": [hyp[i] for i in docs[d]] for d in range(n_docs)}
    truth = {f"d{d:03d}": (None if d in uncovered else f"e{d:03d}") for d in range(n_docs)}
    english, links = [], {}
    for d in range(n_docs):
        if d in uncovered:
            continue
        if task == 1:
            lines = docs[d]
        else:
            own = rng.sample(docs[d], 2)
            others = rng.sample([o for o in range(n_docs) if o != d], 3)
            lines = own + [rng.choice(docs[o]) for o in others]
            rng.shuffle(lines)
        english.append(_piece(f"e{d:03d}", [ref[i] for i in lines], False))
        if task == 1:
            # target sentence index -> reference line position inside the doc
            mapping, t = {}, 0
            for pos, i in enumerate(lines):
                for _ in split_english(ref[i]):
                    mapping[t] = pos
                    t += 1
            links[f"e{d:03d}"] = mapping
    name = "parallel documents" if task == 1 else "partial coverage"
    return TaskData(name, translated, english, sources, truth, links)


def metrics(truth: dict[str, str | None], top: dict[str, str | None]) -> dict[str, float]:
    covered = [k for k, v in truth.items() if v is not None]
    uncovered = [k for k, v in truth.items() if v is None]
    p1 = sum(top.get(k) == truth[k] for k in covered) / max(1, len(covered))
    abstained = {k for k in truth if top.get(k) is None}
    tp = len(abstained & set(uncovered))
    prec = tp / len(abstained) if abstained else 1.0
    rec = tp / len(uncovered) if uncovered else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"p@1": p1, "abst_p": prec, "abst_r": rec, "abst_f1": f1}


def run_aligner(data: TaskData, settings: AlignSettings, collect: bool = False):
    result = align_pieces(data.translated, data.english, settings, data.source_sentences, collect_candidates=collect)
    top: dict[str, str | None] = {p.id: None for p in data.translated}
    best: dict[str, float] = {}
    for m in result.matches:
        if m.score > best.get(m.source_id, -1):
            best[m.source_id] = m.score
            top[m.source_id] = m.target_id
    return result, top


def sentence_accuracy(data: TaskData, result) -> float:
    """Share of reference-aligned source lines whose pairs all point at the same line."""
    by_pair = {(m.source_id, m.target_id): m for m in result.matches}
    good = total = 0
    for sid, eid in data.truth.items():
        if eid is None:
            continue
        n_lines = len(data.source_sentences[sid])
        total += n_lines
        m = by_pair.get((sid, eid))
        if m is None:
            continue
        targets: dict[int, set[int]] = {}
        for p in m.sentence_pairs:
            targets.setdefault(p.source, set()).add(data.links[eid][p.target])
        good += sum(targets.get(i) == {i} for i in range(n_lines))
    return good / max(1, total)


def baseline(data: TaskData) -> dict[str, float]:
    """Plain word TF-IDF cosine (fitted on both sides), top-1, threshold tuned on this data."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    src = [p.translation or "" for p in data.translated]
    tgt = [p.text for p in data.english]
    vec = TfidfVectorizer(sublinear_tf=True).fit(src + tgt)
    sims = (vec.transform(src) @ vec.transform(tgt).T).toarray()
    best_j, best_s = sims.argmax(1), sims.max(1)
    best = None
    for th in np.linspace(0, 1, 201):
        top = {p.id: (data.english[best_j[i]].id if best_s[i] >= th else None) for i, p in enumerate(data.translated)}
        m = metrics(data.truth, top)
        key = m["p@1"] + m["abst_f1"]
        if best is None or key > best[0]:
            best = (key, th, m)
    assert best is not None
    return {**best[2], "threshold": float(best[1])}


def task_settings(task: int, settings: AlignSettings, mining: bool = True) -> AlignSettings:
    """The settings a task runs with: the config's, plus mining mode for task 3 (sentence mining)."""
    return settings.model_copy(update={"one_to_one": True}) if task == 3 and mining else settings


def evaluate(system: str, tasks: list[int], settings: AlignSettings, with_baseline: bool = True, mining: bool = True) -> dict[str, dict]:
    ref, hyp = load_lines("en"), load_lines(f"{system}.en")
    out = {}
    for task in tasks:
        data = build_task(task, hyp, ref)
        start = time.perf_counter()
        result, top = run_aligner(data, task_settings(task, settings, mining))
        row = metrics(data.truth, top)
        row["seconds"] = time.perf_counter() - start
        if task == 1:
            mono = settings.model_copy(update={"sentence_mode": "monotonic"})
            mono_result, _ = run_aligner(data, mono)
            row["sent_acc"] = sentence_accuracy(data, mono_result)
        if with_baseline:
            row["baseline"] = baseline(data)
        out[str(task)] = row
    return out


def fit(systems: list[str], settings: AlignSettings) -> None:
    """Fit the logistic weights on the pooled candidate pairs of tasks 1-3 (label: is the counterpart)."""
    from sklearn.linear_model import LogisticRegression

    X, y = [], []
    for system in systems:
        ref, hyp = load_lines("en"), load_lines(f"{system}.en")
        for task in (1, 2, 3):
            data = build_task(task, hyp, ref)
            result, _ = run_aligner(data, settings, collect=True)
            for sid, cands in result.candidates.items():
                for c in cands[:5]:
                    X.append([c.components.sentences, c.components.lexical, c.components.entities])
                    y.append(int(data.truth[sid] == c.target_id))
    model = LogisticRegression(C=10.0, max_iter=1000).fit(np.array(X), np.array(y))
    names = ["sentences", "lexical", "entities"]
    print(json.dumps({"bias": round(float(model.intercept_[0]), 2), **{n: round(float(w), 2) for n, w in zip(names, model.coef_[0])}}))
    print(f"{len(y)} pairs, {sum(y)} positive", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", nargs="+", default=["opusmt", "nllb", "argos"], choices=SYSTEMS)
    ap.add_argument("--tasks", nargs="+", type=int, default=[1, 2, 3], choices=[1, 2, 3])
    ap.add_argument("--config", type=Path, default=None, help="config whose align: section is evaluated")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override align settings, e.g. threshold=0.6")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-mining", action="store_true", help="task 3 without one-to-one mining mode (the score alone decides)")
    ap.add_argument("--fit", action="store_true", help="fit the score weights instead of evaluating")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not FLORES.exists():
        print(f"FLORES data not found at {FLORES}", file=sys.stderr)
        return 2
    config = Config.load(args.config)
    for kv in args.set:
        key, _, value = kv.partition("=")
        config.set(f"align.{key}", json.loads(value) if value[:1] in "0123456789-[{tf" else value)
    settings = config.section("align", AlignSettings)
    if args.fit:
        fit(args.systems, settings)
        return 0
    results = {s: evaluate(s, args.tasks, settings, not args.no_baseline, not args.no_mining) for s in args.systems}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'system':<22}{'task':<6}{'P@1':>7}{'abstP':>7}{'abstR':>7}{'abstF1':>8}{'sentAcc':>9}{'sec':>6}   baseline P@1/F1 (thr)")
    for system, rows in results.items():
        for task, r in rows.items():
            b = r.get("baseline")
            base = f"{b['p@1']:.3f}/{b['abst_f1']:.3f} ({b['threshold']:.3f})" if b else ""
            sent = f"{r['sent_acc']:.3f}" if "sent_acc" in r else ""
            print(f"{system:<22}{task:<6}{r['p@1']:>7.3f}{r['abst_p']:>7.3f}{r['abst_r']:>7.3f}{r['abst_f1']:>8.3f}{sent:>9}{r['seconds']:>6.1f}   {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
