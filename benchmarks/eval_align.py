"""Held-out evaluation of the aligner: on real comparable news (leave one story out) and on real MT output (FLORES).

**Real comparable news** (``--real DIR...``, the pair model's own ground):
Arabic pieces with careful and weak translations, English coverage of the
same event and same-thread pieces on other events (pipeline/align/training.py
says what a set holds). Leave one story out, nested: each story is decided by
a model and thresholds fitted and chosen without it. ``--outside DIR...``
applies the shipped model, unchanged, to sets it was not fitted on. The
model itself is fitted by ``benchmarks/train_align.py``.

**FLORES constructions** (the default, a regression check, not the
calibration set): the shipped pair model knows nothing of them, so the
harness keeps its protocol of fitting on one half of the lines and measuring
on the other, now over the pair features (a logistic regression of "is the
counterpart" on every feature); ``--cli-check`` runs the *shipped* model
through the command line on the check half.

The translated side is a real system's output (flores-dev.<system>.en, seven
systems); the English side is built from the human reference (flores-dev.en).

**Held out, always.** FLORES lines come in runs of about 3-4 from the same
article, so the data are split into two halves of *contiguous* lines (a
circular cut at a document boundary, rotated by the seed), never by shuffling
lines: no article sits on both sides except at the two cuts. Every
construction is built inside one half. The score weights (a logistic
regression on the candidate pairs' components) and the threshold (the
lowest score at which at most `--rate` of the uncovered pieces match) are
fitted on one half, pooled over systems and constructions, and the figures
come from the other half; then the halves swap. Several seeds move the cut
and redraw the constructions; tables show mean ± standard deviation over
seeds × folds.

Constructions (translated documents are 5 consecutive lines; a third of
them, a half in near-miss, have no English counterpart):

* ``parallel`` — the English document is the reference of the same 5 lines;
* ``2+3`` — 2 of its own 5 reference lines plus 3 lines of 3 other documents
  of the half (possibly uncovered ones: facts of an uncovered document turn
  up elsewhere), shuffled (the issue's "task 2");
* ``1+4`` — 1 own line + 4 foreign ones: one shared sentence is exactly the
  evidence an uncovered document has with the English documents its lines
  were scattered into, so at a low false-match rate the aligner abstains:
  reported, not fitted;
* ``near-miss`` — blocks of 9 lines: the middle 5 are the translated
  document, the 2 lines before and after are its *near miss* (the rest of
  the same article run). An uncovered document's only English counterpart
  is its near miss, and the right answer is to abstain; a covered one's
  English document is 2 own lines + the 4 near-miss lines.
* ``teaser`` — one line of each document is the translated item (a
  one-sentence teaser); a covered item's English document is its whole
  5-line reference document, an uncovered one's (half of them) the other 4
  lines: the rest of the story without the teaser's own fact. Items of one
  or two sentences are "short" and get their own operating point, fitted
  on this construction;
* ``mining`` — single sentences against single reference sentences.

Translations are split into sentences as `pipeline align --source` splits
them (the CLI view, default); ``--segments`` passes one translated sentence
per FLORES line instead, as store mode passes one per Arabic segment.

Reported per system and construction: P@1 on items with a counterpart (the
top match is the counterpart; abstaining is a miss), abstention
precision/recall/F1 and the false-match rate (uncovered items matched to
anything) on items without one.

    python benchmarks/eval_align.py --real tests/data/comparable ../shared/data/dev-align   # leave one story out
    python benchmarks/eval_align.py --outside DIR         # the shipped model on a labelled set it never saw
    python benchmarks/eval_align.py --seeds 2             # FLORES held-out table (all systems; --segments: store view)
    python benchmarks/eval_align.py --systems opusmt --seeds 1
    python benchmarks/eval_align.py --cli-check           # the shipped model through `pipeline align` on the check half
    python benchmarks/eval_align.py --sentence-ceiling    # what the sentence similarity allows: the P@1 ceiling of 2+3
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.align import training
from pipeline.align.features import FEATURES, vector
from pipeline.align.matcher import AlignSettings, align_pieces
from pipeline.align.pairmodel import shipped
from pipeline.config import Config
from pipeline.records import Piece

REPO = Path(__file__).resolve().parents[1]
FLORES = REPO.parent / "shared" / "data" / "flores-dev"
SYSTEMS = ["opusmt", "nllb", "argos", "google", "microsoft", "bergamot-base", "bergamot-base-memory"]
DOC = 5
CONTEXT = 2  # near-miss lines on each side of a document
FITTED_ON = ("parallel", "2+3", "near-miss")  # constructions whose pairs fit the weights and threshold
CONSTRUCTIONS = ("parallel", "2+3", "1+4", "near-miss", "teaser", "mining")
RATES = (0.005, 0.01, 0.02, 0.03, 0.05, 0.1)
DRAWS = 3  # constructions drawn per half
DROP: set[int] = set()  # lines left out of every construction (--drop-duplicate-sources)
AS_CLI = True  # split translations into sentences as the CLI does (False: one FLORES line = one sentence, the store's view)
CALIBRATION_SEED = 0  # the cut whose second half is the check half of --cli-check
C_REG = 1.0  # inverse regularisation of the logistic fit (standardised features)
GRID = 1000  # the false-match curves hold the rate at thresholds 0, 1/GRID, ..., 1


@dataclass
class TaskData:
    name: str
    translated: list[Piece]
    english: list[Piece]
    source_sentences: dict[str, list[str]]
    truth: dict[str, str | None]  # translated id -> English id, None when uncovered
    near: dict[str, str] = field(default_factory=dict)  # near-miss: uncovered id -> its near-miss English id


def load_lines(name: str) -> list[str]:
    return (FLORES / f"flores-dev.{name}").read_text(encoding="utf-8").splitlines()


def _piece(pid: str, lines: list[str], translated: bool) -> Piece:
    text = "\n".join(lines)
    if translated:
        return Piece(id=pid, source="flores", lang="ar", text=text, translation=text)
    return Piece(id=pid, source="flores", lang="en", text=text)


def halves(n_lines: int, seed: int) -> tuple[list[int], list[int]]:
    """Two halves of contiguous lines: a circular cut at a document boundary, rotated by the seed."""
    offset = (seed * 97 * DOC) % n_lines
    order = [(offset + k) % n_lines for k in range(n_lines)]
    cut = (n_lines // 2 // DOC) * DOC
    return order[:cut], order[cut:]


def duplicated_sources() -> set[int]:
    """Lines whose Arabic source occurs more than once in the file: their references cannot all be its translation.

    FLORES dev has such lines (the same Arabic sentence under two different
    English references), so a system's translation of one of them never
    matches its "own" reference. Which copy is right cannot be told from the
    source alone, so all copies go (`--drop-duplicate-sources`).
    """
    seen: dict[str, list[int]] = defaultdict(list)
    for i, line in enumerate(load_lines("ar")):
        seen[" ".join(line.split())].append(i)
    return {i for group in seen.values() if len(group) > 1 for i in group}


def _blocks(lines: list[int], size: int) -> list[list[int]]:
    return [lines[k : k + size] for k in range(0, len(lines) - size + 1, size)]


def coverage_task(kind: str, hyp: list[str], ref: list[str], lines: list[int], seed: int) -> TaskData:
    """`parallel`, `2+3` or `1+4` over the documents of `lines` (5 consecutive lines each)."""
    rng = random.Random(seed)
    docs = _blocks(lines, DOC)
    n = len(docs)
    uncovered = set(rng.sample(range(n), n // 3))
    own = {"parallel": DOC, "2+3": 2, "1+4": 1}[kind]
    translated = [_piece(f"d{d:03d}", [hyp[i] for i in docs[d]], True) for d in range(n)]
    sources = {f"d{d:03d}": [hyp[i] for i in docs[d]] for d in range(n)}
    truth = {f"d{d:03d}": (None if d in uncovered else f"e{d:03d}") for d in range(n)}
    english = []
    for d in range(n):
        if d in uncovered:
            continue
        chosen = list(docs[d])
        if own < DOC:
            others = rng.sample([o for o in range(n) if o != d], DOC - own)
            chosen = rng.sample(docs[d], own) + [rng.choice(docs[o]) for o in others]
            rng.shuffle(chosen)
        english.append(_piece(f"e{d:03d}", [ref[i] for i in chosen], False))
    return TaskData(kind, translated, english, sources, truth)


def near_miss_task(hyp: list[str], ref: list[str], lines: list[int], seed: int) -> TaskData:
    """Blocks of 9 lines: 5 translated in the middle, the 2 before and after are their near miss."""
    rng = random.Random(seed)
    blocks = _blocks(lines, DOC + 2 * CONTEXT)
    uncovered = set(rng.sample(range(len(blocks)), len(blocks) // 2))
    data = TaskData("near-miss", [], [], {}, {})
    for b, block in enumerate(blocks):
        own, context = block[CONTEXT : CONTEXT + DOC], block[:CONTEXT] + block[CONTEXT + DOC :]
        pid = f"d{b:03d}"
        data.translated.append(_piece(pid, [hyp[i] for i in own], True))
        data.source_sentences[pid] = [hyp[i] for i in own]
        if b in uncovered:
            data.truth[pid], data.near[pid] = None, f"n{b:03d}"
            data.english.append(_piece(f"n{b:03d}", [ref[i] for i in context], False))
        else:
            chosen = rng.sample(own, 2) + context
            rng.shuffle(chosen)
            data.truth[pid] = f"e{b:03d}"
            data.english.append(_piece(f"e{b:03d}", [ref[i] for i in chosen], False))
    return data


def teaser_task(hyp: list[str], ref: list[str], lines: list[int], seed: int) -> TaskData:
    """One line per document as a teaser; its English is the whole document, or (uncovered) the other 4 lines."""
    rng = random.Random(seed)
    docs = _blocks(lines, DOC)
    uncovered = set(rng.sample(range(len(docs)), len(docs) // 2))
    data = TaskData("teaser", [], [], {}, {})
    for d, doc in enumerate(docs):
        own = rng.choice(doc)
        pid = f"t{d:03d}"
        data.translated.append(_piece(pid, [hyp[own]], True))
        data.source_sentences[pid] = [hyp[own]]
        english = [i for i in doc if i != own] if d in uncovered else doc
        data.truth[pid] = None if d in uncovered else f"e{d:03d}"
        if d in uncovered:
            data.near[pid] = f"e{d:03d}"
        data.english.append(_piece(f"e{d:03d}", [ref[i] for i in english], False))
    return data


def mining_task(hyp: list[str], ref: list[str], lines: list[int], seed: int) -> TaskData:
    """Single sentences; a third have no reference sentence on the English side."""
    rng = random.Random(seed)
    uncovered = set(rng.sample(lines, len(lines) // 3))
    data = TaskData("mining", [], [], {}, {})
    for i in lines:
        pid = f"s{i:04d}"
        data.translated.append(_piece(pid, [hyp[i]], True))
        data.source_sentences[pid] = [hyp[i]]
        data.truth[pid] = None if i in uncovered else f"r{i:04d}"
        if i not in uncovered:
            data.english.append(_piece(f"r{i:04d}", [ref[i]], False))
    return data


def build(kind: str, hyp: list[str], ref: list[str], lines: list[int], seed: int) -> TaskData:
    if kind == "near-miss":
        return near_miss_task(hyp, ref, lines, seed)
    if kind == "mining":
        return mining_task(hyp, ref, lines, seed)
    if kind == "teaser":
        return teaser_task(hyp, ref, lines, seed)
    return coverage_task(kind, hyp, ref, lines, seed)


# -- collecting candidate pairs once, fitting and deciding in numpy -----------------


@dataclass
class Item:
    """One translated item of one construction: its candidates' features, ids and truth."""

    system: str
    seed: int
    half: int
    kind: str
    item: str
    truth: str | None
    targets: list[str]
    x: np.ndarray  # candidates × len(FEATURES) pair features
    short: bool


def collect(
    systems: list[str],
    seeds: list[int],
    kinds: tuple[str, ...],
    settings: AlignSettings,
    draws: int = DRAWS,
    cut: int | None = None,
) -> list[Item]:
    """Every construction of every (system, seed, half, draw): its candidates' components (weights play no part).

    The halves are cut by each seed (or all by seed `cut`); each half is
    drawn into each construction `draws` times (which documents are
    uncovered, which lines are own and foreign), so a threshold for a rate of
    a few percent rests on hundreds of uncovered documents.
    """
    ref = load_lines("en")
    model = training.neutral_model()  # any: only the candidates' features are kept
    out = []
    for system in systems:
        hyp = load_lines(f"{system}.en")
        for seed in seeds:
            for half, lines in enumerate(halves(len(ref), seed if cut is None else cut)):
                lines = [i for i in lines if i not in DROP]
                for kind, draw in ((k, d) for k in kinds for d in range(draws)):
                    data = build(kind, hyp, ref, lines, 1000 * seed + draw)
                    # no source sentences: the translation is split as `pipeline align --source` splits it
                    result = align_pieces(
                        data.translated,
                        data.english,
                        settings,
                        None if AS_CLI else data.source_sentences,
                        collect_candidates=True,
                        model=model,
                    )
                    for pid, truth in data.truth.items():
                        cands = result.candidates.get(pid, [])
                        x = np.array([vector(c.features) for c in cands]).reshape(len(cands), len(FEATURES))
                        short = bool(cands[0].short) if cands else False
                        out.append(Item(system, seed, half, kind, pid, truth, [c.target_id for c in cands], x, short))
    return out


@dataclass(frozen=True)
class Curve:
    """False-match rate (share of uncovered items whose best candidate scores >= t) on a grid of thresholds t."""

    rates: tuple[float, ...]  # GRID + 1 values, non-increasing

    @classmethod
    def from_scores(cls, best_scores: list[float]) -> Curve:
        ordered = sorted(best_scores)
        n = max(1, len(ordered))
        return cls(tuple((len(ordered) - bisect.bisect_left(ordered, k / GRID)) / n for k in range(GRID + 1)))

    @classmethod
    def worst(cls, curves: list[Curve]) -> Curve:
        """The pointwise highest rate: a threshold read off it keeps every curve's rate at most the target."""
        return cls(tuple(max(r) for r in zip(*(c.rates for c in curves))))

    def threshold_for(self, rate: float) -> float:
        """The lowest grid threshold whose false-match rate is at most `rate`."""
        for k, r in enumerate(self.rates):
            if r <= rate:
                return k / GRID
        return 1.0


Weights = tuple[np.ndarray, float]  # (per-feature weights, bias) of "is the counterpart"


def fit_weights(items: list[Item]) -> Weights:
    """Logistic regression of "is the counterpart" on the top-5 candidate pairs' features (standardised, folded back)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    xs, ys = [], []
    for it in items:
        order = np.argsort(-it.x[:, FEATURES.index("sentences")], kind="stable")[:5] if len(it.targets) else []
        for k in order:
            xs.append(it.x[k])
            ys.append(int(it.targets[k] == it.truth))
    x = np.array(xs)
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=C_REG, max_iter=5000).fit((x - scaler.mean_) / scale, np.array(ys))
    w = model.coef_[0] / scale
    return w, float(model.intercept_[0] - np.sum(w * scaler.mean_))


def logits(x: np.ndarray, w: Weights) -> np.ndarray:
    return w[1] + x @ w[0]


def top(it: Item, w: Weights) -> tuple[str | None, float]:
    """The item's best candidate and its score (0..1) under weights `w`."""
    if not it.targets:
        return None, 0.0
    z = logits(it.x, w)
    k = int(np.lexsort((np.array(it.targets), -z))[0])
    return it.targets[k], float(1.0 / (1.0 + np.exp(-z[k])))


def curve(items: list[Item], w: Weights) -> Curve:
    """False-match rate of the uncovered items as a function of the threshold, the worst over constructions.

    Pooling would let the easy constructions (nothing of an uncovered
    document anywhere) hide the hard one (its facts scattered over other
    English documents); the target rate must hold in each.
    """
    by_kind: dict[str, list[float]] = defaultdict(list)
    for it in items:
        if it.truth is None:
            by_kind[it.kind].append(top(it, w)[1])
    return Curve.worst([Curve.from_scores(scores) for scores in by_kind.values()])


def decide(
    items: list[Item], w: Weights, threshold: float, short_threshold: float | None = None
) -> dict[tuple[str, str], dict[str, float]]:
    """Per (system, construction): P@1, abstention precision/recall/F1, false-match rate."""
    groups: dict[tuple[str, str], list[tuple[str | None, str | None]]] = defaultdict(list)
    for it in items:
        target, score = top(it, w)
        floor = short_threshold if (it.short and short_threshold is not None) else threshold
        groups[(it.system, it.kind)].append((it.truth, target if score >= floor else None))
    return {key: metrics(pairs) for key, pairs in groups.items()}


def metrics(pairs: list[tuple[str | None, str | None]]) -> dict[str, float]:
    covered = [(t, p) for t, p in pairs if t is not None]
    uncovered = [(t, p) for t, p in pairs if t is None]
    p1 = sum(t == p for t, p in covered) / max(1, len(covered))
    abstained = [t for t, p in pairs if p is None]
    tp = sum(t is None for t in abstained)
    prec = tp / len(abstained) if abstained else 1.0
    rec = tp / len(uncovered) if uncovered else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    fm = sum(p is not None for _, p in uncovered) / max(1, len(uncovered))
    return {"p@1": p1, "abst_p": prec, "abst_r": rec, "abst_f1": f1, "false_match": fm}


def cross_validate(items: list[Item], rate: float) -> dict[tuple[str, str], dict[str, list[float]]]:
    """Fit weights and thresholds on one half, evaluate on the other, for every seed and both directions."""
    out: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for seed in sorted({it.seed for it in items}):
        for fit_half in (0, 1):
            train = [it for it in items if it.seed == seed and it.half == fit_half]
            test = [it for it in items if it.seed == seed and it.half != fit_half]
            w, threshold, short = fit_operating_point(train, rate)
            for key, row in decide(test, w, threshold, short).items():
                for name, value in row.items():
                    out[key][name].append(value)
                out[key]["threshold"].append(threshold)
    return out


def fit_operating_point(train: list[Item], rate: float) -> tuple[Weights, float, float | None]:
    """(weights, threshold, short-piece threshold) fitted on `train` alone."""
    fitted = [it for it in train if it.kind in FITTED_ON]
    w = fit_weights(fitted)
    threshold = curve(fitted, w).threshold_for(rate)
    teasers = [it for it in train if it.kind == "teaser"]
    short = max(threshold, curve(teasers, w).threshold_for(rate)) if teasers else None
    return w, threshold, short


# -- the shipped model on FLORES and on real news ---------------------------------------------


def cli_check(settings_path: Path | None, systems: list[str], seeds: list[int]) -> dict[str, dict[str, float]]:
    """The shipped model through `pipeline align --source --target --out` on the check half (FLORES: never fitted on).

    JSONL pieces carry only `translation` (no source sentences): the CLI splits
    them itself, as it does for any MT system's output.
    """
    ref = load_lines("en")
    _, check = halves(len(ref), CALIBRATION_SEED)
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory() as tmp:
        for system in systems:
            hyp = load_lines(f"{system}.en")
            for seed in seeds:
                for kind in ("2+3", "near-miss", "parallel"):
                    data = build(kind, hyp, ref, check, seed + 100)
                    src, tgt, dest = Path(tmp) / "src.jsonl", Path(tmp) / "tgt.jsonl", Path(tmp) / "out"
                    src.write_text(
                        "".join(
                            json.dumps({"id": p.id, "lang": "ar", "text": "(Arabic)", "translation": p.translation}) + "\n"
                            for p in data.translated
                        )
                    )
                    tgt.write_text("".join(json.dumps({"id": p.id, "lang": "en", "text": p.text}) + "\n" for p in data.english))
                    cmd = [
                        sys.executable,
                        "-m",
                        "pipeline",
                        "align",
                        "--source",
                        str(src),
                        "--target",
                        str(tgt),
                        "--out",
                        str(dest),
                    ]
                    if settings_path:
                        cmd[4:4] = ["--config", str(settings_path)]
                    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
                    best: dict[str, tuple[float, str]] = {}
                    for line in (dest / "matches.jsonl").read_text().splitlines():
                        m = json.loads(line)
                        if m["score"] > best.get(m["source_id"], (-1.0, ""))[0]:
                            best[m["source_id"]] = (m["score"], m["target_id"])
                    row = metrics([(t, best[k][1] if k in best else None) for k, t in data.truth.items()])
                    for name, value in row.items():
                        out[f"{system} {kind}"][name].append(value)
    return {k: {n: float(np.mean(v)) for n, v in row.items()} for k, row in out.items()}


def real_news(folders: list[Path], settings: AlignSettings, held_out: bool) -> dict[str, dict]:
    """Figures on labelled sets of real comparable news, per set and translation variant.

    `held_out`: each story decided by a model and thresholds fitted and
    chosen without it (training.leave_one_story_out); else the shipped model
    and its thresholds decide every piece (for sets it was not fitted on).
    """
    sets = [training.load_set(f) for f in folders]
    items = training.collect(sets, settings)
    rns = {ls.name: ls.must_not_match for ls in sets}
    if held_out:
        decisions = training.leave_one_story_out(items, rns)
    else:
        model = shipped()
        decisions = [
            training.decide(it, training.probabilities(model.coef, model.intercept, it), model.threshold, model.related_threshold)
            for it in items
        ]
    return training.table(decisions, rns)


def print_real(figures: dict[str, dict], what: str) -> None:
    print(f"real comparable news, {what}")
    print(
        f"{'set variant':<26}{'P@1 of covered':>18}{'uncovered abstained':>22}{'same-thread called same':>26}{'shown related':>15}"
    )
    for name, f in figures.items():

        def frac(n: int, d: int, x: float | None) -> str:
            return f"{n}/{d} = {x:.3f}" if x is not None else "-"

        print(
            f"{name:<26}{frac(f['hits'], f['covered'], f['p_at_1']):>18}{frac(f['abstained_n'], f['uncovered'], f['abstained']):>22}"
            f"{frac(f['same_thread_called_same_n'], f['same_thread_pairs'], f['same_thread_called_same']):>26}"
            f"{f['related_shown']:>15}"
        )


# -- what the sentence level allows ----------------------------------------------------

NOISE_TRIALS = 48  # an uncovered 2+3 document: its lines sit in ~3 English documents, 4 × 4 other sentence pairs each


def sentence_ceiling(systems: list[str], settings: AlignSettings, rate: float) -> dict[str, dict[str, float]]:
    """Per system: how often a line's translation is less similar to its own reference than chance allows.

    A covered 2+3 document is matched on two shared facts, its two own
    lines; an uncovered one has one (its line scattered into another English
    document) and needs a second from chance: the best of about
    `NOISE_TRIALS` pairs of unrelated sentences. For at most `rate` of the
    uncovered documents to match, the second fact must beat the
    (1 - rate / NOISE_TRIALS) quantile of unrelated pairs (lines of other
    documents), so a covered document is found only if both own lines clear
    it: P@1 <= share above ** 2. The similarity is the matcher's shared-fact
    one (character n-gram cosine × length ratio ** `length_exponent` ±
    `number_bonus`), one FLORES line a sentence. A diagnostic of the data and
    the similarity, not a fit: nothing is tuned on it.
    """
    from pipeline.align.matcher import _adjust, _number_matrix  # the matcher's own shared-fact similarity
    from pipeline.align.vectors import Doc, build_vectors

    ref = load_lines("en")
    doc = np.arange(len(ref)) // DOC
    unrelated = doc[:, None] != doc[None, :]
    out = {}
    for system in systems:
        hyp = load_lines(f"{system}.en")
        v = build_vectors([Doc([x]) for x in hyp] + [Doc([x]) for x in ref], settings.char_min_weight)
        n, char = len(hyp), v.sent_char
        sims = (char[:n] @ char[n:].T).toarray()
        nums = _number_matrix(hyp + ref)
        has = np.asarray(nums.sum(axis=1)).ravel() > 0
        agree = (nums[:n] @ nums[n:].T).toarray() > 0
        lengths = np.array([max(1, len(x)) for x in hyp + ref], dtype=np.float64)
        adj = _adjust(sims, lengths[:n], lengths[n:], has[:n], has[n:], agree, settings)
        bar = float(np.quantile(adj[unrelated], 1 - rate / NOISE_TRIALS))
        above = float(np.mean([adj[i, i] > bar for i in range(n) if i not in DROP]))
        out[system] = {"noise_bar": bar, "own_line_above": above, "p@1_ceiling": above**2}
    return out


# -- printing -------------------------------------------------------------------------


def _fmt(values: list[float]) -> str:
    return f"{np.mean(values):.3f}±{np.std(values):.3f}"


def print_table(cv: dict[tuple[str, str], dict[str, list[float]]], rate: float) -> None:
    print(
        f"held-out (fit on one half, evaluated on the other, both ways), target false-match rate {rate}; mean±sd over seeds×folds"
    )
    print(f"{'system':<22}{'construction':<12}{'P@1':>13}{'abstF1':>13}{'abstR':>13}{'false match':>13}{'threshold':>13}")
    for (system, kind), row in sorted(
        cv.items(), key=lambda kv: (SYSTEMS.index(kv[0][0]), CONSTRUCTIONS.index(kv[0][1]) if kv[0][1] in CONSTRUCTIONS else 9)
    ):
        print(
            f"{system:<22}{kind:<12}{_fmt(row['p@1']):>13}{_fmt(row['abst_f1']):>13}{_fmt(row['abst_r']):>13}{_fmt(row['false_match']):>13}{_fmt(row['threshold']):>13}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", nargs="+", default=SYSTEMS, choices=SYSTEMS)
    ap.add_argument("--seeds", type=int, default=3, help="number of seeds (cuts × constructions)")
    ap.add_argument("--rate", type=float, nargs="+", default=[0.02], help="false-match rate(s) the threshold is fitted for")
    ap.add_argument("--constructions", nargs="+", default=list(CONSTRUCTIONS), choices=list(CONSTRUCTIONS))
    ap.add_argument(
        "--config", type=Path, default=None, help="config whose align: section is used (components only; weights are refitted)"
    )
    ap.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=VALUE", help="override align settings, e.g. sentence_threshold=0.4"
    )
    ap.add_argument(
        "--real", nargs="+", type=Path, metavar="DIR", help="labelled sets of real comparable news: leave one story out, nested"
    )
    ap.add_argument(
        "--outside", nargs="+", type=Path, metavar="DIR", help="labelled sets the shipped model was not fitted on: apply it as is"
    )
    ap.add_argument("--cli-check", action="store_true", help="run the shipped defaults through the CLI on the check half")
    ap.add_argument(
        "--segments",
        action="store_true",
        help="one translated sentence per FLORES line (the store's view) instead of the CLI's splitting",
    )
    ap.add_argument(
        "--drop-duplicate-sources",
        action="store_true",
        help="leave out lines whose Arabic source occurs twice (their reference is another sentence's)",
    )
    ap.add_argument("--sentence-ceiling", action="store_true", help="the P@1 ceiling of 2+3 that the sentence similarity allows")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not FLORES.exists():
        print(f"FLORES data not found at {FLORES}", file=sys.stderr)
        return 2
    config = Config.load(args.config)
    for kv in args.set:
        key, _, value = kv.partition("=")
        config.set(f"align.{key}", json.loads(value))
    settings = config.section("align", AlignSettings)
    global AS_CLI, DROP
    AS_CLI = not args.segments
    if args.drop_duplicate_sources:
        DROP = duplicated_sources()
        print(f"left out: lines {sorted(DROP)} (Arabic source occurs twice)", file=sys.stderr)
    seeds = list(range(args.seeds))
    if args.real or args.outside:
        figures = real_news(args.real or args.outside, settings, held_out=bool(args.real))
        if args.json:
            print(json.dumps(figures, indent=1))
            return 0
        what = "leave one story out, nested" if args.real else f"the shipped model ({shipped().meta['data_sha256'][:12]}), as is"
        print_real(figures, what)
        return 0
    if args.sentence_ceiling:
        rate = args.rate[0]
        print(
            f"own line vs the noise bar (the {1 - rate / NOISE_TRIALS:.5f} quantile of unrelated line pairs), {len(load_lines('en')) - len(DROP)} lines"
        )
        print(f"{'system':<22}{'noise bar':>11}{'own line above':>16}{'2+3 P@1 ceiling':>17}")
        for system, r in sentence_ceiling(args.systems, settings, rate).items():
            print(f"{system:<22}{r['noise_bar']:>11.3f}{r['own_line_above']:>16.3f}{r['p@1_ceiling']:>17.3f}")
        return 0
    if args.cli_check:
        rows = cli_check(args.config, args.systems, seeds)
        if args.json:
            print(json.dumps(rows, indent=1))
            return 0
        print("shipped defaults through `pipeline align --source --target --out`, check half (never fitted on)")
        print(f"{'system construction':<36}{'P@1':>8}{'abstF1':>8}{'abstR':>8}{'false match':>13}")
        for key, r in rows.items():
            print(f"{key:<36}{r['p@1']:>8.3f}{r['abst_f1']:>8.3f}{r['abst_r']:>8.3f}{r['false_match']:>13.3f}")
        return 0
    items = collect(args.systems, seeds, tuple(args.constructions), settings)
    for rate in args.rate:
        cv = cross_validate(items, rate)
        if args.json:
            print(
                json.dumps(
                    {
                        f"{s} {k}": {n: [float(np.mean(v)), float(np.std(v))] for n, v in row.items()}
                        for (s, k), row in cv.items()
                    },
                    indent=1,
                )
            )
            continue
        print_table(cv, rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
