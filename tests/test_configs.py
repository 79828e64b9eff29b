"""configs/: the example configurations users copy, each loaded as a run would load it.

A key that no longer exists, a misspelt section or a value out of range fails
here, not in a user's run. The offline example must also resolve to the local
folder it names, without asking any hub.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.align import pairmodel
from pipeline.config import Config
from pipeline.stages import sections
from pipeline.translate.settings import TranslatorSettings

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


def test_the_documented_examples_are_all_there():
    names = {path.stem for path in CONFIGS}
    assert {"seeds", "cluster", "strict-align", "loose-align", "offline"} <= names
    readme = (ROOT / "configs" / "README.md").read_text(encoding="utf-8")
    assert all(f"({path.name})" in readme for path in CONFIGS)  # each one listed with its link


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_example_loads_against_the_settings_models(path: Path):
    named = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert named, "an example that changes nothing"
    cfg = Config.load(path, {})
    known = sections()
    cfg.check_sections(known)
    for section, keys in named.items():
        settings = cfg.section(section, known[section])  # validates types and bounds
        for key, value in keys.items():
            if not isinstance(value, dict):
                assert getattr(settings, key) == value, f"{path.name}: {section}.{key} did not take"


def test_the_stricter_and_looser_aligners_are_stricter_and_looser():
    def threshold(name: str) -> float:
        return float(Config.load(ROOT / "configs" / name, {}).raw["align"]["threshold"])

    assert threshold("strict-align.yaml") > pairmodel.shipped().threshold > threshold("loose-align.yaml")


def test_the_offline_example_loads_the_local_folder_and_never_the_hub(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = TranslatorSettings.from_config(Config.load(ROOT / "configs" / "offline.yaml", {}))
    assert settings.model_source() == "models/opus-mt-ar-en"
