"""Store locations as a careless user types them: passwords never printed, PostgreSQL never taken for a file.

Every case goes through the real command line against the session's own
PostgreSQL server (tests/services.py). A password typed into a location —
percent-encoded or not, holding / ? # @, badly escaped (%zz), as a URL's
``password=`` or a libpq key/value string's — appears in no output, however
the command fails; and a PostgreSQL location written any way libpq takes it
reaches PostgreSQL, never becoming an SQLite file named after it.
"""

from __future__ import annotations

import json

import pytest
from postgres_surgery import create_schema, tables_in_schema
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


def test_postgres_written_any_way_libpq_takes_it_is_postgres_and_a_foreign_url_is_refused(postgres_cluster):
    before = sorted(REPO.iterdir())
    name = postgres_cluster.create_database().split("?")[0].rsplit("/", 1)[-1]
    socket_dir = postgres_cluster.socket_dir
    upper = f"POSTGRESQL://postgres@/{name}?host={socket_dir}"
    libpq = f"host={socket_dir} dbname={name} user=postgres"
    assert cli("ingest", SEED, "--db", upper, "--no-detect", "-q").returncode == 0
    status = cli("status", "--db", libpq, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["sources"] == {"ingested": 1}  # the same database, reached both ways
    for location in ("mysql://user@db/pipeline", "sqlite:///tmp/x.sqlite", "http://db.internal/pipeline"):
        for verb in ("status", "ingest"):
            proc = cli(verb, *([SEED] if verb == "ingest" else []), "--db", location)
            assert proc.returncode == 2, proc.stderr
            assert stderr_lines(proc) == [
                f"error: {location}: a {location.split(':')[0]}:// URL is not a store: "
                "give an SQLite file path or a postgresql:// URL"
            ]
    assert sorted(REPO.iterdir()) == before  # no SQLite file, nor folders, named after a location


def test_the_options_of_a_postgres_url_are_kept(postgres_cluster):
    url = postgres_cluster.create_database()
    create_schema(url, "press")
    with_options = url + "&options=-c%20search_path%3Dpress"
    assert cli("ingest", SEED, "--db", with_options, "--no-detect", "-q").returncode == 0
    assert "pieces" in tables_in_schema(url, "press")  # the store went where the URL's options said
    assert "pieces" not in tables_in_schema(url, "public")


def test_a_reader_on_an_empty_database_or_file_is_told_there_is_no_store_exit_2(postgres_cluster, tmp_path):
    empty_file = tmp_path / "empty.sqlite"
    empty_file.touch()
    for location in (postgres_cluster.create_database(), str(empty_file), str(tmp_path / "missing.sqlite")):
        for verb in (["status"], ["export", "--out", tmp_path / "out"], ["evaluate"]):
            proc = cli(*verb, "--db", location)
            assert proc.returncode == 2, (verb, location, proc.stderr)
            assert "no store" in proc.stderr and len(stderr_lines(proc)) == 1
    assert empty_file.stat().st_size == 0  # a reader created nothing in it
