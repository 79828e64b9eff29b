"""Converting the checkpoint to CTranslate2, once, into a cache keyed by the checkpoint.

The CTranslate2 model is derived data: the key hashes the checkpoint's id,
revision and file contents plus the CTranslate2 version, so a changed
checkpoint or an upgraded library converts again and nothing stale is used.
We convert without quantization (float32) and let CTranslate2 quantize at
load time, so one conversion serves int8 on CPU, float16 on GPU and float32
for the equivalence tests. The conversion writes to a temporary folder and
renames it into place, so a crash never leaves a half-written model behind;
it runs under a lock file beside the cache, so the workers of one machine
starting together (Ray actors) convert once and the others wait for it.

Checked with ctranslate2 4.8 and transformers 5.x: `TransformersConverter`
converts MarianMT checkpoints as they are (it drops the <pad> row that
transformers adds and starts the decoder from a zero embedding, as Marian
does), and the float32 output matches transformers token for token.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.translate.model import ResolvedModel

DEFAULT_CACHE = Path("~/.cache/arabic-press-pipeline/ct2")


class ConversionError(RuntimeError):
    """CTranslate2 could not convert the checkpoint (the caller may fall back to transformers)."""


def ct2_cache_root(cache_dir: str | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir else DEFAULT_CACHE.expanduser()


def converted_model(model: ResolvedModel, cache_dir: str | None) -> Path:
    """The CTranslate2 folder for `model`, converting it on first use."""
    import ctranslate2

    key = hashlib.sha256(
        json.dumps([model.model_id, model.revision, model.fingerprint, ctranslate2.__version__]).encode()
    ).hexdigest()[:16]
    slug = re.sub(r"[^\w.-]+", "-", model.model_id).strip("-")
    root = ct2_cache_root(cache_dir)
    target = root / f"{slug}-{key}"
    if (target / "model.bin").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _conversion_lock(root / f"{slug}-{key}.lock"):  # stays: removing a lock file others wait on races
        if (target / "model.bin").is_file():  # converted by the process we waited for
            return target
        _convert(model, root / f".{slug}-{key}.{os.getpid()}.tmp", target)
    return target


@contextmanager
def _conversion_lock(path: Path) -> Iterator[None]:
    """One conversion at a time per cache folder (several workers of one machine start together)."""
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _convert(model: ResolvedModel, scratch: Path, target: Path) -> None:
    from ctranslate2.converters import TransformersConverter
    from transformers.utils import logging as hf_logging

    shutil.rmtree(scratch, ignore_errors=True)
    try:
        hf_logging.disable_progress_bar()
        converter = TransformersConverter(str(model.path), trust_remote_code=False)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*sacremoses.*")
            converter.convert(str(scratch), quantization=None, force=True)
        (scratch / "source.json").write_text(
            json.dumps({"model": model.model_id, "revision": model.revision, "path": str(model.path)}, indent=2)
        )
        try:
            scratch.rename(target)
        except OSError:  # another process finished first: use theirs
            if not (target / "model.bin").is_file():
                raise
    except Exception as exc:
        raise ConversionError(f"CTranslate2 conversion of {model.path} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
