"""Finding the checkpoint: a local folder, the Hugging Face cache, or the hub — fast.

Why this module does more than call `from_pretrained(hub_id)`: on a machine
without network, transformers retries every file with back-off and gives up
after minutes (and then with an unrelated TypeError). We therefore always
load from a *local folder*, and get one first: the folder given by --model,
$PIPELINE_MODEL_PATH or `model.path`; else the snapshot already in the
Hugging Face cache; else we ask the hub once, in a thread with a hard
deadline (`model.hub_timeout_s`, DNS stalls included), and download only
then. Every failure is a :class:`ModelUnavailable` whose message says how
to point at a local copy.

Safety: weights are loaded from safetensors only, never with remote code; a
folder holding only pickle weights (pytorch_model.bin) is refused unless
`model.allow_pickle: true`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ModelUnavailable
from pipeline.translate.settings import MODEL_PATH_ENV, ModelSettings, TranslatorSettings

MANIFEST_DIR = resources.files("pipeline") / "models"  # model manifests, shipped inside the package
_HINT = (
    "Point at a local copy of the model: `--model /path/to/opus-mt-ar-en`, "
    f"or `model.path: /path/to/opus-mt-ar-en` in the config, or `export {MODEL_PATH_ENV}=/path/to/opus-mt-ar-en` "
    "(a folder with config.json, model.safetensors, source.spm, target.spm and vocab.json, "
    "e.g. from `hf download Helsinki-NLP/opus-mt-ar-en --local-dir DIR` on a machine with network)."
)
# Files a Marian checkpoint needs; weights are added according to what the repo offers.
_HUB_FILES = ["config.json", "generation_config.json", "*.spm", "vocab.json", "tokenizer_config.json", "special_tokens_map.json"]


@dataclass(frozen=True)
class ResolvedModel:
    """A checkpoint on local disk, with the identity recorded in every translation."""

    model_id: str  # hub id, or "local:<folder name>"
    revision: str  # hub commit sha, or "sha256:<16 hex>" of a local folder's files
    path: Path
    weights: str  # "safetensors" or "pickle"
    fingerprint: str  # changes whenever any file of the checkpoint changes
    origin: str  # "local folder", "hub cache" or "hub download"


def unavailable(source: str, why: str) -> ModelUnavailable:
    """The error for every way loading can fail; `.reason` is the message without the how-to."""
    return ModelUnavailable(f"cannot load the translation model {source}: {why}", _HINT)


def resolve_model(settings: TranslatorSettings) -> ResolvedModel:
    """Find the checkpoint on disk (downloading it only when the hub answers quickly)."""
    source = settings.model_source()
    path = Path(source).expanduser()
    if path.is_dir():
        return _from_folder(path, settings.model.allow_pickle, "local folder")
    if source.startswith((".", "/", "~")) or not _looks_like_hub_id(source):
        raise unavailable(source, "no such folder")
    return _from_hub(source, settings.model)


def load_manifest(model_id: str) -> dict[str, Any] | None:
    """The manifest in pipeline/models/ describing `model_id` (hub id, pinned revision, license), if any."""
    for file in sorted(MANIFEST_DIR.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        if data.get("id") == model_id:
            return data
    return None


def _looks_like_hub_id(source: str) -> bool:
    return re.fullmatch(r"[\w.-]+(/[\w.-]+)?", source) is not None


# -- local folders -------------------------------------------------------------


def _from_folder(path: Path, allow_pickle: bool, origin: str) -> ResolvedModel:
    path = path.resolve()
    weights = check_folder(path, allow_pickle)
    fingerprint = folder_fingerprint(path)
    snapshot = _hub_snapshot_identity(path)
    if snapshot is not None:
        model_id, revision = snapshot
    else:
        model_id, revision = f"local:{path.name}", f"sha256:{fingerprint[:16]}"
    return ResolvedModel(model_id, revision, path, weights, fingerprint, origin)


def check_folder(path: Path, allow_pickle: bool) -> str:
    """Which weights to load from `path`: "safetensors", or "pickle" when explicitly allowed."""
    if not (path / "config.json").is_file():
        raise unavailable(str(path), "not a model folder (no config.json)")
    if any(path.glob("*.safetensors")):
        return "safetensors"
    if any(path.glob("pytorch_model*.bin")):
        if allow_pickle:
            return "pickle"
        raise unavailable(
            str(path),
            "it holds only pickle weights (pytorch_model.bin), which can run arbitrary code when loaded; "
            "use a copy with model.safetensors, or set `model.allow_pickle: true` if you trust this folder",
        )
    raise unavailable(str(path), "no weights found (expected model.safetensors)")


def folder_fingerprint(path: Path) -> str:
    """SHA-256 over the names and contents of the checkpoint's files (hidden files skipped)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
        digest.update(file.name.encode() + b"\0")
        with open(file, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def _hub_snapshot_identity(path: Path) -> tuple[str, str] | None:
    """(hub id, commit) when `path` is a snapshot inside a Hugging Face cache."""
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
        repo = path.parent.parent.name[len("models--") :].replace("--", "/")
        return repo, path.name
    return None


# -- the hub -----------------------------------------------------------------------


def _from_hub(repo_id: str, settings: ModelSettings) -> ResolvedModel:
    from huggingface_hub import constants, snapshot_download

    manifest = load_manifest(repo_id) or {}
    revision = settings.revision or manifest.get("revision") or "main"
    cached = _cached_snapshot(repo_id, revision, settings)
    if cached is not None:
        return cached
    if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise unavailable(repo_id, "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set")
    endpoint = (settings.hub_endpoint or constants.ENDPOINT).rstrip("/")
    info = _ask_hub(repo_id, revision, endpoint, settings.hub_timeout_s)
    files = [s.rfilename for s in (info.siblings or [])]
    patterns = list(_HUB_FILES)
    if any(f.endswith(".safetensors") for f in files):
        patterns += ["*.safetensors", "*.safetensors.index.json"]
    elif settings.allow_pickle and any(f.startswith("pytorch_model") for f in files):
        patterns += ["pytorch_model*.bin", "pytorch_model.bin.index.json"]
    else:
        raise unavailable(
            repo_id,
            f"revision {info.sha} publishes no safetensors weights"
            + (" (only pickle weights; set `model.allow_pickle: true` to accept them)" if any(f.endswith(".bin") for f in files) else ""),
        )
    try:
        folder = snapshot_download(
            repo_id,
            revision=info.sha,
            cache_dir=settings.cache_dir,
            endpoint=endpoint,
            allow_patterns=patterns,
            etag_timeout=settings.hub_timeout_s,
        )
    except Exception as exc:  # network errors come in many classes (httpx, OSError, hub errors)
        raise unavailable(repo_id, f"download from {endpoint} failed: {exc}") from exc
    return _from_folder(Path(folder), settings.allow_pickle, "hub download")


def _cached_snapshot(repo_id: str, revision: str, settings: ModelSettings) -> ResolvedModel | None:
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(repo_id, revision=revision, cache_dir=settings.cache_dir, local_files_only=True)
    except Exception:  # LocalEntryNotFoundError and friends: not cached
        return None
    try:
        return _from_folder(Path(folder), settings.allow_pickle, "hub cache")
    except ModelUnavailable:
        return None  # an incomplete snapshot: download what is missing


def _ask_hub(repo_id: str, revision: str, endpoint: str, timeout_s: float) -> Any:
    """`model_info` with a hard deadline: a thread we stop waiting for, since DNS ignores socket timeouts."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    box: dict[str, Any] = {}

    def ask() -> None:
        try:
            box["info"] = HfApi(endpoint=endpoint).model_info(repo_id, revision=revision, timeout=timeout_s)
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=ask, name="hub-probe", daemon=True)
    worker.start()
    worker.join(timeout_s + 0.5)
    error = box.get("error")
    if worker.is_alive() or "timeout" in type(error).__name__.lower() or isinstance(error, TimeoutError):
        raise unavailable(repo_id, f"the Hugging Face hub ({endpoint}) did not answer within {timeout_s:g} s")
    if isinstance(error, RevisionNotFoundError):
        raise unavailable(repo_id, f"revision {revision!r} does not exist on {endpoint}")
    if isinstance(error, RepositoryNotFoundError):
        raise unavailable(repo_id, f"no such model on {endpoint}")
    if error is not None:
        raise unavailable(repo_id, f"the Hugging Face hub ({endpoint}) is unreachable: {_short(error)}")
    return box["info"]


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


# -- loading -----------------------------------------------------------------------------


def load_tokenizer(model: ResolvedModel) -> Any:
    """The checkpoint's own tokenizer (SentencePiece for Marian), from local files only."""
    from transformers import AutoTokenizer

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*sacremoses.*")  # Marian never calls it
            return AutoTokenizer.from_pretrained(str(model.path), local_files_only=True, trust_remote_code=False)
    except Exception as exc:
        raise unavailable(str(model.path), f"its tokenizer cannot be loaded: {_short(exc)}") from exc


def load_seq2seq(model: ResolvedModel) -> Any:
    """The transformers model: safetensors unless pickle was explicitly allowed, never remote code."""
    from transformers import AutoModelForSeq2SeqLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return AutoModelForSeq2SeqLM.from_pretrained(
            str(model.path),
            local_files_only=True,
            trust_remote_code=False,
            use_safetensors=model.weights == "safetensors",
        ).eval()
    except Exception as exc:
        raise unavailable(str(model.path), f"its weights cannot be loaded: {_short(exc)}") from exc


def generation_defaults(model: ResolvedModel) -> dict[str, Any]:
    """The checkpoint's generation settings (generation_config.json, else config.json)."""
    for name in ("generation_config.json", "config.json"):
        file = model.path / name
        if file.is_file():
            data = json.loads(file.read_text(encoding="utf-8"))
            if name == "generation_config.json" or "num_beams" in data or "max_length" in data:
                return data
    return {}
