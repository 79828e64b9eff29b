"""Fit the aligner's pair model on real comparable news and write pipeline/align/pair_model.json.

    python benchmarks/train_align.py                        # the shipped model, from the default data
    python benchmarks/train_align.py DATA_DIR [DATA_DIR...] --out FILE
    python benchmarks/train_align.py --check                # is the shipped model what this script makes? (exit 1 if not)

DATA_DIR is a labelled set of real comparable news (pipeline/align/training.py
says what it holds); the defaults are ``tests/data/comparable`` and
``../shared/data/dev-align`` (read where they are, never copied). Their
pieces files may sit in the folder or in ``../shared/data/<its name>``.

What it does, all deterministic (scikit-learn's lbfgs, no sampling; figures
rounded so the file is the same byte for byte on the locked environment):

1. aligns every Arabic piece of each set against the set's English pieces
   with the real aligner and keeps every candidate pair's features and
   label (same event / related / none);
2. chooses the thresholds from probabilities held out story by story
   (each story's pairs scored by a model fitted without that story);
3. measures the whole procedure leave one story out, nested: for each
   story, model *and* thresholds are fitted and chosen on the other stories
   only; these are the held-out figures the model file reports, beside
   the figures on the data it was fitted on (training figures, labelled so);
4. fits the shipped model on all pairs and writes it with its metadata:
   feature version, data files and their hash, library versions, thresholds,
   held-out and training figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.align import training  # noqa: E402
from pipeline.align.features import FEATURE_VERSION, FEATURES  # noqa: E402
from pipeline.align.matcher import AlignSettings  # noqa: E402
from pipeline.align.pairmodel import MODEL_PATH, OUTCOMES  # noqa: E402
from pipeline.config import Config  # noqa: E402

DEFAULT_DATA = [REPO / "tests" / "data" / "comparable", REPO.parent / "shared" / "data" / "dev-align"]
DIGITS = 6


def _round(value: object) -> object:
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def _versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn

    return {"scikit-learn": sklearn.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__}


def build(folders: list[Path], c_reg: float = training.C_REG) -> dict:
    """The model file's content for the labelled sets in `folders`."""
    sets = [training.load_set(f) for f in folders]
    settings = Config.load().section("align", AlignSettings)
    items = training.collect(sets, settings)
    rns = {ls.name: ls.must_not_match for ls in sets}
    held = training.held_out_probabilities(items, c_reg)
    threshold, related = training.choose_thresholds(items, held, rns)
    nested = training.leave_one_story_out(items, rns, c_reg)
    coef, intercept = training.fit(items, c_reg)
    fitted = [training.decide(it, training.probabilities(coef, intercept, it), threshold, related) for it in items]
    return _round(
        {
            "made_by": "python benchmarks/train_align.py",
            "feature_version": FEATURE_VERSION,
            "features": list(FEATURES),
            "outcomes": list(OUTCOMES),
            "coef": coef.tolist(),
            "intercept": intercept.tolist(),
            "threshold": threshold,
            "related_threshold": related,
            "fit": {
                "estimator": "sklearn LogisticRegression (multinomial, lbfgs) on standardised features, folded back",
                "C": c_reg,
                "threshold_grid": list(training.THRESHOLDS),
                "thresholds_chosen_by": "leave-one-story-out probabilities: the smallest shortfall from the goals "
                f"{training.GOALS}, the worse of careful and weak; related coverage: F1 against the same-thread pairs",
            },
            "data": [
                {"set": ls.name, "files": [p.name for p in ls.files], "stories": len(set(ls.story_of.values()))} for ls in sets
            ],
            "data_sha256": training.data_hash(sets),
            "pairs": {o: int(sum(r.label == k for it in items for r in it.rows)) for k, o in enumerate(OUTCOMES)},
            "libraries": _versions(),
            "held_out": {
                "split": "leave one story out, nested (model and thresholds chosen without the story)",
                "figures": training.table(nested, rns),
            },
            "training": {
                "split": "none: fitted and measured on the same data (not a quality figure)",
                "figures": training.table(fitted, rns),
            },
        }
    )


def render(model: dict) -> str:
    return json.dumps(model, indent=1, ensure_ascii=False) + "\n"


def print_table(model: dict) -> None:
    def row(name: str, f: dict) -> str:
        def pct(x: float | None) -> str:
            return "   -  " if x is None else f"{x:6.3f}"

        return (
            f"{name:<24}{f['hits']:>4}/{f['covered']:<4}{pct(f['p_at_1'])}  {f['abstained_n']:>3}/{f['uncovered']:<3}{pct(f['abstained'])}"
            f"  {f['same_thread_called_same_n']:>3}/{f['same_thread_pairs']:<4}{pct(f['same_thread_called_same'])}"
            f"  {pct(f['same_thread_called_related'])}"
        )

    print(
        f"pair model {model['feature_version']}, data {model['data_sha256'][:12]}, thresholds {model['threshold']} / related {model['related_threshold']}"
    )
    for key in ("held_out", "training"):
        print(f"\n{key} ({model[key]['split']})")
        print(f"{'set variant':<24}{'P@1 of covered':<17}{'uncovered abstained':<20}{'same-thread called same':<25}related")
        for name, f in model[key]["figures"].items():
            print(row(name, f))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="*", type=Path, default=DEFAULT_DATA, help="labelled sets (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the model (default: the shipped one)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if --out differs from what the data gives")
    ap.add_argument("--c", type=float, default=training.C_REG, help="inverse L2 regularisation")
    args = ap.parse_args(argv)
    model = build(args.data, args.c)
    text = render(model)
    print_table(model)
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print(f"\n{args.out}: {'the same, byte for byte' if same else 'DIFFERS from what the data gives'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
