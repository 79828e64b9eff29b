"""Getting a model the pipeline loads: `pipeline model fetch` (fake hub) and `pipeline model convert` (pickle-only folder).

The recipe the exit-4 message gives must end in a folder a run loads:
fetch resolves exactly as a run does (here: main publishes pickle only, the
conversion bot's pull request holds safetensors) and copies the files with
the hub identity recorded; a run in a folder with models/NAME finds it with no
flags; convert turns a pickle-only folder into one that translates exactly as
the safetensors original does.
"""

from __future__ import annotations

import fractions
import json
import shutil
from pathlib import Path

import pytest
import torch
from fake_hub import FakeHub
from hub_repos import REPO, SENTENCES, main_with_pickle_and_a_conversion, only_pickle
from reliability_support import child_env, pipeline_argv
from tiny_model import pickled_weights

from pipeline.errors import EXIT_MODEL_UNAVAILABLE, EXIT_USAGE
from pipeline.translate import TranslatorSettings, load_translator
from pipeline.translate.model import SOURCE_RECORD, resolve_model
from pipeline.translate.settings import MODEL_PATH_ENV

DECODING = {"backend": "transformers", "num_beams": 1}


@pytest.fixture(autouse=True)
def no_model_env(monkeypatch):
    monkeypatch.delenv(MODEL_PATH_ENV, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def run_cli(*args: object, cwd: Path, env: dict[str, str] | None = None):
    import subprocess

    return subprocess.run(pipeline_argv(*args), capture_output=True, text=True, timeout=300, cwd=cwd, env=child_env(env))


def folder_settings(folder: Path | str, **model) -> TranslatorSettings:
    return TranslatorSettings.model_validate({"model": {"name": str(folder), **model}, "translate": DECODING})


def translations(settings: TranslatorSettings) -> list[str]:
    return [r.text for r in load_translator(settings).translate(SENTENCES)]


def test_fetch_copies_what_a_run_resolves_and_records_the_commit(checkpoint, tmp_path):
    repo = main_with_pickle_and_a_conversion(checkpoint)
    with FakeHub(repo) as hub:
        proc = run_cli(
            "model", "fetch", REPO, "--set", f"model.hub_endpoint={hub.endpoint}", "--set", f"model.cache_dir={tmp_path / 'hf'}",
            cwd=tmp_path,
            env={"HF_HUB_OFFLINE": "0"},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    local = tmp_path / "models" / "opus-mt-tiny"  # the default place: models/NAME
    assert "model.safetensors" in {p.name for p in local.iterdir()} and not (local / "pytorch_model.bin").exists()
    record = json.loads((local / SOURCE_RECORD).read_text())
    conversion = repo.refs["refs/pr/1"]
    assert (record["id"], record["revision"], record["ref"]) == (REPO, conversion, "refs/pr/1")
    assert record["converted_from"] == repo.refs["main"]
    assert "next: pipeline run" in proc.stdout
    resolved = resolve_model(folder_settings(local))  # offline now: the folder keeps its hub identity
    assert (resolved.model_id, resolved.revision, resolved.origin) == (REPO, conversion, "local copy")
    assert resolved.provenance()["converted_from"] == repo.refs["main"]


def test_a_run_finds_models_name_without_flags_and_names_its_commit(checkpoint, tmp_path):
    repo = main_with_pickle_and_a_conversion(checkpoint)
    with FakeHub(repo) as hub:
        settings = TranslatorSettings.model_validate(
            {"model": {"name": REPO, "hub_endpoint": hub.endpoint, "cache_dir": str(tmp_path / "hf")}, "translate": DECODING}
        )
        from pipeline.translate.local_copy import fetch_model

        fetch_model(settings, tmp_path / "work" / "models" / "opus-mt-tiny")
    dump = tmp_path / "work" / "dump.jsonl"
    dump.write_text(
        json.dumps({"id": "p1", "lang": "ar", "title": "خبر", "text": " ".join(SENTENCES)}, ensure_ascii=False) + "\n"
    )
    proc = run_cli(
        "run", "dump.jsonl", "--set", f"model.name={REPO}", "--set", "translate.backend=transformers", "-q",
        cwd=tmp_path / "work",
        env={"HF_ENDPOINT": "http://127.0.0.1:9"},  # no hub: the folder must be enough
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    piece = json.loads((tmp_path / "work" / "out" / "pieces.jsonl").read_text().splitlines()[0])
    assert piece["translation"] and piece["model"]["id"] == REPO and piece["model"]["revision"] == repo.refs["refs/pr/1"]


def test_a_local_copy_whose_weights_changed_is_not_believed(checkpoint, tmp_path, tiny_model_dir):
    local = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, local)
    (local / SOURCE_RECORD).write_text(
        json.dumps({"id": REPO, "revision": "a" * 40, "weights_sha256": {"model.safetensors": "0" * 64}})
    )
    resolved = resolve_model(folder_settings(local))
    assert resolved.model_id == "local:copy" and resolved.revision.startswith("sha256:")


def test_fetch_refuses_a_folder_that_is_not_empty_and_says_how(tmp_path, checkpoint):
    (tmp_path / "models" / "opus-mt-tiny").mkdir(parents=True)
    (tmp_path / "models" / "opus-mt-tiny" / "notes.txt").write_text("mine")
    proc = run_cli("model", "fetch", REPO, cwd=tmp_path)
    assert proc.returncode == EXIT_USAGE
    assert "not empty" in proc.stderr and "--replace" in proc.stderr
    assert (tmp_path / "models" / "opus-mt-tiny" / "notes.txt").read_text() == "mine"


def test_fetch_of_a_pickle_only_model_ends_with_exit_4_and_the_convert_recipe(checkpoint, tmp_path):
    with FakeHub(only_pickle(checkpoint)) as hub:
        proc = run_cli(
            "model", "fetch", REPO, "--set", f"model.hub_endpoint={hub.endpoint}", "--set", f"model.cache_dir={tmp_path / 'hf'}",
            cwd=tmp_path,
            env={"HF_HUB_OFFLINE": "0"},
        )  # fmt: skip
    assert proc.returncode == EXIT_MODEL_UNAVAILABLE
    assert "pipeline model convert" in proc.stderr and "pipeline model fetch" in proc.stderr
    assert not (tmp_path / "models" / "opus-mt-tiny").exists()


def pickle_only(tiny_model_dir: Path, where: Path) -> Path:
    shutil.copytree(tiny_model_dir, where)
    (where / "pytorch_model.bin").write_bytes(pickled_weights(tiny_model_dir))
    (where / "model.safetensors").unlink()
    return where


def test_convert_makes_a_pickle_only_folder_translate_as_the_original(tiny_model_dir, tmp_path):
    folder = pickle_only(tiny_model_dir, tmp_path / "pickled")
    seed = Path(__file__).resolve().parents[1] / "seeds" / "003_d3a64df3fb8f3d34.txt"
    refused = run_cli(
        "run", seed, "--model", folder, "--db", tmp_path / "s.sqlite", "--out", tmp_path / "out", "-q", cwd=tmp_path
    )
    assert refused.returncode == EXIT_MODEL_UNAVAILABLE and f"pipeline model convert {folder}" in refused.stderr
    proc = run_cli("model", "convert", folder, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (folder / "model.safetensors").is_file()
    assert translations(folder_settings(folder)) == translations(folder_settings(tiny_model_dir))


def test_convert_to_a_new_folder_leaves_the_pickle_behind(tiny_model_dir, tmp_path):
    folder = pickle_only(tiny_model_dir, tmp_path / "pickled")
    proc = run_cli("model", "convert", folder, "--to", tmp_path / "clean", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in (tmp_path / "clean").iterdir()}
    assert "model.safetensors" in names and "source.spm" in names and "pytorch_model.bin" not in names
    assert resolve_model(folder_settings(tmp_path / "clean")).weights == "safetensors"


def test_convert_refuses_a_pickle_that_holds_more_than_tensors(tiny_model_dir, tmp_path):
    folder = pickle_only(tiny_model_dir, tmp_path / "pickled")
    torch.save({"model.shared.weight": torch.zeros(2), "payload": fractions.Fraction(1, 3)}, folder / "pytorch_model.bin")
    proc = run_cli("model", "convert", folder, cwd=tmp_path)
    assert proc.returncode == EXIT_MODEL_UNAVAILABLE
    assert "cannot be read as plain weights" in proc.stderr
    assert not (folder / "model.safetensors").exists()


def test_convert_says_when_there_is_nothing_to_convert(tiny_model_dir, tmp_path):
    proc = run_cli("model", "convert", tiny_model_dir, cwd=tmp_path)
    assert proc.returncode == EXIT_USAGE and "already has model.safetensors" in proc.stderr
