"""Outputs the pipeline must keep producing, byte for byte, across refactors.

Three runs are pinned (see tests/test_golden.py):

* ``seeds``: `pipeline run seeds/` with the tiny test model (transformers
  backend, float32: the CTranslate2 int8 kernels differ between CPU
  generations, float32 on two layers of width 32 does not in practice);
* ``external``: `pipeline run` on a JSONL of FLORES dev pieces that carry a
  real MT system's translation (opus-mt) plus the English references, i.e.
  a run with matches, so every export format has content;
* ``harness``: the FLORES alignment harness's metrics (benchmarks/eval_align.py).

Outputs are normalised first: timings, run ids, timestamps, the store's
random identity (and the task keys made with it) and the machine's paths are
replaced by placeholders, nothing else. Seeds outputs
are stored whole under tests/golden/seeds/ (the seeds are the project's own
sample data); FLORES outputs only as SHA-256 digests, because FLORES text may
not be copied into the repository.

Regenerate after an intended change with ``scripts/update-golden`` and say
in the commit why the outputs changed.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
FLORES = REPO.parent / "shared" / "data" / "flores-dev"
SEED_FILES = (
    "pieces.jsonl",
    "matches.jsonl",
    "related.jsonl",
    "summary.json",
    "pairs.tmx",
    "pairs.csv",
    "doccano.jsonl",
    "labelstudio.json",
    "labelstudio_config.xml",
    "report.html",
    "report/pieces-0001.html",
)
# Keys whose values are timings or identities of one run, not outputs.
VOLATILE_KEYS = {"run_id", "timings_s", "seconds", "sentences_per_second", "generated_at", "out_dir", "created_at"}
EXTERNAL_DOCS = 24  # FLORES pseudo-documents of 5 lines in the external run
GOLDEN_CONFIG = {"translate": {"backend": "transformers"}}


def normalise(text: str, roots: list[Path]) -> str:
    """The text with this run's paths, timestamps and timings replaced by placeholders."""
    for root in sorted({str(r) for r in roots}, key=len, reverse=True):
        text = text.replace(root, "<root>")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?", "<time>", text)
    text = re.sub(r"\d{8}T\d{6}Z", "<time>", text)  # TMX creationdate
    # each store's own identity and the keys its tasks carry (pipeline/annotations/identity.py): random per store
    text = re.sub(r'"store_id": "[0-9a-f-]{36}"', '"store_id": "<store>"', text)
    text = re.sub(r'"task_key": "[0-9a-f]+"', '"task_key": "<key>"', text)
    return same_model_name(text)


def same_model_name(text: str) -> str:
    """A local model's id names its folder ("local:tiny-marian0"): which temporary folder is not an output."""
    return re.sub(r"local:[\w.-]+", "local:<model>", text)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<volatile>" if k in VOLATILE_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def normalised_outputs(out: Path, roots: list[Path]) -> dict[str, str]:
    """Every pinned file of an output folder, normalised."""
    files = {}
    for name in SEED_FILES:
        text = normalise((out / name).read_text(encoding="utf-8"), roots)
        if name == "summary.json":
            text = json.dumps(_scrub(json.loads(text)), ensure_ascii=False, indent=2) + "\n"
        files[name] = text
    return files


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_pipeline(tmp: Path, model: Path, *inputs: Path) -> Path:
    """`pipeline run INPUTS` into tmp/out with the golden config; returns the output folder."""
    config = tmp / "golden.yaml"
    config.write_text(json.dumps(GOLDEN_CONFIG), encoding="utf-8")
    out = tmp / "out"
    argv = [
        sys.executable,
        "-m",
        "pipeline",
        "run",
        *map(str, inputs),
        "--db",
        str(tmp / "store.sqlite"),
        "--out",
        str(out),
        "--model",
        str(model),
        "--config",
        str(config),
        "-q",
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=_env(), timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"golden run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return out


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONHASHSEED": "0"})
    env.pop("PIPELINE_MODEL_PATH", None)
    return env


def seeds_outputs(tmp: Path, model: Path) -> dict[str, str]:
    out = run_pipeline(tmp, model, REPO / "seeds")
    return normalised_outputs(out, [REPO, tmp, model])


def external_jsonl(path: Path) -> Path:
    """FLORES dev as pieces: Arabic with opus-mt's published translation, and the English references."""
    ar = (FLORES / "flores-dev.ar").read_text(encoding="utf-8").splitlines()
    mt = (FLORES / "flores-dev.opusmt.en").read_text(encoding="utf-8").splitlines()
    en = (FLORES / "flores-dev.en").read_text(encoding="utf-8").splitlines()
    lines = []
    for d in range(EXTERNAL_DOCS):
        span = slice(5 * d, 5 * d + 5)
        lines.append({"text": "\n".join(ar[span]), "translation": "\n".join(mt[span]), "model": "opus-mt-published"})
        if d % 3:  # a third of the documents have no English coverage
            lines.append({"text": "\n".join(en[span]), "lang": "en"})
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def external_outputs(tmp: Path, model: Path) -> dict[str, str]:
    source = external_jsonl(tmp / "flores.jsonl")
    out = run_pipeline(tmp, model, source)
    return {name: digest(text) for name, text in normalised_outputs(out, [REPO, tmp, model]).items()}


def harness_outputs() -> dict[str, Any]:
    """The aligner with the shipped defaults on the harness's constructions of the held-out half (opus-mt)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import eval_align

    from pipeline.align import AlignSettings, align_pieces
    from pipeline.config import Config

    settings = Config.load().section("align", AlignSettings)
    ref, hyp = eval_align.load_lines("en"), eval_align.load_lines("opusmt.en")
    _, check_half = eval_align.halves(len(ref), eval_align.CALIBRATION_SEED)
    out: dict[str, Any] = {}
    for kind in ("parallel", "2+3", "near-miss"):
        data = eval_align.build(kind, hyp, ref, check_half, 13)
        result = align_pieces(data.translated, data.english, settings)
        # the aligner's decisions; a match's chrF similarity is the align stage's, not align_pieces' (None here)
        matches = json.dumps([m.model_dump(exclude={"similarity"}) for m in result.matches], sort_keys=True, ensure_ascii=False)
        out[kind] = {
            "matches": digest(matches),
            "abstentions": digest(json.dumps(result.abstentions, sort_keys=True, ensure_ascii=False)),
        }
    return out


def write_golden(tmp: Path, model: Path) -> None:
    """Regenerate every golden file (scripts/update-golden)."""
    seeds_dir = GOLDEN / "seeds"
    seeds_dir.mkdir(parents=True, exist_ok=True)
    (tmp / "seeds").mkdir()
    for name, text in seeds_outputs(tmp / "seeds", model).items():
        (seeds_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (seeds_dir / name).write_text(text, encoding="utf-8")
    (tmp / "external").mkdir()
    flores = {"external": external_outputs(tmp / "external", model), "harness": harness_outputs()}
    (GOLDEN / "flores.json").write_text(json.dumps(flores, indent=2, sort_keys=True) + "\n", encoding="utf-8")
