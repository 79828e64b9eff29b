"""Fixtures shared by every stage's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiny_model import build_tiny_marian


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random MarianMT checkpoint (see tests/tiny_model.py), built once per session.

    Read-only for tests: copy it first if a test needs to change its files.
    """
    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))
