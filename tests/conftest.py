"""Fixtures shared by every stage's tests.

The services a test needs are started by the tests themselves, once per
test session and only when a test asks for them: a PostgreSQL server of
their own (a new database per test) and a Ray head (tests/services.py).
Nothing is skipped because a service is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from services import PostgresCluster, RayHead
from tiny_model import build_tiny_marian, pickled_weights


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random MarianMT checkpoint (see tests/tiny_model.py), built once per session.

    Read-only for tests: copy it first if a test needs to change its files.
    """
    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))


@pytest.fixture(scope="session")
def checkpoint(tiny_model_dir: Path) -> dict[str, bytes]:
    """The tiny model's files as a hub repo holds them: config, tokenizer, both kinds of weights (tests/hub_repos.py)."""
    files = {p.name: p.read_bytes() for p in tiny_model_dir.iterdir() if p.is_file()}
    return {**files, "pytorch_model.bin": pickled_weights(tiny_model_dir)}


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL server (Unix socket only, fsync off) for the whole session."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a new, empty database (C collation) for this test."""
    return postgres_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgres"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new store goes, once for each backend: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayHead]:
    """One Ray head (2 CPUs, token auth) for the whole session; drivers join it with `ray_cluster.client_env()`."""
    head = RayHead().start()
    yield head
    head.stop()
