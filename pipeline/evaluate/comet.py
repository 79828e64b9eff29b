"""Optional COMET scores, from a local checkpoint folder only.

COMET is a learned metric (source + hypothesis + reference → score). It is an
optional extra (`pip install .[comet]`, i.e. unbabel-comet) because it brings
pytorch-lightning and pins older transformers/numpy than the pipeline uses,
and because its weights cannot be downloaded on machines without the hub. So
it is imported only when `evaluate.comet_model` names a folder; when it does
not, evaluation says so once and goes on without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.evaluate.result import CometInfo
from pipeline.evaluate.settings import EvaluateSettings
from pipeline.progress import QUIET, Reporter

NOT_CONFIGURED = "COMET: no model configured (evaluate.comet_model); skipped"


def find_checkpoint(folder: Path) -> Path | None:
    """A COMET model folder holds checkpoints/model.ckpt (as downloaded from the hub)."""
    if folder.is_file() and folder.suffix == ".ckpt":
        return folder
    for candidate in (folder / "checkpoints" / "model.ckpt", *sorted(folder.glob("**/*.ckpt"))):
        if candidate.is_file():
            return candidate
    return None


def comet_scores(
    sources: Sequence[str] | None,
    systems: Mapping[str, Sequence[str]],
    references: Sequence[str],
    settings: EvaluateSettings,
    reporter: Reporter = QUIET,
) -> tuple[CometInfo, dict[str, float]]:
    """System-level COMET of each system, or a CometInfo saying why there is none."""
    if not settings.comet_model:
        return _skip("skipped", None, NOT_CONFIGURED, reporter)
    model_dir = Path(settings.comet_model)
    checkpoint = find_checkpoint(model_dir)
    if checkpoint is None:
        return _skip("failed", str(model_dir), f"COMET: no checkpoint (*.ckpt) under {model_dir}; skipped", reporter)
    if sources is None:
        return _skip("skipped", str(model_dir), "COMET: needs the source segments (--src FILE); skipped", reporter)
    try:
        from comet import load_from_checkpoint  # lazy: the `comet` extra is optional
    except ImportError:
        return _skip(
            "failed",
            str(model_dir),
            "COMET: the unbabel-comet package is not installed (pip install '.[comet]'); skipped",
            reporter,
        )
    reporter.info(f"COMET: scoring with {checkpoint}")
    try:
        model = load_from_checkpoint(str(checkpoint))
        scores = {}
        for name, hyps in systems.items():
            data = [{"src": s, "mt": h, "ref": r} for s, h, r in zip(sources, hyps, references)]
            output = model.predict(data, batch_size=settings.comet_batch_size, gpus=0, progress_bar=False)
            scores[name] = float(output.system_score)
    except Exception as exc:  # a broken checkpoint must not lose the sacreBLEU scores
        return _skip("failed", str(model_dir), f"COMET: scoring failed ({type(exc).__name__}: {exc}); skipped", reporter)
    return CometInfo(status="scored", model=str(model_dir), message=f"COMET scored with {checkpoint}"), scores


def _skip(status: str, model: str | None, message: str, _reporter: Reporter) -> tuple[CometInfo, dict[str, float]]:
    # Not printed here: the CLI prints CometInfo.message once, after the scores.
    return CometInfo(status=status, model=model, message=message), {}
