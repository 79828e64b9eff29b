"""The hub path, for real but offline: a fake hub on 127.0.0.1 (tests/fake_hub.py) serving the tiny model.

Three states of a repository: main with safetensors; main with only pickle
and the conversion bot's pull request with safetensors; only pickle
anywhere. Each asserts what is downloaded into the cache, what is refused
and the message, and that translations made through it are the tiny
model's own, with the commit actually used recorded.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml
from fake_hub import FakeHub, FakeRepo
from hub_repos import (
    EXTRAS,
    NEEDED,
    REPO,
    SENTENCES,
    main_with_pickle_and_a_conversion,
    main_with_safetensors,
    only_pickle,
    without,
)
from huggingface_hub import close_session
from reliability_support import cli
from translate_support import add_piece, make_config

import pipeline.translate.model as model_module
from pipeline.errors import ModelUnavailable
from pipeline.store import open_store
from pipeline.translate import TranslatorSettings, load_translator, translate_store
from pipeline.translate.model import CONVERSION_BOT, resolve_model
from pipeline.translate.settings import MODEL_PATH_ENV

DECODING = {"backend": "transformers", "num_beams": 1}


@pytest.fixture(autouse=True)
def no_model_env(monkeypatch):
    monkeypatch.delenv(MODEL_PATH_ENV, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def settings(hub: FakeHub, cache: Path, **model) -> TranslatorSettings:
    model = {"name": REPO, "hub_endpoint": hub.endpoint, "cache_dir": str(cache), "hub_timeout_s": 2, **model}
    return TranslatorSettings.model_validate({"model": model, "translate": DECODING})


def cached_files(cache: Path) -> set[str]:
    """Names of the files in every snapshot of the cache."""
    return {p.name for p in cache.glob("models--*/snapshots/*/*")}


def blob_digests(cache: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in cache.glob("models--*/blobs/*")}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the three states -------------------------------------------------------------


def test_main_with_safetensors_is_downloaded_from_main(checkpoint, tmp_path):
    repo = main_with_safetensors(checkpoint)
    with FakeHub(repo) as hub:
        resolved = resolve_model(settings(hub, tmp_path / "hf"))
    assert (resolved.ref, resolved.revision, resolved.converted_from) == ("main", repo.refs["main"], None)
    assert (resolved.weights, resolved.origin, resolved.path.name) == ("safetensors", "hub download", repo.refs["main"])
    assert resolved.weights_sha256 == {"model.safetensors": sha256(checkpoint["model.safetensors"])}
    assert cached_files(tmp_path / "hf") == NEEDED | {"model.safetensors"}
    assert not hub.fetched("pytorch_model.bin") and not hub.fetched("tf_model.h5")
    assert not hub.fetched("/discussions")  # no conversion looked for when the revision has safetensors
    assert sha256(checkpoint["pytorch_model.bin"]) not in blob_digests(tmp_path / "hf")
    assert resolved.provenance() == {
        "id": REPO,
        "revision": repo.refs["main"],
        "ref": "main",
        "weights": "safetensors",
        "weights_sha256": {"model.safetensors": sha256(checkpoint["model.safetensors"])},
        "converted_from": None,
        "origin": "hub download",
    }


def test_pickle_only_main_takes_the_conversion_bots_pull_request(checkpoint, tmp_path):
    repo = main_with_pickle_and_a_conversion(checkpoint)
    head = repo.refs["refs/pr/1"]
    with FakeHub(repo) as hub:
        resolved = resolve_model(settings(hub, tmp_path / "hf"))
    assert (resolved.ref, resolved.revision, resolved.converted_from) == ("refs/pr/1", head, repo.refs["main"])
    assert resolved.path.name == head and resolved.weights == "safetensors"
    assert resolved.weights_sha256 == {"model.safetensors": sha256(checkpoint["model.safetensors"])}
    assert cached_files(tmp_path / "hf") == NEEDED | {"model.safetensors"}
    assert not hub.fetched("pytorch_model.bin") and not hub.fetched("/refs/pr/2")  # no pickle, no stranger's PR
    assert sha256(checkpoint["pytorch_model.bin"]) not in blob_digests(tmp_path / "hf")
    assert "refs/pr/1" in resolved.describe() and repo.refs["main"] in resolved.describe()
    assert resolved.provenance()["converted_from"] == repo.refs["main"]


def test_only_pickle_anywhere_is_refused_naming_allow_pickle(checkpoint, tmp_path):
    repo = only_pickle(checkpoint)
    with FakeHub(repo) as hub, pytest.raises(ModelUnavailable) as refused:
        resolve_model(settings(hub, tmp_path / "hf"))
    message = str(refused.value)
    assert f"revision {repo.refs['main']} publishes no safetensors weights (only pickle weights)" in message
    assert f"no open pull request by {CONVERSION_BOT}" in message and "`model.allow_pickle: true`" in message
    assert "--model" in message and MODEL_PATH_ENV in message  # the how-to stays
    assert not hub.fetched("/resolve/") and cached_files(tmp_path / "hf") == set()  # nothing downloaded


def test_only_pickle_with_allow_pickle_loads_the_pickle_and_says_so(checkpoint, tmp_path):
    repo = only_pickle(checkpoint)
    with FakeHub(repo) as hub:
        translator = load_translator(settings(hub, tmp_path / "hf", allow_pickle=True))
    resolved = translator.model
    assert (resolved.weights, resolved.ref, resolved.revision) == ("pickle", "main", repo.refs["main"])
    assert cached_files(tmp_path / "hf") == NEEDED | {"pytorch_model.bin"}
    assert not hub.fetched("tf_model.h5")
    assert "pickle weights, accepted because model.allow_pickle is true" in translator.describe()
    assert resolved.weights_sha256 == {"pytorch_model.bin": sha256(checkpoint["pytorch_model.bin"])}


def test_conversions_by_others_or_of_another_commit_are_not_used(checkpoint, tmp_path):
    """The real opus-mt-ar-en: the bot converted an older main; newer safetensors PRs are by another user."""
    repo = FakeRepo(REPO)
    converted = repo.commit({**without(checkpoint, "model.safetensors"), **EXTRAS}, "Adding generation config file(s)")
    repo.pull_request({"model.safetensors": checkpoint["model.safetensors"]}, converted, CONVERSION_BOT)
    main = repo.commit({"README.md": b"# tiny, edited\n"}, "Update README.md")
    repo.pull_request({"model.safetensors": checkpoint["model.safetensors"]}, main, "Jona6tc")
    repo.pull_request({"model.safetensors": checkpoint["model.safetensors"]}, main, CONVERSION_BOT, status="closed")
    with FakeHub(repo) as hub:
        with pytest.raises(ModelUnavailable) as refused:
            resolve_model(settings(hub, tmp_path / "hf"))
        assert f"refs/pr/1 converts commit {converted} instead (set `model.revision: {converted}`" in str(refused.value)
        assert cached_files(tmp_path / "hf") == set()
        resolved = resolve_model(settings(hub, tmp_path / "hf", revision=converted))
    assert (resolved.ref, resolved.revision, resolved.converted_from) == ("refs/pr/1", repo.refs["refs/pr/1"], converted)


# -- cache, deadline, manifest --------------------------------------------------------


@pytest.mark.parametrize("state", [main_with_safetensors, main_with_pickle_and_a_conversion])
def test_a_download_is_found_again_without_the_hub(state, checkpoint, tmp_path, monkeypatch):
    repo = state(checkpoint)
    with FakeHub(repo) as hub:
        first = resolve_model(settings(hub, tmp_path / "hf"))
        asked = len(hub.requests)
        again = resolve_model(settings(hub, tmp_path / "hf"))
        assert len(hub.requests) == asked  # the cache first: no hub call at all
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = resolve_model(settings(hub, tmp_path / "hf"))  # the hub is closed by now, too
    for model in (again, offline):
        assert (model.revision, model.ref, model.converted_from, model.origin) == (
            first.revision,
            first.ref,
            first.converted_from,
            "hub cache",
        )


@pytest.mark.parametrize("call", ["/revision/main", "/discussions", "/commits/refs/pr/1", "/revision/{head}"])
def test_every_hub_call_gives_up_at_the_deadline(call, checkpoint, tmp_path):
    """model_info of the revision, then the conversion lookup: each call stalls in turn, each is given up on."""
    repo = main_with_pickle_and_a_conversion(checkpoint)
    with FakeHub(repo) as hub:
        hub.stall(call.format(head=repo.refs["refs/pr/1"]))
        start = time.monotonic()
        with pytest.raises(ModelUnavailable) as error:
            resolve_model(settings(hub, tmp_path / "hf", hub_timeout_s=1))
        assert time.monotonic() - start < 8
    assert "did not answer within 1 s" in str(error.value) and "--model" in str(error.value)
    assert cached_files(tmp_path / "hf") == set()


def test_a_read_broken_before_the_deadline_is_asked_again(checkpoint, tmp_path):
    repo = main_with_safetensors(checkpoint)
    with FakeHub(repo) as hub:
        hub.reset_once("/revision/main")
        resolved = resolve_model(settings(hub, tmp_path / "hf"))
    assert (resolved.ref, resolved.revision) == ("main", repo.refs["main"])
    assert len(hub.fetched("/revision/main")) == 2


def test_a_shared_client_closed_by_another_thread_is_not_an_unreachable_hub(checkpoint, tmp_path):
    """huggingface_hub closes its one HTTP client whenever any request fails to connect, reads in flight included."""
    repo = main_with_safetensors(checkpoint)
    with FakeHub(repo) as hub:
        hub.stall("/revision/main")
        threading.Timer(0.3, close_session).start()
        with pytest.raises(ModelUnavailable, match="did not answer within 1 s"):
            resolve_model(settings(hub, tmp_path / "hf", hub_timeout_s=1))


def _opus_mt_ar_en_as_stored(checkpoint: dict[str, bytes], pinned: str) -> FakeRepo:
    """The default repo as the stored hub pages show it, with the tiny model's files: see models/opus-mt-ar-en.yaml."""
    repo = FakeRepo("Helsinki-NLP/opus-mt-ar-en")
    repo.commit({**without(checkpoint, "model.safetensors"), **EXTRAS}, "Adding generation config file(s)", sha=pinned)
    repo.pull_request({"model.safetensors": checkpoint["model.safetensors"]}, pinned, CONVERSION_BOT)
    repo.commit({"generation_config.json": b'{"renormalize_logits": true}'}, "set `renormalize_logits=True`")
    return repo


def test_the_manifest_pins_the_converted_commit_and_the_weights(checkpoint, tmp_path, monkeypatch):
    manifest = yaml.safe_load((model_module.MANIFEST_DIR / "opus-mt-ar-en.yaml").read_text(encoding="utf-8"))
    pinned = manifest["revision"]
    assert len(pinned) == 40 and int(pinned, 16) >= 0
    repo = _opus_mt_ar_en_as_stored(checkpoint, pinned)
    default = {"hub_endpoint": None, "cache_dir": str(tmp_path / "hf"), "hub_timeout_s": 2}
    with FakeHub(repo) as hub:
        default["hub_endpoint"] = hub.endpoint
        with pytest.raises(ModelUnavailable) as refused:  # the tiny weights are not the pinned ones
            resolve_model(TranslatorSettings.model_validate({"model": default}))
        assert f"pins {manifest['weights_sha256']['model.safetensors']}" in str(refused.value)
        assert "opus-mt-ar-en.yaml" in str(refused.value)

        own = tmp_path / "models"
        own.mkdir()
        manifest["weights_sha256"] = {"model.safetensors": sha256(checkpoint["model.safetensors"])}
        (own / "opus-mt-ar-en.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
        monkeypatch.setattr(model_module, "MANIFEST_DIR", own)
        resolved = resolve_model(TranslatorSettings.model_validate({"model": default}))
    assert (resolved.model_id, resolved.ref, resolved.converted_from) == ("Helsinki-NLP/opus-mt-ar-en", "refs/pr/1", pinned)
    assert resolved.revision == repo.refs["refs/pr/1"] != repo.refs["main"]


# -- translations through each state --------------------------------------------------


def _reference(tiny_model_dir: Path, sources: list[str]) -> list[str]:
    """The tiny model's own translations, loaded straight from its folder."""
    translator = load_translator(
        TranslatorSettings.model_validate({"model": {"path": str(tiny_model_dir)}, "translate": DECODING})
    )
    return [r.text for r in translator.translate(sources)]


@pytest.mark.parametrize(
    ("state", "extra", "ref"),
    [
        (main_with_safetensors, {}, "main"),
        (main_with_pickle_and_a_conversion, {}, "refs/pr/1"),
        (only_pickle, {"allow_pickle": True}, "main"),
    ],
)
def test_translations_through_each_state_are_the_models_own(state, extra, ref, checkpoint, tiny_model_dir, tmp_path):
    repo = state(checkpoint)
    config = make_config(tmp_path, None, **DECODING)
    for key, value in {"name": REPO, "cache_dir": str(tmp_path / "hf"), "hub_timeout_s": 2, **extra}.items():
        config.set(f"model.{key}", value)
    with FakeHub(repo) as hub, open_store(config.store.path) as store:
        config.set("model.hub_endpoint", hub.endpoint)
        add_piece(store, "a1", [" ".join(SENTENCES)])
        report = translate_store(store, config)
        rows = sorted(store.rows("translations"), key=lambda r: r["source_text"])
    assert (report.model, report.revision) == (REPO, repo.refs[ref])
    assert {(r["model"], r["revision"]) for r in rows} == {(REPO, repo.refs[ref])}
    assert sorted(r["source_text"] for r in rows) == sorted(SENTENCES)
    assert [r["target_text"] for r in rows] == _reference(tiny_model_dir, [r["source_text"] for r in rows])


def test_pipeline_translate_with_hf_endpoint_uses_the_conversion(checkpoint, tiny_model_dir, tmp_path):
    """The CLI as a user runs it: HF_ENDPOINT names the hub, main has only pickle weights."""
    repo = main_with_pickle_and_a_conversion(checkpoint)
    db = tmp_path / "store.sqlite"
    with open_store(db) as store:
        add_piece(store, "a1", [" ".join(SENTENCES)])
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"model": {"name": REPO, "hub_timeout_s": 5}, "translate": DECODING}), encoding="utf-8")
    with FakeHub(repo) as hub:
        env = {"HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "0", "HF_HUB_CACHE": str(tmp_path / "hf")}
        proc = cli("translate", "--db", db, "--config", config, env=env)
    assert proc.returncode == 0, proc.stderr
    head = repo.refs["refs/pr/1"]
    assert f"{REPO}@{head} (safetensors weights from refs/pr/1" in proc.stdout + proc.stderr
    with open_store(db, create=False) as store:
        rows = sorted(store.rows("translations"), key=lambda r: r["source_text"])
        (piece,) = store.load_pieces(["a1"])
    assert piece.status == "translated" and {(r["model"], r["revision"]) for r in rows} == {(REPO, head)}
    assert [r["target_text"] for r in rows] == _reference(tiny_model_dir, [r["source_text"] for r in rows])
    assert not hub.fetched("pytorch_model.bin")
    shutil.rmtree(tmp_path / "hf")
