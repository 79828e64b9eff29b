"""Finding the checkpoint: a local folder, the Hugging Face cache, or the hub — fast and safetensors only.

Why this module does more than call `from_pretrained(hub_id)`: on a machine
without network, transformers retries every file with back-off and gives up
after minutes (and then with an unrelated TypeError). We therefore always
load from a *local folder*, and get one first: the folder given by --model,
$PIPELINE_MODEL_PATH or `model.path`; else the snapshot already in the
Hugging Face cache; else we ask the hub, every call in a thread with a hard
deadline (`model.hub_timeout_s`, DNS stalls included), and download only
then. Every failure is a :class:`ModelUnavailable` whose message says how
to point at a local copy.

Safety: weights are loaded from safetensors only, never with remote code; a
folder holding only pickle weights (pytorch_model.bin) is refused unless
`model.allow_pickle: true`.

Pickle-only hub revisions: many hub repositories (Helsinki-NLP/opus-mt-ar-en
among them) publish only pytorch_model.bin on their branches; the hub's
conversion bot offers the safetensors variant as a pull request. When the
revision asked for has no safetensors, we look for that pull request the way
transformers does (`transformers.safetensors_conversion.previous_pr`): an
*open* pull request titled "Adding `safetensors` variant of this model",
authored by the bot (transformers trusts no one else's), whose parent commit
is exactly the commit asked for, so it holds the same files plus
model.safetensors. We download that commit (refs/pr/N), never its pickle
file. Unlike transformers we never ask the bot to convert (that writes to
the hub); without such a pull request the revision is refused, naming
`model.allow_pickle`.

Provenance: :class:`ResolvedModel` records the commit actually downloaded
(`revision`), the ref it came from (`ref`: "main", "refs/pr/1", ...), the
commit whose pickle weights were converted (`converted_from`) and the
SHA-256 of the weight files; a manifest in models/ may pin those digests.
For offline reuse the resolution is written into the cache as refs
(refs/<revision>, refs/refs/pr/N and refs/safetensors-conversion/<commit>),
the files huggingface_hub itself uses to map names to commits.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pipeline.errors import ModelUnavailable
from pipeline.files import file_kind, is_utf8_name, path_text
from pipeline.translate.settings import MODEL_PATH_ENV, ModelSettings, TranslatorSettings

MANIFEST_DIR = resources.files("pipeline") / "models"  # model manifests, shipped inside the package
_HINT = (
    "Point at a local copy of the model: `--model /path/to/opus-mt-ar-en`, "
    f"or `model.path: /path/to/opus-mt-ar-en` in the config, or `export {MODEL_PATH_ENV}=/path/to/opus-mt-ar-en`, "
    "or put it in ./models/opus-mt-ar-en, where a run finds it (a folder with config.json, model.safetensors, "
    "source.spm, target.spm and vocab.json). To make one: `pipeline model fetch --to models/opus-mt-ar-en` on a "
    "machine with network, then copy the folder here; a folder with only pytorch_model.bin becomes loadable with "
    "`pipeline model convert DIR`."
)
# Files a Marian checkpoint needs; weights are added according to what the repo offers.
_HUB_FILES = ("config.json", "generation_config.json", "*.spm", "vocab.json", "tokenizer_config.json", "special_tokens_map.json")
_SAFETENSORS = ("*.safetensors", "*.safetensors.index.json")
_PICKLE = ("pytorch_model*.bin", "pytorch_model.bin.index.json")
# The hub's safetensors conversion, as transformers recognises it (safetensors_conversion.py).
CONVERSION_BOT = "SFconvertbot"
CONVERSION_TITLE = "Adding `safetensors` variant of this model"
_CONVERSION_REF = "safetensors-conversion"  # cache ref: refs/safetensors-conversion/<commit> -> its conversion
_COMMIT = re.compile(r"[0-9a-f]{40}")
SOURCE_RECORD = ".pipeline-source.json"  # a local copy's hub identity (local_copy.py); hidden, so not fingerprinted
T = TypeVar("T")


@dataclass(frozen=True)
class ResolvedModel:
    """A checkpoint on local disk, with the identity recorded in every translation."""

    model_id: str  # hub id, or "local:<folder name>"
    revision: str  # hub commit sha of the files loaded, or "sha256:<16 hex>" of a local folder's files
    path: Path
    weights: str  # "safetensors" or "pickle"
    fingerprint: str  # changes whenever any file of the checkpoint changes
    origin: str  # "local folder", "local copy" (of a hub checkpoint, local_copy.py), "hub cache" or "hub download"
    ref: str | None = None  # hub ref the files came from: "main", a pinned commit, "refs/pr/N"; None for a folder
    converted_from: str | None = None  # commit asked for, whose pickle weights `revision` converts to safetensors
    weights_sha256: dict[str, str] = field(default_factory=dict, hash=False)  # weight file name -> SHA-256

    def provenance(self) -> dict[str, Any]:
        """The model as a translation records it: `id` and `revision` as before, plus where the weights came from."""
        return {
            "id": self.model_id,
            "revision": self.revision,
            "ref": self.ref,
            "weights": self.weights,
            "weights_sha256": dict(self.weights_sha256),
            "converted_from": self.converted_from,
            "origin": self.origin,
        }

    def describe(self) -> str:
        """One line for logs: id@commit, and the ref when the weights did not come from the revision asked for."""
        name = f"{self.model_id}@{self.revision}"
        if self.converted_from:
            return (
                f"{name} (safetensors weights from {self.ref or 'a conversion pull request'}, the conversion bot's "
                f"pull request for commit {self.converted_from}, which publishes only pickle weights)"
            )
        if self.weights == "pickle":
            return f"{name} (pickle weights, accepted because model.allow_pickle is true)"
        return name


def unavailable(source: str, why: str) -> ModelUnavailable:
    """The error for every way loading can fail; `.reason` is the message without the how-to."""
    return ModelUnavailable(f"cannot load the translation model {source}: {why}", _HINT)


def resolve_model(settings: TranslatorSettings) -> ResolvedModel:
    """Find the checkpoint on disk (downloading it only when the hub answers quickly).

    `model.path` (and $PIPELINE_MODEL_PATH, which sets it) names a local copy:
    whatever it holds, it is never taken for a hub id. `model.name` is a
    folder when one is there, else a hub id; a file there is no model.
    """
    source = settings.model_source()
    path = Path(source).expanduser()
    found = _local_kind(path)
    if found == "a folder":
        return _from_folder(path, settings.model.allow_pickle, "local folder")
    if found is not None:
        raise unavailable(source, f"{found}, not a model folder")
    if settings.model.path is not None:
        raise unavailable(
            source, f"no such folder (model.path, which ${MODEL_PATH_ENV} sets, names a local copy, never a hub id)"
        )
    if source.startswith((".", "/", "~")) or not _looks_like_hub_id(source):
        raise unavailable(source, "no such folder")
    return _from_hub(source, settings.model)


def _local_kind(path: Path) -> str | None:
    """What is at `path` ("a folder", "is a file", "is a FIFO (named pipe)", "cannot be read: …"), or None when nothing is.

    os.stat, not Path.is_dir(): that raises past "no such file" (a name too long, a folder on the way not searchable).
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "a folder"
    return f"is {file_kind(mode) or 'a file'}"


def load_manifest(model_id: str) -> dict[str, Any] | None:
    """The manifest in pipeline/models/ describing `model_id` (hub id, pinned revision, license), if any."""
    found = _find_manifest(model_id)
    return found[1] if found else None


def _find_manifest(model_id: str) -> tuple[Any, dict[str, Any]] | None:
    for file in sorted(MANIFEST_DIR.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        if data.get("id") == model_id:
            return file, data
    return None


def _looks_like_hub_id(source: str) -> bool:
    return re.fullmatch(r"[\w.-]+(/[\w.-]+)?", source) is not None


def _is_commit(revision: str) -> bool:
    return _COMMIT.fullmatch(revision) is not None


# -- local folders -------------------------------------------------------------


def _from_folder(
    path: Path, allow_pickle: bool, origin: str, ref: str | None = None, converted_from: str | None = None
) -> ResolvedModel:
    path = path.resolve()
    weights = check_folder(path, allow_pickle)
    digests = file_digests(path)
    snapshot = _hub_snapshot_identity(path)
    fingerprint = folder_fingerprint(path, digests)
    patterns = _SAFETENSORS if weights == "safetensors" else _PICKLE
    weights_sha256 = {name: sha for name, sha in digests.items() if any(fnmatch(name, p) for p in patterns)}
    recorded = recorded_identity(path, weights_sha256) if snapshot is None else None
    if snapshot is not None:
        model_id, revision = snapshot
    elif recorded is not None:
        model_id, revision, origin = recorded["id"], recorded["revision"], "local copy"
        ref, converted_from = recorded.get("ref"), recorded.get("converted_from")
    else:
        model_id, revision = f"local:{path_text(path.name)}", f"sha256:{fingerprint[:16]}"
    return ResolvedModel(model_id, revision, path, weights, fingerprint, origin, ref, converted_from, weights_sha256)


def recorded_identity(folder: Path, weights_sha256: dict[str, str]) -> dict[str, Any] | None:
    """The hub identity `pipeline model fetch` recorded in `folder`, while its weights are the ones fetched.

    A folder whose weights were changed or replaced since is what it is now: a
    local folder, named by the digest of its files.
    """
    try:
        record = json.loads((folder / SOURCE_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ("id", "revision")):
        return None
    if record.get("weights_sha256") != weights_sha256 or not weights_sha256:
        return None
    return record


def check_folder(path: Path, allow_pickle: bool) -> str:
    """Which weights to load from `path`: "safetensors", or "pickle" when explicitly allowed."""
    if not (path / "config.json").is_file():
        raise unavailable(str(path), "not a model folder (no config.json)")
    if not is_utf8_name(path):
        raise unavailable(
            str(path),
            "its path is not valid UTF-8 text, which the tokenizer cannot open; rename the folder (or link it under a UTF-8 name)",
        )
    if any(path.glob("*.safetensors")):
        return "safetensors"
    if any(path.glob("pytorch_model*.bin")):
        if allow_pickle:
            return "pickle"
        raise unavailable(
            str(path),
            "it holds only pickle weights (pytorch_model.bin), which can run arbitrary code when loaded; "
            f"`pipeline model convert {path_text(path)}` writes model.safetensors from them without running the pickle's code, "
            "or set `model.allow_pickle: true` if you trust this folder",
        )
    raise unavailable(str(path), "no weights found (expected model.safetensors)")


def file_digests(path: Path) -> dict[str, str]:
    """SHA-256 (hex) of every file of the checkpoint by name, hidden files skipped."""
    digests = {}
    for file in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
        with open(file, "rb") as handle:
            digests[path_text(file.name)] = hashlib.file_digest(handle, "sha256").hexdigest()  # a name as text
    return digests


def folder_fingerprint(path: Path, digests: dict[str, str] | None = None) -> str:
    """SHA-256 over the names and contents of the checkpoint's files (hidden files skipped)."""
    digests = file_digests(path) if digests is None else digests
    digest = hashlib.sha256()
    for name in sorted(digests):
        digest.update(name.encode() + b"\0")
        digest.update(bytes.fromhex(digests[name]))
    return digest.hexdigest()


def _hub_snapshot_identity(path: Path) -> tuple[str, str] | None:
    """(hub id, commit) when `path` is a snapshot inside a Hugging Face cache."""
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
        repo = path.parent.parent.name[len("models--") :].replace("--", "/")
        return repo, path.name
    return None


# -- the hub -----------------------------------------------------------------------


@dataclass(frozen=True)
class _HubSource:
    """What to download: a commit, the ref it was found under, and which files."""

    ref: str
    commit: str
    files: tuple[str, ...]  # every file of the commit (model_info's siblings)
    patterns: tuple[str, ...]  # those to download
    converted_from: str | None = None


def _from_hub(repo_id: str, settings: ModelSettings) -> ResolvedModel:
    from huggingface_hub import constants

    manifest = _find_manifest(repo_id)
    pinned = (manifest[1] if manifest else {}).get("revision")
    revision = settings.revision or pinned or "main"
    cached = _cached_snapshot(repo_id, revision, settings)
    if cached is not None:
        return _check_pins(cached, manifest, settings)
    if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise unavailable(repo_id, "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set")
    endpoint = (settings.hub_endpoint or constants.ENDPOINT).rstrip("/")
    info = _ask_hub(repo_id, revision, endpoint, settings.hub_timeout_s)
    source = _choose_source(repo_id, revision, info, endpoint, settings)
    folder = _download(repo_id, source, endpoint, settings)
    _remember(folder, revision, info.sha, source)
    model = _from_folder(folder, settings.allow_pickle, "hub download", source.ref, source.converted_from)
    return _check_pins(model, manifest, settings)


def _choose_source(repo_id: str, revision: str, info: Any, endpoint: str, settings: ModelSettings) -> _HubSource:
    """Safetensors of `revision`; else the conversion bot's pull request for it; else pickle, if allowed."""
    files = _file_names(info)
    if _has(files, _SAFETENSORS):
        return _HubSource(revision, info.sha, tuple(files), (*_HUB_FILES, *_SAFETENSORS))
    pickle = _has(files, _PICKLE)
    others: list[tuple[str, str]] = []
    if pickle:
        conversion, others = _find_conversion(repo_id, info.sha, endpoint, settings.hub_timeout_s)
        if conversion is not None:
            return conversion
        if settings.allow_pickle:
            return _HubSource(revision, info.sha, tuple(files), (*_HUB_FILES, *_PICKLE))
    raise unavailable(repo_id, _no_safetensors(info.sha, pickle, others))


def _find_conversion(
    repo_id: str, commit: str, endpoint: str, timeout_s: float
) -> tuple[_HubSource | None, list[tuple[str, str]]]:
    """The bot's open safetensors pull request whose parent is `commit` (as transformers' `previous_pr`).

    Also returns (ref, parent) of the bot's conversions of *other* commits, for the error message.
    """
    pulls = _within_deadline(repo_id, endpoint, timeout_s, partial(_conversion_pulls, repo_id=repo_id))
    others = []
    for ref in pulls:
        history = _within_deadline(repo_id, endpoint, timeout_s, partial(_last_two_commits, repo_id=repo_id, ref=ref), ref)
        if len(history) < 2:
            continue
        head, parent = history
        if parent != commit:
            others.append((ref, parent))
            continue
        info = _ask_hub(repo_id, head, endpoint, timeout_s)
        files = _file_names(info)
        if _has(files, _SAFETENSORS):
            return _HubSource(ref, info.sha, tuple(files), (*_HUB_FILES, *_SAFETENSORS), converted_from=commit), others
    return None, others


def _conversion_pulls(api: Any, repo_id: str) -> list[str]:
    """Refs (refs/pr/N) of the open pull requests the conversion bot opened with its title, newest first."""
    found = api.get_repo_discussions(repo_id, author=CONVERSION_BOT, discussion_type="pull_request", discussion_status="open")
    return [
        d.git_reference
        for d in found
        if d.is_pull_request and d.status == "open" and d.author == CONVERSION_BOT and d.title == CONVERSION_TITLE
    ]


def _last_two_commits(api: Any, repo_id: str, ref: str) -> list[str]:
    return [c.commit_id for c in api.list_repo_commits(repo_id, revision=ref)[:2]]


def _no_safetensors(commit: str, pickle: bool, others: list[tuple[str, str]]) -> str:
    why = f"revision {commit} publishes no safetensors weights"
    if not pickle:
        return why
    why += f" (only pickle weights), and no open pull request by {CONVERSION_BOT} converts that commit to safetensors"
    for ref, parent in others:
        why += f"; {ref} converts commit {parent} instead (set `model.revision: {parent}` to use it)"
    return why + "; set `model.allow_pickle: true` to accept the pickle weights"


def _file_names(info: Any) -> list[str]:
    return [s.rfilename for s in (info.siblings or [])]


def _has(files: list[str], patterns: tuple[str, ...]) -> bool:
    return any(fnmatch(f, p) for f in files for p in patterns)


def _download(repo_id: str, source: _HubSource, endpoint: str, settings: ModelSettings) -> Path:
    """The files of `source` matching its patterns, into the cache's snapshot of its commit.

    File by file from model_info's list, not with `snapshot_download`, whose
    tree listing has no timeout at all (a hub that stops answering there hangs
    it for good). Each file's metadata call has `model.hub_timeout_s` as its
    timeout; after that huggingface_hub's own retries and read timeouts apply,
    as they must for a 300 MB file. config.json comes last, so a snapshot
    holding it is complete.
    """
    from huggingface_hub import hf_hub_download

    wanted = [name for name in source.files if any(fnmatch(name, p) for p in source.patterns)]
    folder = None
    try:
        for name in sorted(wanted, key=lambda n: n == "config.json"):
            folder = Path(
                hf_hub_download(
                    repo_id,
                    name,
                    revision=source.commit,
                    cache_dir=settings.cache_dir,
                    endpoint=endpoint,
                    etag_timeout=settings.hub_timeout_s,
                )
            ).parent
    except Exception as exc:  # network errors come in many classes (httpx, OSError, hub errors)
        raise unavailable(repo_id, f"download from {endpoint} failed: {exc}") from exc
    if folder is None:
        raise unavailable(repo_id, f"commit {source.commit} has no config.json")
    return folder


def _check_pins(model: ResolvedModel, manifest: tuple[Path, dict[str, Any]] | None, settings: ModelSettings) -> ResolvedModel:
    """Refuse weights whose SHA-256 differs from the manifest's pin (only for the manifest's own revision)."""
    if manifest is None or settings.revision is not None:
        return model
    file, data = manifest
    for name, expected in (data.get("weights_sha256") or {}).items():
        actual = model.weights_sha256.get(name)
        if actual != expected:
            found = f"has SHA-256 {actual}" if actual else "has no such file"
            raise unavailable(
                model.model_id,
                f"{name} of commit {model.revision} ({model.ref}) {found}, but {file.name} pins {expected}; "
                "set `model.revision` to load another revision without this pin",
            )
    return model


# -- the hub cache -------------------------------------------------------------------


def _cached_snapshot(repo_id: str, revision: str, settings: ModelSettings) -> ResolvedModel | None:
    """The checkpoint from the Hugging Face cache, no network: `revision`'s snapshot or its cached conversion."""
    storage = _storage(repo_id, settings.cache_dir)
    commit = revision if _is_commit(revision) else _read_ref(storage, revision)
    if commit is None:
        return None
    found = [_usable(storage / "snapshots" / commit, settings.allow_pickle, revision, None)]
    conversion = _read_ref(storage, f"{_CONVERSION_REF}/{commit}")
    if conversion is not None:
        found.append(_usable(storage / "snapshots" / conversion, settings.allow_pickle, _pull_ref(storage, conversion), commit))
    models = [m for m in found if m is not None]
    return next((m for m in models if m.weights == "safetensors"), models[0] if models else None)


def _usable(folder: Path, allow_pickle: bool, ref: str | None, converted_from: str | None) -> ResolvedModel | None:
    if not folder.is_dir():
        return None
    try:
        return _from_folder(folder, allow_pickle, "hub cache", ref, converted_from)
    except ModelUnavailable:
        return None  # an incomplete snapshot (or pickle only): ask the hub


def _storage(repo_id: str, cache_dir: str | None) -> Path:
    """The repository's folder in the Hugging Face cache (layout: models--<org>--<name>/{refs,snapshots,blobs})."""
    from huggingface_hub import constants

    return Path(cache_dir or constants.HF_HUB_CACHE).expanduser() / ("models--" + repo_id.replace("/", "--"))


def _read_ref(storage: Path, name: str) -> str | None:
    file = storage / "refs" / name
    return file.read_text().strip() if file.is_file() else None


def _pull_ref(storage: Path, commit: str) -> str | None:
    """The cached refs/pr/N that points at `commit`, if any."""
    pulls = storage / "refs" / "refs" / "pr"
    for file in sorted(pulls.iterdir()) if pulls.is_dir() else []:
        if file.read_text().strip() == commit:
            return f"refs/pr/{file.name}"
    return None


def _remember(folder: Path, revision: str, commit: str, source: _HubSource) -> None:
    """Write the refs that let a later run find this download offline (downloads by commit write none)."""
    storage = folder.parent.parent
    if not _is_commit(revision):
        _write_ref(storage, revision, commit)
    if source.ref != revision and not _is_commit(source.ref):
        _write_ref(storage, source.ref, source.commit)
    if source.converted_from:
        _write_ref(storage, f"{_CONVERSION_REF}/{source.converted_from}", source.commit)


def _write_ref(storage: Path, name: str, commit: str) -> None:
    file = storage / "refs" / name
    file.parent.mkdir(parents=True, exist_ok=True)
    scratch = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    scratch.write_text(commit)
    os.replace(scratch, file)


# -- asking the hub, with a deadline ---------------------------------------------------


def _ask_hub(repo_id: str, revision: str, endpoint: str, timeout_s: float) -> Any:
    """`model_info` of `revision`, with the hard deadline of every hub call (see `_within_deadline`)."""
    return _within_deadline(
        repo_id, endpoint, timeout_s, lambda api: api.model_info(repo_id, revision=revision, timeout=timeout_s), revision
    )


def _within_deadline(
    repo_id: str, endpoint: str, timeout_s: float, question: Callable[[Any], T], revision: str | None = None
) -> T:
    """`question(HfApi)` with a hard deadline: a thread we stop waiting for, since DNS ignores socket timeouts.

    huggingface_hub shares one HTTP client between threads and closes it whenever any
    request fails to connect, which breaks the reads then in flight in other threads
    ("Bad file descriptor", raised when the read would have timed out). Such a broken
    read says nothing about this hub: the question is asked again while the deadline
    allows, and past it the hub did not answer in time. A refused connection is not
    retried: the hub is unreachable.
    """
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    box: dict[str, Any] = {}
    deadline = time.monotonic() + timeout_s

    def ask() -> None:
        while True:
            try:
                box["answer"] = question(HfApi(endpoint=endpoint))
                return
            except (httpx2.ReadError, httpx2.WriteError, httpx2.CloseError):
                if time.monotonic() >= deadline:
                    box["late"] = True
                    return
                time.sleep(0.05)
            except BaseException as exc:
                box["error"] = exc
                return

    worker = threading.Thread(target=ask, name="hub-probe", daemon=True)
    worker.start()
    worker.join(timeout_s + 0.5)
    error = box.get("error")
    late = worker.is_alive() or "late" in box
    if late or "timeout" in type(error).__name__.lower() or isinstance(error, TimeoutError):
        raise unavailable(repo_id, f"the Hugging Face hub ({endpoint}) did not answer within {timeout_s:g} s")
    if isinstance(error, RevisionNotFoundError):
        raise unavailable(repo_id, f"revision {revision!r} does not exist on {endpoint}")
    if isinstance(error, RepositoryNotFoundError):
        raise unavailable(repo_id, f"no such model on {endpoint}")
    if error is not None:
        raise unavailable(repo_id, f"the Hugging Face hub ({endpoint}) is unreachable: {_short(error)}")
    return box["answer"]


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
