"""A local copy of a hub checkpoint: `pipeline model fetch`, for machines the hub cannot reach.

Why not `hf download`: the default checkpoint's commits publish pickle weights
only (pipeline/models/opus-mt-ar-en.yaml), which the pipeline refuses, so that
recipe ends in a folder it will not load. `fetch_model` resolves the checkpoint
exactly as a run does (:func:`pipeline.translate.model.resolve_model`: the
pinned revision, the conversion bot's safetensors pull request, the manifest's
weight digests, the hub deadline), then copies the resolved files (never the
pickle weights) into a folder, with `.pipeline-source.json` recording the hub
id, the commit downloaded, the ref it came from and the commit it converts.

A folder with that record keeps its hub identity when it is loaded
(:func:`pipeline.translate.model.recorded_identity`): translations made from `models/opus-mt-ar-en` record
`Helsinki-NLP/opus-mt-ar-en@<commit>`, as those made through the hub do, and so
share the translation cache with them. The record is only believed while the
folder's weights still have the digests it lists.

The copy is made in a scratch folder beside the target and renamed into place,
so an interrupted fetch never leaves a half-filled model folder.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.errors import UsageError
from pipeline.translate.model import SOURCE_RECORD, ResolvedModel, resolve_model
from pipeline.translate.settings import TranslatorSettings


def fetch_model(settings: TranslatorSettings, target: Path, *, replace_existing: bool = False) -> ResolvedModel:
    """Resolve `settings`' checkpoint as a run would, and copy its files into `target`."""
    target = target.expanduser()
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not replace_existing:
        raise UsageError(f"{target}: not empty; give an empty folder, or --replace to overwrite the model in it")
    resolved = resolve_model(settings.model_copy(update={"model": settings.model.model_copy(update={"path": None})}))
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".{target.name}.{os.getpid()}.fetching"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        scratch.mkdir()
        for file in sorted(resolved.path.iterdir()):
            if file.is_file() and not file.name.startswith("."):
                shutil.copyfile(file, scratch / file.name)  # the cache's links resolved: real files
        (scratch / SOURCE_RECORD).write_text(json.dumps(_record(resolved), indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return replace(resolved, path=target.resolve(), origin="local copy")


def _record(model: ResolvedModel) -> dict[str, Any]:
    return {
        "id": model.model_id,
        "revision": model.revision,
        "ref": model.ref,
        "converted_from": model.converted_from,
        "weights_sha256": dict(model.weights_sha256),
    }
