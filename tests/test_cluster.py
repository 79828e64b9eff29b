"""Past one machine: `--executor ray` with a PostgreSQL store gives a local run's results, and survives kills.

Every run here is the real command line in a child process, joining the
session's Ray head (2 CPUs, token authentication, tests/services.py) as a
user's driver joins a cluster — RAY_ADDRESS, RAY_AUTH_MODE=token and the
token — except the run whose process group is killed: it starts a Ray of its
own, as `--executor ray` does without RAY_ADDRESS, so the kill takes that
Ray down with it. Stores are new databases on the session's PostgreSQL.

* the same results: for the seeds, and for a 40-copy dump (40 files, copy k
  of the seeds' Arabic articles with " (k)" after each long line, the rule
  of benchmarks/bench_ingest_memory.py's copies) with the seeds and pieces
  that come with another system's translation (so there are matches),
  pieces.jsonl and matches.jsonl of the Ray + PostgreSQL run, on two
  translation actors, equal the local SQLite run's;
* a translation actor killed with SIGKILL mid-run: Ray restarts it and
  retries its batch; the run ends with every sentence translated and
  linked, each translation stored and counted once;
* the driver's whole process group killed with SIGKILL mid-translation:
  the store holds whole batches only; the rerun translates exactly what
  was missing and ends like an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from functools import partial
from pathlib import Path

import pytest
from reliability_support import (
    SEEDS,
    child_env,
    pipeline_argv,
    write_arabic_dumps,
    write_external_translations,
)
from services import RayHead, session_members, stop_session

from pipeline.errors import ConfigError, StorageError, UsageError
from pipeline.executor import ExecutorSettings
from pipeline.executor.ray_executor import RayExecutor, placeable
from pipeline.ingest import cut_dump
from pipeline.store import open_store
from pipeline.text.normalise import for_model

# A Ray started by a driver on this machine stays small (the session's head runs beside it).
LOCAL_RAY = ["--set", "executor.local_cpus=2", "--set", "executor.local_object_store_mb=200"]


def run_cli(*args: object, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(pipeline_argv(*args), capture_output=True, text=True, env=child_env(env), timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{proc.stderr[-4000:]}"
    return proc


def local_env() -> dict[str, str]:
    """A driver that must not see any Ray."""
    return {"RAY_ADDRESS": "", "RAY_AUTH_MODE": "disabled"}


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def assert_same_outputs(local: Path, ray: Path) -> None:
    for name in ("pieces.jsonl", "matches.jsonl"):
        assert (ray / name).read_text(encoding="utf-8") == (local / name).read_text(encoding="utf-8"), name


def translations_stored(url: str) -> int:
    try:
        with open_store(url, create=False) as store:
            return store.counts().translations_cached
    except (StorageError, UsageError):  # not created yet (exit 2), or not reachable yet
        return 0


def check_exactly_once(url: str) -> dict[str, int]:
    """No sentence translated twice, no link to a missing translation; returns the counts that matter.

    `sentences`: the distinct sentences (as the model sees them) of every
    segment that needs a translation — what an uninterrupted run translates.
    """
    with open_store(url, create=False) as store, store.snapshot():
        rows = store.rows("translations")
        segments = store.rows("segments")
        counts = store.counts()
    links = {s["translation_key"] for s in segments if s["translation_key"] is not None}
    provenance = [(t["source_text"], t["model"], t["revision"], t["backend"], t["settings"]) for t in rows]
    assert len(set(provenance)) == len(provenance), "a sentence was translated twice the same way"
    assert links <= {t["key"] for t in rows}, "a segment points at a translation that is not stored"
    return {
        "translations": counts.translations_cached,
        "pending": counts.segments_pending,
        "linked_sources": len({t["source_text"] for t in rows if t["key"] in links}),
        "sentences": len({for_model(s["text"]) for s in segments if s["reason"] is None}),
    }


def forty_copy_dump(folder: Path) -> Path:
    """40 files; file k is copy k of the seeds' Arabic articles, their lines longer than 80 characters ending in " (k)".

    The copy rule of benchmarks/bench_ingest_memory.py, applied to the Arabic
    articles only (the English ones would make the test a test of language
    detection): every copy's pieces are new, and most of their sentences
    repeat the other copies' (cache hits), a tagged one in each paragraph does not.
    """
    blocks: list[list[str]] = []
    for seed in sorted(SEEDS.glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        lines = text.splitlines()
        blocks += [lines[piece.lines[0] - 1 : piece.lines[-1]] for piece in cut_dump(text).pieces if piece.script == "ar"]
    assert len(blocks) >= 5
    folder.mkdir(parents=True)
    for k in range(1, 41):
        copy = [line + f" ({k})" if len(line) > 80 else line for block in blocks for line in [*block, "", ""]]
        (folder / f"copy_{k:02d}.txt").write_text("\n".join(copy) + "\n", encoding="utf-8")
    return folder


def actor_pids(head: RayHead, name: str) -> list[int]:
    """Live processes of the head's session running an actor of class `name` (Ray titles them ray::...)."""
    pids = []
    for pid in session_members(head.proc.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("ray::") and name in cmdline:
            pids.append(pid)
    return pids


def wait_until(condition, proc: subprocess.Popen[str] | None = None, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(
                f"the run ended (exit {proc.returncode}) before the kill point:\n{proc.stderr.read()[-3000:] if proc.stderr else ''}"
            )
        time.sleep(0.1)
    pytest.fail("the kill point was not reached in time")


# -- the executor itself -------------------------------------------------------------------------


def test_ray_tasks_keep_the_input_order_and_pipeline_errors_keep_their_exit_code(ray_cluster, monkeypatch, tmp_path):
    for key, value in ray_cluster.client_env().items():
        monkeypatch.setenv(key, value)
    executor = RayExecutor(ExecutorSettings(kind="ray", tasks_in_flight=3))
    try:
        assert list(executor.map(partial(pow, 2), range(12))) == [2**n for n in range(12)]
        assert executor.nodes() == 1
        with pytest.raises(UsageError, match="no store here yet") as raised:
            list(executor.map(partial(open_store, create=False), [tmp_path / "missing.sqlite"]))
        assert type(raised.value) is UsageError  # itself, not Ray's wrapper: the CLI exits with its code
        # a pool the cluster cannot place is refused at once instead of waiting for ever
        big = RayExecutor(ExecutorSettings(kind="ray", translate_actors=3))
        with pytest.raises(ConfigError, match="CPU 2 but 3 translation actor"):
            big.map_pool(dict, [1], name="TooBig")
    finally:
        executor.close()


# -- the same results -----------------------------------------------------------------------------


def test_the_seeds_on_ray_and_postgres_give_the_local_outputs(tmp_path, tiny_model_dir, ray_cluster, pg_url):
    run_cli(
        "run",
        SEEDS,
        "--db",
        tmp_path / "local.sqlite",
        "--out",
        tmp_path / "local",
        "--model",
        tiny_model_dir,
        "-q",
        env=local_env(),
    )
    proc = run_cli(
        "run",
        SEEDS,
        "--executor",
        "ray",
        "--db",
        pg_url,
        "--out",
        tmp_path / "ray",
        "--model",
        tiny_model_dir,
        env=ray_cluster.client_env(),
    )
    assert "translated by 1 worker(s)" in proc.stderr
    assert_same_outputs(tmp_path / "local", tmp_path / "ray")
    local, ray = summary(tmp_path / "local"), summary(tmp_path / "ray")
    for key in ("pieces_by_language", "pieces_by_status", "segments_translated", "new_translations", "cache_hits", "matches"):
        assert ray[key] == local[key], key


def test_a_forty_copy_dump_on_two_actors_gives_the_local_outputs(tmp_path, tiny_model_dir, ray_cluster, pg_url):
    dump = forty_copy_dump(tmp_path / "dump")
    external = tmp_path / "external" / "translated.jsonl"
    write_external_translations(external, count=6)
    common = [dump, SEEDS, external, "--model", tiny_model_dir]
    run_cli("run", *common, "--db", tmp_path / "local.sqlite", "--out", tmp_path / "local", "-q", env=local_env())
    proc = run_cli(
        "run",
        *common,
        "--executor",
        "ray",
        "--set",
        "executor.translate_actors=2",
        "--db",
        pg_url,
        "--out",
        tmp_path / "ray",
        env=ray_cluster.client_env(),
    )
    assert "translated by 2 worker(s)" in proc.stderr
    assert_same_outputs(tmp_path / "local", tmp_path / "ray")
    matches = (tmp_path / "ray" / "matches.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(matches) >= 3
    local, ray = summary(tmp_path / "local"), summary(tmp_path / "ray")
    assert ray["stages"]["ingest"]["files_ingested"] == local["stages"]["ingest"]["files_ingested"] == 46
    for key in ("pieces_by_status", "segments_translated", "new_translations", "cache_hits", "matches", "abstentions"):
        assert ray[key] == local[key], key


# -- faults ----------------------------------------------------------------------------------------


def test_an_actor_killed_mid_translation_is_replaced_and_nothing_is_stored_or_counted_twice(
    tmp_path, tiny_model_dir, ray_cluster, pg_url
):
    written = write_arabic_dumps(tmp_path / "dumps", sentences=1200, pieces=40, files=4)
    argv = pipeline_argv(
        "run",
        tmp_path / "dumps",
        "--executor",
        "ray",
        "--set",
        "executor.translate_actors=2",
        "--set",
        "translate.max_batch_size=8",
        "--db",
        pg_url,
        "--out",
        tmp_path / "out",
        "--model",
        tiny_model_dir,
    )
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=child_env(ray_cluster.client_env())
    )
    try:
        wait_until(lambda: translations_stored(pg_url) >= 0.2 * written["distinct_sentences"], proc)
        victims = actor_pids(ray_cluster, "TranslateActor")
        assert len(victims) == 2, victims
        os.kill(victims[0], signal.SIGKILL)
        killed_at = translations_stored(pg_url)
        _, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr[-4000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "translated by 3 worker(s)" in stderr  # the killed actor's replacement (a new process) took over
    counts = check_exactly_once(pg_url)
    assert killed_at < counts["sentences"]  # the kill landed before the end
    assert counts["translations"] == counts["linked_sources"] == counts["sentences"] and counts["pending"] == 0
    result = summary(tmp_path / "out")
    assert result["new_translations"] == counts["sentences"]  # a retried batch is not counted again
    assert result["new_translations"] + result["cache_hits"] == result["segments_translated"]
    # every piece ingest cut is translated (the segmenter glues 2 of these 40 made-up articles: issue 21)
    assert result["pieces_by_status"] == {"translated": result["stages"]["ingest"]["pieces_new"]}


def test_the_drivers_process_group_killed_mid_translation_then_the_rerun_translates_only_what_was_missing(
    tmp_path, tiny_model_dir, ray_cluster, pg_url
):
    written = write_arabic_dumps(tmp_path / "dumps", sentences=1200, pieces=40, files=4)
    args = [
        "run",
        tmp_path / "dumps",
        "--executor",
        "ray",
        "--set",
        "translate.max_batch_size=8",
        "--db",
        pg_url,
        "--out",
        tmp_path / "out",
        "--model",
        tiny_model_dir,
    ]
    # no RAY_ADDRESS: the driver starts a Ray of its own, in its process group
    own_ray = {"RAY_ADDRESS": "", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    driver = subprocess.Popen(
        pipeline_argv(*args, *LOCAL_RAY),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(own_ray),
        start_new_session=True,
    )
    try:
        wait_until(lambda: translations_stored(pg_url) >= 0.2 * written["distinct_sentences"], driver)
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait(timeout=60)
        deadline = time.monotonic() + 60
        while session_members(driver.pid) and time.monotonic() < deadline:  # Ray's workers follow their raylet
            time.sleep(0.2)
        assert session_members(driver.pid) == []  # the Ray it started went down with it: no orphan writes on
    finally:
        stop_session(driver.pid, grace_s=1)
    before = check_exactly_once(pg_url)
    assert 0 < before["translations"] < before["sentences"]
    assert before["linked_sources"] == before["translations"]  # every stored translation is linked: whole batches

    run_cli(*args, env=ray_cluster.client_env())  # the rerun joins the session's cluster
    after = check_exactly_once(pg_url)
    assert after["translations"] == after["linked_sources"] == after["sentences"] == before["sentences"]
    assert after["pending"] == 0
    result = summary(tmp_path / "out")
    assert result["new_translations"] == after["sentences"] - before["translations"]  # only what was missing
    with open_store(pg_url, create=False) as store:
        assert [run.status for run in store.runs()] == ["interrupted", "completed"]
        stored = store.counts().pieces
    # every piece ingest cut is translated (the segmenter glues 2 of these 40 made-up articles: issue 21)
    assert result["pieces_by_status"] == {"translated": stored}


def test_joining_a_cluster_without_its_token_fails_with_what_to_set(tmp_path, ray_cluster):
    env = {"RAY_ADDRESS": ray_cluster.address, "RAY_AUTH_MODE": "disabled"}  # the token left out
    proc = subprocess.run(
        pipeline_argv("ingest", SEEDS / "004_c6526bbb5c2cd36d.txt", "--executor", "ray", "--db", tmp_path / "s.sqlite"),
        capture_output=True,
        text=True,
        env=child_env(env),
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN" in proc.stderr


def test_a_batch_run_twice_by_the_pool_costs_one_model_call_and_is_counted_once(tmp_path, tiny_model_dir, pg_url):
    """What a retried batch does (no Ray needed to see it): it asks the store first, calls no model, inserts nothing."""
    from pipeline.config import Config
    from pipeline.translate.backends import load_translator
    from pipeline.translate.cache import TranslationCache
    from pipeline.translate.pool import TranslateActor, TranslateBatch, make_job
    from pipeline.translate.settings import TranslatorSettings
    from pipeline.translate.stage import _new_segments

    run_cli("ingest", SEEDS / "003_d3a64df3fb8f3d34.txt", "--db", pg_url, "-q", env=local_env())
    settings = TranslatorSettings.from_config(Config.load(overrides={"model.path": str(tiny_model_dir)}))
    with open_store(pg_url, create=False) as store:
        store.save_segments(_new_segments(store.texts_to_split()))
        pending = store.pending_segments()[:12]
    translator = load_translator(settings)
    cache = TranslationCache(translator, run_id=None)
    refs: dict[str, list] = {}
    for segment in pending:
        refs.setdefault(cache.key(for_model(segment.text)), []).append(segment.ref)
    keys = list(refs)
    sources = {cache.key(for_model(s.text)): for_model(s.text) for s in pending}
    batch = TranslateBatch(keys, [sources[k] for k in keys], [refs[k] for k in keys])
    actor = TranslateActor(make_job(translator, cache, settings, pg_url, 30.0, None))
    first, again = actor(batch), actor(batch)
    assert sorted(first.inserted) == sorted(keys) and first.translated == len(keys) and first.model_calls >= 1
    assert (again.inserted, again.translated, again.model_calls) == ([], 0, 0)
    counts = check_exactly_once(pg_url)
    assert counts["translations"] == counts["linked_sources"] == len(keys)


# -- what a careless user gives Ray (issue 25) ------------------------------------------------------------


def test_a_ray_address_that_cannot_be_joined_is_one_line_and_exit_2_at_once(tmp_path):
    """Nothing listening, a web or Ray Client address, a typo: said at once (Ray itself hangs or raises a traceback)."""
    cases = {
        "127.0.0.1:1": "cannot reach the Ray cluster at 127.0.0.1:1: Connection refused",
        "http://127.0.0.1:8265": "is a web address (the dashboard's?): give the head's HOST:PORT",
        "ray://127.0.0.1:10001": "is a Ray Client address, which the pipeline does not use",
        "head-node": "Ray address 'head-node' is not HOST:PORT",
    }
    for address, message in cases.items():
        start = time.monotonic()
        proc = subprocess.run(
            pipeline_argv("ingest", SEEDS / "004_c6526bbb5c2cd36d.txt", "--executor", "ray", "--db", tmp_path / "s.sqlite"),
            capture_output=True,
            text=True,
            env=child_env({"RAY_ADDRESS": address, "RAY_AUTH_MODE": "disabled"}),
            timeout=120,
        )
        assert proc.returncode == 2, (address, proc.stderr[-2000:])
        (line,) = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
        assert message in line, line
        assert time.monotonic() - start < 60


def test_work_no_node_of_the_cluster_can_hold_is_refused_at_once(tmp_path, ray_cluster):
    """A task or an actor bigger than every node is never scheduled: Ray would wait for ever."""
    proc = subprocess.run(
        pipeline_argv(
            "ingest",
            SEEDS / "004_c6526bbb5c2cd36d.txt",
            "--executor",
            "ray",
            "--db",
            tmp_path / "s.sqlite",
            "--set",
            "executor.task_cpus=64",
        ),
        capture_output=True,
        text=True,
        env=child_env(ray_cluster.client_env()),
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "executor.task_cpus 64 is more than any node of the Ray cluster has (the largest has 2 CPUs)" in proc.stderr
    # actors are placed whole: two nodes of 2 CPUs hold no 3-CPU actor, and two 1.5-CPU actors (3 CPUs in all) only one each
    two_nodes = [{"CPU": 2.0, "memory": 4e9}, {"CPU": 2.0, "memory": 4e9}]
    assert placeable(two_nodes, {"CPU": 3.0, "GPU": 0.0, "memory": 1e9}) == 0
    assert placeable(two_nodes, {"CPU": 1.5, "GPU": 0.0, "memory": 1e9}) == 2
    assert placeable(two_nodes, {"CPU": 1.0, "GPU": 0.0, "memory": 3e9}) == 2


def test_an_sqlite_store_on_a_one_node_ray_translates(tmp_path, tiny_model_dir, ray_cluster):
    """docs/cluster.md: --executor ray works with an SQLite file on one node (the actors' store connections per thread)."""
    db = tmp_path / "store.sqlite"
    proc = run_cli(
        "run",
        SEEDS / "003_d3a64df3fb8f3d34.txt",
        "--executor",
        "ray",
        "--db",
        db,
        "--out",
        tmp_path / "out",
        "--model",
        tiny_model_dir,
        env=ray_cluster.client_env(),
    )
    assert "translated by 1 worker(s)" in proc.stderr
    assert summary(tmp_path / "out")["pieces_by_status"] == {"english": 18, "translated": 6}
