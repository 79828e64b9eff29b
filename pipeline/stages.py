"""The stages in pipeline order, and every config section with its settings model — by name.

`pipeline run` is the ledger over :data:`PIPELINE`; each CLI verb is the
ledger over one of them (`ingest` over ingest and detect). A stage is
swapped or added here, by name, without touching the ledger or the CLI.

Both registries name ``module:attribute`` and import on first use: a verb
loads only the stages it runs (`pipeline status` or `ingest` should not pay
for numpy, scikit-learn and the exporters, ~45 MB and half a second).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import import_module
from typing import Any

from pydantic import BaseModel

from pipeline.stage import Report, Stage

PIPELINE: tuple[str, ...] = ("ingest", "detect", "translate", "diagnose", "align", "export")

_STAGES: dict[str, str] = {
    "ingest": "pipeline.ingest.stage:IngestStage",
    "detect": "pipeline.detect:DetectStage",
    "translate": "pipeline.translate.stage:TranslateStage",
    "diagnose": "pipeline.evaluate.diagnostics:DiagnoseStage",
    "align": "pipeline.align.stage:AlignStage",
    "export": "pipeline.export:ExportStage",
    "evaluate": "pipeline.evaluate.store_eval:EvaluateStage",
    "annotations": "pipeline.annotations.stage:AnnotationsStage",
}

# Every section a config may have, in the order the docs list them.
_SECTIONS: dict[str, str] = {
    "store": "pipeline.config:StoreSettings",
    "output": "pipeline.config:OutputSettings",
    "ingest": "pipeline.ingest.settings:IngestSettings",
    "detect": "pipeline.detect:DetectSettings",
    "model": "pipeline.translate.settings:ModelSettings",
    "translate": "pipeline.translate.settings:TranslateSettings",
    "diagnostics": "pipeline.evaluate.settings:DiagnosticsSettings",
    "align": "pipeline.align.matcher:AlignSettings",
    "evaluate": "pipeline.evaluate.settings:EvaluateSettings",
    "export": "pipeline.export:ExportSettings",
    "annotations": "pipeline.annotations.stage:AnnotationSettings",
    "executor": "pipeline.executor.settings:ExecutorSettings",
}
SECTION_NAMES: tuple[str, ...] = tuple(_SECTIONS)


def _load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(import_module(module), attribute)


@cache
def stage(name: str) -> Stage[Report]:
    """The stage called `name` (one instance per process)."""
    if name not in _STAGES:
        raise KeyError(f"no stage {name!r}; stages: {', '.join(_STAGES)}")
    stage_class = _load(_STAGES[name])
    instance: Stage[Report] = stage_class()
    return instance


def stages(*names: str) -> list[Stage[Report]]:
    """The named stages, in the order given."""
    return [stage(name) for name in names]


def sections() -> Mapping[str, type[BaseModel]]:
    """Every config section and its settings model (imports every stage's settings)."""
    return {name: _load(path) for name, path in _SECTIONS.items()}
