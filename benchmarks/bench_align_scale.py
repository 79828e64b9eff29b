"""Scale benchmark for the aligner: time and peak memory of matching N translated × N English pieces.

Synthetic news-like corpora (fixed seed): words drawn from the wordfreq
English list with its own Zipf distribution, per-event topic words and
transliteration-like entity names, dates over two years. Half of the
translated pieces report an event that one English piece also covers (three
of their sentences are noisy paraphrases of English sentences); the other
half have no English coverage.

Each size runs in a fresh subprocess, so the peak memory (ru_maxrss) is that
size's own; beside the wall-clock time stands the process's CPU time, which
a shared machine disturbs less. Cost growth is printed against the size and against the product
of the two sides (what all-pairs comparison would cost). Beside each size
stand the figures of the previous aligner (character n-gram vectors of every
sentence held for the whole run; README table before issue 13), and with
``--baseline DIR`` (a tree of another version, e.g. ``git archive f0a0661
pipeline configs | tar -x -C DIR``) that version runs the same corpus in the
same session, side by side.

    python benchmarks/bench_align_scale.py [--sizes 10000 30000 100000] [--threads 2] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

SEED = 7
# The previous aligner on this benchmark (README, commit f0a0661): seconds, peak GB.
PREVIOUS = {1000: (4.5, 0.45), 10000: (44.0, 1.4), 100000: (579.0, 10.8)}
SENTENCES = 12
WORDS_PER_SENTENCE = 18


def make_corpus(size: int, seed: int = SEED):
    import wordfreq

    from pipeline.records import Piece

    rng = np.random.default_rng(seed)
    vocab = [w for w in wordfreq.top_n_list("en", 30000) if w.isalpha()]
    freq = np.array([wordfreq.word_frequency(w, "en") for w in vocab])
    freq /= freq.sum()
    syllables = [
        "ka",
        "dhi",
        "mi",
        "sa",
        "dr",
        "ha",
        "ri",
        "ri",
        "na",
        "sr",
        "al",
        "qa",
        "ni",
        "zu",
        "bai",
        "dou",
        "ma",
        "li",
        "ki",
        "ya",
    ]
    names = sorted({"".join(rng.choice(syllables, rng.integers(2, 4))).capitalize() for _ in range(8000)})
    mid = np.arange(2000, len(vocab))  # topic words: not the most common ones
    start = date(2020, 1, 1)

    def event(e_rng):
        return {
            "topic": [vocab[i] for i in e_rng.choice(mid, 10, replace=False)],
            "names": [names[i] for i in e_rng.choice(len(names), 3, replace=False)],
            "date": start + timedelta(days=int(e_rng.integers(0, 730))),
        }

    vocab_arr = np.array(vocab)
    pool = iter(rng.choice(len(vocab), size * 2 * (SENTENCES + 1) * WORDS_PER_SENTENCE, p=freq).reshape(-1, WORDS_PER_SENTENCE))

    def sentence(ev, s_rng):
        words = list(vocab_arr[next(pool)])
        slots = s_rng.integers(0, WORDS_PER_SENTENCE, 6)
        picks = s_rng.integers(0, 10, 5)
        for k, t in zip(slots[:5], picks):
            words[k] = ev["topic"][t]
        words[slots[5]] = ev["names"][int(slots[5]) % 3]
        return " ".join(words).capitalize() + "."

    def paraphrase(text, s_rng):
        words = text.rstrip(".").split()
        fresh = vocab_arr[next(pool)]
        for n, k in enumerate(s_rng.choice(len(words), len(words) // 5, replace=False)):
            words[k] = fresh[n]
        return " ".join(words) + "."

    english, translated = [], []
    events = [event(rng) for _ in range(size)]
    for j, ev in enumerate(events):
        sents = [sentence(ev, rng) for _ in range(SENTENCES)]
        english.append(Piece(id=f"en{j:06d}", source="synthetic", lang="en", date=ev["date"].isoformat(), text=" ".join(sents)))
    for i in range(size):
        covered = i % 2 == 0
        ev = events[i] if covered else event(rng)
        sents = [sentence(ev, rng) for _ in range(SENTENCES)]
        if covered:
            shared = english[i].text.split(". ")
            for k in range(3):
                sents[k] = paraphrase(shared[k].rstrip(".") + ".", rng)
        d = ev["date"] + timedelta(days=int(rng.integers(0, 3)))
        translated.append(
            Piece(id=f"tr{i:06d}", source="synthetic", lang="ar", date=d.isoformat(), text="-", translation=" ".join(sents))
        )
    return translated, english


def run_one(size: int) -> dict:
    from pipeline.align import AlignSettings, align_pieces
    from pipeline.config import Config

    settings = Config.load().section("align", AlignSettings)
    t0 = time.perf_counter()
    translated, english = make_corpus(size)
    gen = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = time.process_time()
    t1 = time.perf_counter()
    result = align_pieces(translated, english, settings)
    seconds = time.perf_counter() - t1
    cpu = time.process_time() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    matched = {m.source_id: m.target_id for m in sorted(result.matches, key=lambda m: -m.score)[::-1]}
    covered = [p.id for k, p in enumerate(translated) if k % 2 == 0]
    correct = sum(matched.get(pid) == f"en{pid[2:]}" for pid in covered)
    false = sum(1 for k, p in enumerate(translated) if k % 2 == 1 and p.id in matched)
    return {
        "size": size,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "generate_seconds": round(gen, 2),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "scored_pairs": result.scored_pairs,
        "matches": len(result.matches),
        "covered_found": round(correct / max(1, len(covered)), 4),
        "uncovered_matched": round(false / max(1, size - len(covered)), 4),
    }


def _measure(size: int, env: dict, tree: Path | None) -> dict | None:
    """One size in a fresh process, with this tree's pipeline or `tree`'s."""
    env = {**env, "PYTHONPATH": str(tree.resolve()) if tree else env.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(size)], env=env, capture_output=True, text=True, cwd=tree or None
    )
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10000, 30000, 100000])
    ap.add_argument("--baseline", type=Path, help="tree of another version (pipeline/ and configs/) to run side by side")
    ap.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads (the goal is for 2 cores)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(args.threads),
        "OPENBLAS_NUM_THREADS": str(args.threads),
        "MKL_NUM_THREADS": str(args.threads),
    }
    rows = []
    for size in args.sizes:
        r = _measure(size, env, None)
        if r is None:
            return 1
        rows.append(r)
        prev = PREVIOUS.get(size)
        before = f"  | previous: {prev[0]:.0f} s, {prev[1]:.2f} GB" if prev else "  | previous: not measured"
        print(
            f"{r['size']:>7} × {r['size']:<7} {r['seconds']:>8.2f} s (CPU {r['cpu_seconds']:.1f} s)  peak {r['peak_rss_mb'] / 1024:>6.2f} GB  "
            f"pairs scored {r['scored_pairs']:>9}  covered found {r['covered_found']:.3f}  uncovered matched {r['uncovered_matched']:.3f}{before}",
            flush=True,
        )
        if args.baseline:
            b = _measure(size, env, args.baseline)
            if b is None:
                return 1
            print(
                f"{'':>17} baseline {b['seconds']:>8.2f} s (CPU {b.get('cpu_seconds', float('nan')):.1f} s)  peak {b['peak_rss_mb'] / 1024:>6.2f} GB  "
                f"pairs scored {b['scored_pairs']:>9}  covered found {b['covered_found']:.3f}  uncovered matched {b['uncovered_matched']:.3f}",
                flush=True,
            )
    for a, b in itertools.pairwise(rows):
        size_ratio = b["size"] / a["size"]
        print(
            f"{a['size']} → {b['size']}: time ×{b['seconds'] / a['seconds']:.1f} for size ×{size_ratio:.0f} "
            f"(product of sides ×{size_ratio**2:.0f}); memory ×{b['peak_rss_mb'] / a['peak_rss_mb']:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
