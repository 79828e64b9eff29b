"""The locked environment: what locks/ pins is what a machine runs, fresh or not.

scripts/lock writes the locks with uv from pyproject.toml; scripts/setup syncs a venv
to one of them. These tests hold the locks to their promises (exact, hashed, the run
set inside the test set, CPU locks without CUDA), check that the venv running this
suite is exactly its lock, and drive scripts/setup on a venv that holds other versions.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "locks"
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", re.M)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, str]:
    return {
        canonical(name): version for name, version, _ in PIN.findall((LOCKS / f"requirements-{lock}").read_text(encoding="utf-8"))
    }


@pytest.mark.parametrize("lock", ["run-cpu.txt", "run-cuda.txt", "test-cpu.txt", "test-cuda.txt", "labelstudio.txt"])
def test_every_locked_package_is_exact_and_hashed(lock: str):
    text = (LOCKS / f"requirements-{lock}").read_text(encoding="utf-8")
    requirement_lines = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    found = PIN.findall(text)
    assert len(found) == len(requirement_lines) > 50
    assert all(hashes for _, _, hashes in found), "a pin without a hash"


@pytest.mark.parametrize("build", ["cpu", "cuda"])
def test_the_run_set_is_the_test_sets_subset_at_the_same_versions(build: str):
    run, test = pins(f"run-{build}.txt"), pins(f"test-{build}.txt")
    assert {name: test.get(name) for name in run} == run


def test_cpu_locks_take_torchs_cpu_build_and_no_cuda_packages():
    for lock in ("run-cpu.txt", "test-cpu.txt"):
        locked = pins(lock)
        assert locked["torch"].endswith("+cpu")
        assert not [name for name in locked if name.startswith(("nvidia-", "cuda-", "triton"))]
    cuda = pins("run-cuda.txt")
    assert "+" not in cuda["torch"] and any(name.startswith("nvidia-") for name in cuda)


def test_every_declared_dependency_is_locked():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["fast"]
    names = {canonical(re.match(r"[A-Za-z0-9._-]+", spec).group(0)) for spec in declared}  # type: ignore[union-attr]
    assert names <= set(pins("run-cpu.txt"))


def test_label_studio_has_a_lock_of_its_own_that_the_project_venv_does_not_share():
    """The annotation test's server (scripts/setup labelstudio): 1.23.x, with a sentry-sdk it can start with."""
    locked = pins("labelstudio.txt")
    assert locked["label-studio"].startswith("1.23.")
    assert int(locked["sentry-sdk"].split(".")[0]) < 3  # 1.23.2 passes an option sentry-sdk 3 removed
    assert "django" in locked and "django" not in pins("test-cpu.txt")


def test_this_venv_is_exactly_its_lock():
    """The suite runs on what the lock says, nothing more, nothing else (scripts/setup's sync).

    Only the venv's own site-packages are compared: a PYTHONPATH the machine sets (a CI runner's
    tools) adds distributions to sys.path that the sync neither installed nor may remove.
    """
    site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    distributions = importlib.metadata.distributions(path=sorted(site))
    installed = {canonical(d.metadata["Name"]): d.version for d in distributions}
    installed.pop("arabic-press-pipeline")
    lock = "test-cpu.txt" if installed["torch"].endswith("+cpu") else "test-cuda.txt"
    assert installed == pins(lock)


def test_setup_brings_a_venv_with_other_versions_to_the_lock(tmp_path: Path):
    """A developer's old venv: another transformers and a package the lock does not name."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    uv = next((ROOT / ".cache").glob("uv-*/bin/uv"))
    other = subprocess.run(
        [uv, "pip", "install", "--python", venv / "bin" / "python", "transformers==4.57.6", "iniconfig==2.0.0", "--no-deps"],
        capture_output=True,
        text=True,
    )
    assert other.returncode == 0, other.stderr
    setup = subprocess.run(
        [ROOT / "scripts" / "setup"],
        env={**os.environ, "PIPELINE_VENV": str(venv)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert setup.returncode == 0, setup.stderr
    assert "cpu build" in setup.stdout or "cuda build" in setup.stdout  # it says which torch it chose
    report = subprocess.run(
        [venv / "bin" / "python", "-c", "import importlib.metadata as m; print(m.version('transformers')); import iniconfig"],
        capture_output=True,
        text=True,
    )
    assert report.stdout.strip() == pins("run-cpu.txt")["transformers"]
    assert "No module named 'iniconfig'" in report.stderr  # removed: the lock does not name it
