"""Finding the model: local folders, the env var, pickle refusal, an unreachable hub (fast), pending pieces."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from translate_support import add_piece, make_config, segment_rows

from pipeline.cli import build_config
from pipeline.errors import EXIT_MODEL_UNAVAILABLE, ModelUnavailable
from pipeline.store import open_store
from pipeline.translate import TranslatorSettings, load_translator, translate_store
from pipeline.translate.model import resolve_model
from pipeline.translate.settings import MODEL_PATH_ENV

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_model_env(monkeypatch):
    monkeypatch.delenv(MODEL_PATH_ENV, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def settings(**model) -> TranslatorSettings:
    return TranslatorSettings.model_validate({"model": model})


def test_local_folder_from_config_is_used_with_a_content_revision(tiny_model_dir):
    resolved = resolve_model(settings(path=str(tiny_model_dir)))
    assert resolved.path == tiny_model_dir.resolve()
    assert resolved.weights == "safetensors"
    assert resolved.model_id == f"local:{tiny_model_dir.name}"
    assert resolved.revision.startswith("sha256:") and len(resolved.revision) == len("sha256:") + 16


def test_precedence_cli_then_env_then_path_then_name(tiny_model_dir, tmp_path, monkeypatch):
    other = shutil.copytree(tiny_model_dir, tmp_path / "other-copy")
    assert resolve_model(settings(name=str(other))).path == other.resolve()
    assert resolve_model(settings(name="nobody/nothing", path=str(other))).path == other.resolve()

    def resolved(config) -> Path:
        return resolve_model(TranslatorSettings.from_config(config)).path

    config_file = tmp_path / "config.yaml"
    config_file.write_text(f"model:\n  path: {other}\n")
    assert resolved(build_config(config_file, None)) == other.resolve()
    monkeypatch.setenv(MODEL_PATH_ENV, str(tiny_model_dir))  # the environment wins over the config file
    assert resolved(build_config(config_file, None)) == tiny_model_dir.resolve()
    assert resolved(build_config(config_file, [f"model.path={other}"])) == other.resolve()  # --set wins over both
    assert resolved(build_config(config_file, None, model=str(other))) == other.resolve()  # and so does --model


def test_revision_follows_the_files(tiny_model_dir, tmp_path):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "copy")
    before = resolve_model(settings(path=str(copy))).revision
    assert before == resolve_model(settings(path=str(tiny_model_dir))).revision  # same content, same revision
    config = copy / "generation_config.json"
    config.write_text(config.read_text().replace('"num_beams": 4', '"num_beams": 2'))
    assert resolve_model(settings(path=str(copy))).revision != before


def _pickle_only_copy(tiny_model_dir: Path, target: Path) -> Path:
    from safetensors.torch import load_file

    copy = shutil.copytree(tiny_model_dir, target)
    state = load_file(copy / "model.safetensors")
    (copy / "model.safetensors").unlink()
    torch.save(state, copy / "pytorch_model.bin")
    return copy


def test_pickle_only_folder_is_refused_unless_allowed(tiny_model_dir, tmp_path):
    folder = _pickle_only_copy(tiny_model_dir, tmp_path / "pickled")
    with pytest.raises(ModelUnavailable, match="pickle") as refused:
        resolve_model(settings(path=str(folder)))
    assert "allow_pickle" in str(refused.value)
    allowed = TranslatorSettings.model_validate(
        {"model": {"path": str(folder), "allow_pickle": True}, "translate": {"backend": "transformers", "num_beams": 1}}
    )
    translator = load_translator(allowed)
    assert translator.model.weights == "pickle"
    [result] = translator.translate(["مرحبا بكم في بغداد."])
    assert result.tokens  # the pickled weights really were loaded and run


def test_missing_folder_and_folder_without_weights_are_clear_errors(tmp_path):
    with pytest.raises(ModelUnavailable, match="no such folder"):
        resolve_model(settings(path=str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.json").write_text("{}")
    with pytest.raises(ModelUnavailable, match="no weights"):
        resolve_model(settings(path=str(tmp_path / "empty")))


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers: a hub that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_a_hanging_hub_is_given_up_on_in_seconds(tmp_path, silent_server):
    start = time.monotonic()
    with pytest.raises(ModelUnavailable) as error:
        resolve_model(settings(hub_endpoint=silent_server, hub_timeout_s=2, cache_dir=str(tmp_path / "hf")))
    elapsed = time.monotonic() - start
    assert elapsed < 10
    message = str(error.value)
    assert "Helsinki-NLP/opus-mt-ar-en" in message
    assert "did not answer within 2 s" in message
    assert "--model" in message and "model.path" in message and MODEL_PATH_ENV in message


def test_an_unreachable_hub_fails_fast_with_the_default_settings(tmp_path):
    # Nothing listens on port 9 (discard): a machine with no route to the hub.
    start = time.monotonic()
    with pytest.raises(ModelUnavailable, match=r"unreachable|did not answer"):
        resolve_model(settings(hub_endpoint="http://127.0.0.1:9", cache_dir=str(tmp_path / "hf")))
    assert time.monotonic() - start < 10


def test_offline_mode_never_touches_the_network(tmp_path, monkeypatch, silent_server):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        resolve_model(settings(hub_endpoint=silent_server, hub_timeout_s=30, cache_dir=str(tmp_path / "hf")))
    assert time.monotonic() - start < 2


def test_a_snapshot_in_the_hub_cache_is_used_without_the_network(tiny_model_dir, tmp_path, silent_server):
    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "models--Helsinki-NLP--opus-mt-ar-en"
    shutil.copytree(tiny_model_dir, repo / "snapshots" / sha)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    # revision "main": the manifest pins a commit (and its weights' SHA-256, which the tiny model does not have)
    resolved = resolve_model(
        settings(revision="main", hub_endpoint=silent_server, hub_timeout_s=30, cache_dir=str(tmp_path / "hf"))
    )
    assert (resolved.model_id, resolved.revision, resolved.origin) == ("Helsinki-NLP/opus-mt-ar-en", sha, "hub cache")
    assert resolved.ref == "main"


def test_no_model_marks_pieces_pending_and_a_later_run_translates_exactly_those(tiny_model_dir, tmp_path, silent_server):
    config = make_config(tmp_path, None)
    config.set("model.hub_endpoint", silent_server)
    config.set("model.hub_timeout_s", 1)
    config.set("model.cache_dir", str(tmp_path / "hf"))
    with open_store(config.store.path) as store:
        add_piece(store, "a1", ["الجملة الأولى. الجملة الثانية؟", "فقرة أخرى هنا."], title="عنوان عربي")
        add_piece(store, "a2", ["الجملة الأولى. جملة جديدة!"])
        add_piece(store, "en", ["An English paragraph."], routes=["english"])
        unavailable = translate_store(store, config)  # reported (exit code 4), not raised
        assert unavailable.status == "model_unavailable" and unavailable.exit_code() == EXIT_MODEL_UNAVAILABLE
        assert MODEL_PATH_ENV in unavailable.messages()[0]
        pieces = {r["id"]: (r["status"], r["reason"]) for r in store.rows("pieces")}
        assert pieces["a1"][0] == pieces["a2"][0] == "pending"
        assert "model unavailable" in pieces["a1"][1] and "did not answer" in pieces["a1"][1]
        assert pieces["en"][0] == "english"  # English pieces are not this stage's business
        pending = [(r["piece_id"], r["paragraph_idx"], r["text"]) for r in segment_rows(store)]
        assert len(pending) == 6 and all(r["translation_key"] is None for r in segment_rows(store))
        assert store.counts().segments_pending == 6

        config.set("model.path", str(tiny_model_dir))
        report = translate_store(store, config)
        assert report.new_translations == 5  # 6 segments, "الجملة الأولى." twice
        assert report.cache_hits == 1 and report.pending == 0
        done = segment_rows(store)
        assert [(r["piece_id"], r["paragraph_idx"], r["text"]) for r in done] == pending
        assert all(r["target_text"] is not None for r in done)
        statuses = {r["id"]: r["status"] for r in store.rows("pieces")}
        assert statuses == {"a1": "translated", "a2": "translated", "en": "english"}
        assert store.load_pieces(["a1"])[0].reason is None


def test_cli_exits_with_the_model_unavailable_code_and_says_how_to_fix_it(tmp_path):
    db = tmp_path / "store.sqlite"
    with open_store(db) as store:
        add_piece(store, "a1", ["جملة عربية."])
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "translate", "--db", str(db), "--model", str(tmp_path / "no-such-model"), "--quiet"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == EXIT_MODEL_UNAVAILABLE
    assert "no such folder" in proc.stderr and MODEL_PATH_ENV in proc.stderr
    with open_store(db) as store:
        assert [p.status for p in store.load_pieces()] == ["pending"]
        assert [r.status for r in store.runs()] == ["pending"]


def test_the_model_path_variable_naming_no_folder_is_never_sent_to_the_hub(tmp_path, silent_server):
    """$PIPELINE_MODEL_PATH names a local copy: a missing folder (even one named like a hub id) or a file is said so."""
    db = tmp_path / "store.sqlite"
    with open_store(db) as store:
        add_piece(store, "a1", ["جملة عربية."])
    a_file = tmp_path / "model.safetensors"
    a_file.write_bytes(b"not a folder")
    for value, why in (("opus-mt-ar-en", "no such folder (model.path"), (str(a_file), "is a file, not a model folder")):
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "translate", "--db", str(db), "--quiet", "--set", "model.hub_timeout_s=30"],
            capture_output=True,
            text=True,
            cwd=tmp_path,  # a relative name is looked for here
            env={**os.environ, MODEL_PATH_ENV: value, "HF_ENDPOINT": silent_server, "HF_HUB_CACHE": str(tmp_path / "hf")},
            timeout=120,
        )
        assert proc.returncode == EXIT_MODEL_UNAVAILABLE, proc.stderr
        assert f"cannot load the translation model {value}: {why}" in proc.stderr
        assert time.monotonic() - start < 25  # the silent hub would have held it for 30 s
