"""Store locations as a careless user types them: passwords never printed, PostgreSQL never taken for a file.

Every case goes through the real command line against the session's own
PostgreSQL server (tests/services.py). A password typed into a location —
percent-encoded or not, holding / ? # @, badly escaped (%zz), as a URL's
``password=`` or a libpq key/value string's — appears in no output, however
the command fails; and a PostgreSQL location written any way libpq takes it
reaches PostgreSQL, never becoming an SQLite file named after it.
"""

from __future__ import annotations

import pytest
from reliability_support import REPO, cli, stderr_lines

from pipeline.store.location import redact, secrets

SEED = "seeds/003_d3a64df3fb8f3d34.txt"


def _locations(socket_dir: str) -> list[tuple[str, list[str]]]:
    """(location, fragments of its password that must never be printed)."""
    return [
        (f"postgresql://postgres:s3cr/et?pw#x@/no_such_db?host={socket_dir}", ["s3cr", "et?pw", "pw#x"]),
        (f"postgresql://postgres:p%zzs3cret@/no_such_db?host={socket_dir}", ["p%zz", "zzs3cret", "s3cret"]),
        (f"postgresql://postgres@/no_such_db?host={socket_dir}&password=s3cret-pw", ["s3cret"]),
        (f"POSTGRESQL://postgres:s3cret-pw@/no_such_db?host={socket_dir}", ["s3cret"]),
        (f"host={socket_dir} dbname=no_such_db user=postgres password=s3cret-pw", ["s3cret"]),
        (f"host={socket_dir} dbname=no_such_db user=postgres password='s3c ret'", ["s3c ret"]),
    ]


def test_a_password_in_a_location_is_never_printed_whatever_the_verb(postgres_cluster, tmp_path):
    source = tmp_path / "source.sqlite"
    assert cli("ingest", SEED, "--db", source, "--no-detect", "-q").returncode == 0
    before = sorted(REPO.iterdir())
    for location, fragments in _locations(str(postgres_cluster.socket_dir)):
        for args in (["status"], ["config"], ["store", "copy", "--from", source]):
            argv = [*args, "--to", location] if args[0] == "store" else [*args, "--db", location]
            proc = cli(*argv, timeout=120)
            printed = proc.stdout + proc.stderr
            leaked = [f for f in fragments if f in printed]
            assert not leaked, f"{args[0]} {location!r} printed {leaked}:\n{printed[-2000:]}"
            assert "Traceback" not in printed
            if args[0] == "config":
                assert proc.returncode == 0 and "***" in proc.stdout, proc.stderr
            else:
                assert proc.returncode in (2, 6), (location, args, proc.returncode, proc.stderr)
                assert len(stderr_lines(proc)) == 1, proc.stderr
    assert sorted(REPO.iterdir()) == before  # no SQLite file, nor folders, named after a location


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("postgresql://u:pa/ss?w#rd@db.internal/pipeline", "postgresql://u:***@db.internal/pipeline"),
        ("postgres://u:p%40ss@db/pipeline?sslmode=require", "postgres://u:***@db/pipeline?sslmode=require"),
        ("postgresql://u@db/pipeline?password=x%zzy&sslmode=require", "postgresql://u@db/pipeline?password=***&sslmode=require"),
        ("PostgreSQL://u:secret@db/pipeline", "PostgreSQL://u:***@db/pipeline"),
        ("host=db dbname=pipeline password='it\\'s secret'", "host=db dbname=pipeline password=***"),
        ("pipeline.sqlite", "pipeline.sqlite"),
    ],
)
def test_redact_hides_every_way_of_writing_a_password(location, shown):
    assert redact(location) == shown
    assert all(secret not in shown for secret in secrets(location))
