"""The wheel is the product: built, installed into a fresh venv outside the repository, it runs a seed.

This is what `pip install` gives a user on another machine: no configs/ or
models/ folder beside the code, only what the wheel ships (the default
config and the model manifests are package data). The fresh venv borrows
the third-party dependencies of the project's venv through a .pth line (so
the test does not download torch again) but nothing of the project itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _build_wheel(dist: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = dist.glob("arabic_press_pipeline-*.whl")
    return wheel


def _fresh_venv(where: Path, wheel: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # third-party packages of the project's venv, without its editable install of the project
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return where / "bin" / "pipeline"


def test_the_installed_wheel_runs_a_seed_outside_the_repo(tmp_path: Path, tiny_model_dir: Path):
    wheel = _build_wheel(tmp_path / "dist")
    pipeline = _fresh_venv(tmp_path / "venv", wheel)
    work = tmp_path / "elsewhere"
    work.mkdir()
    seed = ROOT / "seeds" / "003_d3a64df3fb8f3d34.txt"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    where = subprocess.run(
        [pipeline.parent / "python", "-c", "import pipeline; print(pipeline.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(tmp_path / "venv") in where and str(ROOT) not in where  # the wheel's copy, not the repository's
    proc = subprocess.run(
        [pipeline, "run", str(seed), "--model", str(tiny_model_dir), "-q"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((work / "out" / "summary.json").read_text(encoding="utf-8"))  # output.dir from the shipped defaults
    assert summary["pieces_by_language"]["ar"] == 6 and summary["segments_pending"] == 0
    assert (work / "pipeline.sqlite").exists()  # store.path from the shipped defaults
    shown = subprocess.run([pipeline, "config"], cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert "opus-mt-ar-en" in shown and "align:" in shown
    manifest = subprocess.run(
        [
            pipeline.parent / "python",
            "-c",
            "from pipeline.translate.model import load_manifest; print(load_manifest('Helsinki-NLP/opus-mt-ar-en')['license'])",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert manifest.strip() == "apache-2.0"  # the model manifests ship inside the package
