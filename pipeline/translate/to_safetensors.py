"""Pickle weights to safetensors, on request: `pipeline model convert DIR`.

The pipeline refuses pickle weights (pytorch_model.bin), because unpickling can
run code. Many checkpoints exist only in that form, on disk or on the hub. This
turns one into a folder the pipeline loads, the way the hub's conversion bot
does, with two differences: it only runs when a user asks for it, and it
checks its output.

1. The weights are read with `torch.load(..., weights_only=True)`. That loader
   only rebuilds tensors and plain containers, and refuses any other object the
   pickle names, so no code from the file runs.
2. They are put into the architecture that config.json names, built by
   transformers (never remote code). Tied weights (Marian's embeddings and
   output layer are one tensor under several names) are then saved once, by
   transformers' own `save_pretrained`.
3. The written file is loaded back through transformers, and every tensor of
   the pickle must come back equal. A conversion that would change a weight
   is refused.

The new model.safetensors is written beside the pickle, or into a new folder
with the tokenizer and config files (`--to`), through a scratch file renamed
into place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pipeline.errors import UsageError
from pipeline.translate.model import unavailable

PICKLE_NAMES = ("pytorch_model.bin", "pytorch_model.bin.index.json")


def convert_to_safetensors(folder: Path, target: Path | None = None) -> Path:
    """Write model.safetensors for the pickle checkpoint in `folder` (into `target` when given); return its folder."""
    folder = folder.expanduser()
    if not (folder / "config.json").is_file():
        raise UsageError(f"{folder}: not a model folder (no config.json)")
    if (folder / "model.safetensors").exists() and target is None:
        raise UsageError(f"{folder}: already has model.safetensors; nothing to convert")
    state = _load_pickle_weights(folder)
    out = folder if target is None else _prepare_target(folder, target.expanduser())
    with tempfile.TemporaryDirectory(dir=out, prefix=".converting-") as scratch:
        _save_through_transformers(folder, state, Path(scratch))
        _check_round_trip(Path(scratch), state)
        os.replace(Path(scratch) / "model.safetensors", out / "model.safetensors")
    return out


def _load_pickle_weights(folder: Path) -> dict[str, Any]:
    """Every tensor of pytorch_model.bin (or of its shards, by the index), loaded with weights_only=True."""
    import torch

    index = folder / "pytorch_model.bin.index.json"
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
    elif (folder / "pytorch_model.bin").is_file():
        shards = ["pytorch_model.bin"]
    else:
        raise UsageError(f"{folder}: no pickle weights (pytorch_model.bin) to convert")
    state: dict[str, Any] = {}
    for name in shards:
        try:
            loaded = torch.load(folder / name, map_location="cpu", weights_only=True)
        except Exception as exc:  # the safe loader refuses anything but tensors; a damaged file fails too
            raise unavailable(str(folder / name), f"cannot be read as plain weights ({type(exc).__name__}: {exc})") from exc
        state.update(loaded.get("state_dict", loaded) if isinstance(loaded, dict) else {})
    if not state or not all(isinstance(t, torch.Tensor) for t in state.values()):
        raise unavailable(str(folder), "its pickle holds no tensors by name (not a state dict)")
    return state


def _prepare_target(folder: Path, target: Path) -> Path:
    """A new folder with `folder`'s config and tokenizer files (no weights)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target}: exists and is not an empty folder")
    target.mkdir(parents=True, exist_ok=True)
    for file in sorted(folder.iterdir()):
        weights = file.name.startswith("pytorch_model") or file.suffix in {".safetensors", ".h5", ".ot", ".msgpack"}
        if file.is_file() and not weights and not file.name.startswith("."):
            shutil.copyfile(file, target / file.name)
    return target


def _save_through_transformers(folder: Path, state: dict[str, Any], scratch: Path) -> None:
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    config = AutoConfig.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    model = AutoModelForSeq2SeqLM.from_config(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = _tied_names(model)
    optional = _patterns(model, "_keys_to_ignore_on_load_missing")
    untied_missing = [name for name in missing if name not in tied and not any(p.search(name) for p in optional)]
    if untied_missing or unexpected:
        raise unavailable(
            str(folder),
            f"its weights do not fit the architecture config.json names ({config.model_type}): "
            f"missing {untied_missing[:5]}, unexpected {list(unexpected)[:5]}",
        )
    model.save_pretrained(str(scratch), safe_serialization=True)


def _tied_names(model: Any) -> set[str]:
    """Names that share their tensor with another name (filled by loading that one)."""
    by_storage: dict[int, list[str]] = {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        by_storage.setdefault(tensor.data_ptr(), []).append(name)
    return {name for names in by_storage.values() if len(names) > 1 for name in names}


def _patterns(model: Any, attribute: str) -> list[re.Pattern[str]]:
    """The architecture's own lists of names transformers does not save or need (e.g. sinusoidal positions)."""
    return [re.compile(p) for p in getattr(model, attribute, None) or []]


def _check_round_trip(scratch: Path, state: dict[str, Any]) -> None:
    """Every saved tensor of the pickle, read back from the written file through transformers, is equal.

    Names the architecture declares unsaved (`_keys_to_ignore_on_save`: values it
    computes, such as sinusoidal position tables) are rebuilt on load, not read.
    """
    import torch
    from transformers import AutoModelForSeq2SeqLM

    model = AutoModelForSeq2SeqLM.from_pretrained(
        str(scratch), local_files_only=True, trust_remote_code=False, use_safetensors=True
    )
    loaded, computed = model.state_dict(), _patterns(model, "_keys_to_ignore_on_save")
    changed = [
        name
        for name, tensor in state.items()
        if not any(p.search(name) for p in computed) and (name not in loaded or not torch.equal(loaded[name], tensor))
    ]
    if changed:
        raise unavailable(
            str(scratch), f"the converted weights differ from the pickle's ({', '.join(changed[:5])}); nothing written"
        )
