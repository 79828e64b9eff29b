#!/usr/bin/env python
"""Benchmark: the same translation job in one process, on Ray with 1 and 2 actors, and on a two-node Ray cluster.

The job. A random MarianMT with the real opus-mt-ar-en architecture
(benchmarks/bench_translate.py builds it: vocabulary 62834, d_model 512,
6+6 layers; it costs per token what the real model costs) translates
--sentences distinct Arabic sentences: FLORES dev sentences
(../shared/data/flores-dev/flores-dev.ar), each opened by a numbered phrase
so none repeats, in pieces of 30 sentences, a piece a file. They are
ingested and detected once into a base SQLite store; each contender gets a
copy of it (`pipeline store copy`, into SQLite or into a new PostgreSQL
database) and runs `pipeline translate` on it, in a process of its own,
with every sentence forced to exactly --new-tokens output tokens
(translate.min_new_tokens = max_new_tokens), so all contenders generate the
same number of tokens. Backend: CTranslate2 int8 (what `auto` picks on CPU).

Contenders:

  local-1   one process, SQLite, translate.threads 1
  local-2   one process, SQLite, translate.threads 2 (today's default on 2 cores)
  local-2pg one process, PostgreSQL, threads 2 (what the store alone costs)
  ray-1     --executor ray, PostgreSQL, 1 actor × 1 CPU, joining a Ray head with 2 CPUs
  ray-2     --executor ray, PostgreSQL, 2 actors × 1 CPU, same head
  cluster   --executor ray, PostgreSQL, 2 actors × 1 CPU on a head and a worker node
            started with `ray start` on this machine (1 CPU each, separate resources):
            the cluster path, one actor per node

What is measured, per contender:

* CPU seconds: every process the run used — the `pipeline translate`
  process (the driver, through getrusage), the Ray head's and worker node's
  processes (actors, raylets, GCS) and the PostgreSQL server's (sampled from
  /proc while the run lasts, see CpuMeter). This is
  the work done, which the load of a shared machine hardly moves; "CPU
  ms/1k tok" is it per thousand generated tokens, and "Ray/local CPU" divides
  a Ray contender's by the local one with the same CPUs for the model
  (ray-1 by local-1, ray-2 and cluster by local-2): Ray's overhead at equal
  CPUs, as a ratio (1.00 = none);
* "translate s", the translate stage's wall time as the run ledger records
  it (segmenting, cache lookups, the driver's model load, Ray's actor start
  and the actors' model loads, translation, storing), and tokens/s =
  generated tokens / that time. On a machine other jobs share, wall time
  follows their load (printed with the table); the contenders run
  interleaved (local-1, ray-1, local-2, ray-2, local-2pg, cluster) so a
  change of load falls on both sides of a comparison.

    nice -n 10 .venv/bin/python benchmarks/bench_scale.py --sentences 2000

This is a script, not a test: timings depend on the machine and its load
(the load average is printed with the table).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # test support: the throwaway PostgreSQL and Ray services
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_translate import FLORES, ensure_model  # noqa: E402 - after the path set-up above
from services import PostgresCluster, RayHead  # noqa: E402

from pipeline.store import open_store  # noqa: E402

CONTENDERS = ["local-1", "ray-1", "local-2", "ray-2", "local-2pg", "cluster"]
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=2000, help="distinct sentences to translate")
    parser.add_argument("--new-tokens", type=int, default=40, help="tokens generated per sentence")
    parser.add_argument("--beams", type=int, default=1, help="beam size (1 = greedy)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="which of " + ",".join(CONTENDERS))
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "bench-translate",
        help="benchmark model (shared with bench_translate.py) and CTranslate2 cache",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    chosen = args.contenders.split(",")
    model = ensure_model(args.work_dir)
    convert_once(model, args.work_dir / "ct2")  # no contender pays for the conversion
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    dump = write_dump(scratch / "dump", args.sentences)
    base = scratch / "base.sqlite"
    pipeline("ingest", dump, "--db", base, "-q")  # the ingest verb detects too; not timed
    load_before = os.getloadavg()
    results: list[dict] = []
    postgres = PostgresCluster().start()
    head = RayHead(cpus=2, object_store_mb=500).start() if {"ray-1", "ray-2"} & set(chosen) else None
    try:
        for name in [c for c in CONTENDERS if c in chosen and c != "cluster"]:  # interleaved: local-1, ray-1, local-2, ...
            if name.startswith("local"):
                results.append(run_local(name, args, model, base, scratch, postgres))
            else:
                assert head is not None
                results.append(run_ray(name, args, model, base, postgres, head, actors=int(name[-1])))
        if head is not None:
            head.stop()
            head = None
        if "cluster" in chosen:
            head = RayHead(cpus=1, object_store_mb=400, resources='{"head_node": 1}').start()
            head.add_worker(cpus=1, resources='{"worker_node": 1}')
            results.append(run_ray("cluster", args, model, base, postgres, head, actors=2))
    finally:
        if head is not None:
            head.stop()
        postgres.stop()
    report(results, args, load_before, os.getloadavg())
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def convert_once(model: Path, cache_dir: Path) -> None:
    from pipeline.translate.convert import converted_model
    from pipeline.translate.model import resolve_model
    from pipeline.translate.settings import ModelSettings, TranslatorSettings

    converted_model(resolve_model(TranslatorSettings(model=ModelSettings(path=str(model)))), str(cache_dir))


def write_dump(folder: Path, sentences: int) -> Path:
    """`sentences` distinct Arabic sentences (FLORES dev, numbered), 30 to a piece, one piece a file."""
    flores = [line.strip() for line in FLORES.read_text(encoding="utf-8").splitlines() if line.strip()]
    folder.mkdir(parents=True)
    lines = [f"وفي البند {str(n + 1).translate(ARABIC_DIGITS)}، {flores[n % len(flores)]}" for n in range(sentences)]
    for p in range(0, sentences, 30):
        body = lines[p : p + 30]
        paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
        text = f"تقرير رقم {str(p // 30 + 1).translate(ARABIC_DIGITS)}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"piece_{p // 30:04d}.txt").write_text(text, encoding="utf-8")
    return folder


def pipeline(*args: object, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Run `pipeline ARGS` to success; returns its wall time and what it wrote to stderr."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "COLUMNS": "500", **(env or {})},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pipeline {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    elapsed = time.perf_counter() - started
    if "translated by" in proc.stderr:
        print("  " + next(line for line in proc.stderr.splitlines() if "translated by" in line), file=sys.stderr)
    return elapsed, proc.stderr


def worker_nodes(stderr: str) -> tuple[int, int]:
    """(actors, Ray nodes) that translated, from the run's "translated by N worker(s): HOST pid P node ID, ..." line."""
    line = " ".join(stderr.split("translated by", 1)[1].split())  # the message, however the console wrapped it
    workers = re.findall(r"pid (\d+) node ([0-9a-f]+)", line)
    return len(workers), len({node for _, node in workers})


def decoding(args: argparse.Namespace, model: Path) -> list[str]:
    n = args.new_tokens
    return [
        "--model",
        str(model),
        "--set",
        f"translate.min_new_tokens={n}",
        "--set",
        f"translate.max_new_tokens={n}",
        "--set",
        f"translate.num_beams={args.beams}",
        "--set",
        "translate.backend=ctranslate2",
        "--set",
        f"translate.cache_dir={args.work_dir / 'ct2'}",
    ]


def run_local(name: str, args: argparse.Namespace, model: Path, base: Path, scratch: Path, postgres: PostgresCluster) -> dict:
    threads = 1 if name == "local-1" else 2
    store = postgres.create_database() if name.endswith("pg") else str(scratch / f"{name}.sqlite")
    pipeline("store", "copy", "--from", base, "--to", store, "-q")
    print(f"{name}: translating ...", file=sys.stderr, flush=True)
    with CpuMeter([postgres_session(postgres)]) as cpu:
        wall, _ = pipeline(
            "translate",
            "--db",
            store,
            *decoding(args, model),
            "--set",
            f"translate.threads={threads}",
            "-q",
            env={"RAY_ADDRESS": ""},
        )
    return measure(name, "postgresql" if name.endswith("pg") else "sqlite", threads, store, wall, cpu.seconds, args)


def run_ray(
    name: str, args: argparse.Namespace, model: Path, base: Path, postgres: PostgresCluster, head: RayHead, actors: int
) -> dict:
    store = postgres.create_database()
    pipeline("store", "copy", "--from", base, "--to", store, "-q")
    print(f"{name}: translating ...", file=sys.stderr, flush=True)
    assert head.proc is not None
    with CpuMeter([postgres_session(postgres), head.proc.pid, *(worker.pid for worker in head.workers)]) as cpu:
        wall, stderr = pipeline(
            "translate",
            "--db",
            store,
            *decoding(args, model),
            "--executor",
            "ray",
            "--set",
            f"executor.translate_actors={actors}",
            "--set",
            "executor.actor_cpus=1",
            env=head.client_env(),
        )
    result = measure(name, "postgresql", actors, store, wall, cpu.seconds, args)
    result["actors_used"], result["nodes_used"] = worker_nodes(stderr)
    return result


class CpuMeter:
    """CPU seconds used while it runs by this process's children and by the processes of some sessions.

    The children (the `pipeline` command) are counted through getrusage once
    reaped. The sessions' processes (Ray's actors and raylets, PostgreSQL's
    backends) are sampled from /proc every `every_s` seconds: each process's
    own user+system time, keyed by pid and start time, the last sample
    counting. Their reaped children's time (cutime) cannot be used: the
    raylet does not wait for the actors it ends, so theirs never reaches it.
    A process that lives less than `every_s` is missed (a few ticks).
    """

    def __init__(self, sessions: list[int], every_s: float = 0.2):
        self.sessions = set(sessions)
        self.every_s = every_s
        self.start: dict[tuple[int, int], int] = {}
        self.last: dict[tuple[int, int], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._children = 0.0
        self.seconds = 0.0

    def __enter__(self) -> CpuMeter:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._children = children.ru_utime + children.ru_stime
        self.start = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.last.update(self._sample())
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        ticks = sum(used - self.start.get(key, 0) for key, used in self.last.items())
        self.seconds = children.ru_utime + children.ru_stime - self._children + ticks / os.sysconf("SC_CLK_TCK")

    def _poll(self) -> None:
        while not self._stop.wait(self.every_s):
            self.last.update(self._sample())

    def _sample(self) -> dict[tuple[int, int], int]:
        """(pid, start time) → utime+stime ticks of every live process of the sessions."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) in self.sessions:
                found[(int(entry.name), int(fields[19]))] = int(fields[11]) + int(fields[12])
        return found


def postgres_session(postgres: PostgresCluster) -> int:
    """The PostgreSQL server's session (pg_ctl starts the postmaster in a session of its own)."""
    pid = int((postgres.data / "postmaster.pid").read_text().split()[0])
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])


def measure(name: str, backend: str, cpus: int, store: str, wall: float, cpu_s: float, args: argparse.Namespace) -> dict:
    with open_store(store, create=False) as opened:
        run = opened.last_run()
        counts = opened.counts()
    assert run is not None and run.summary is not None
    translate = run.summary["stages"]["translate"]
    seconds = run.summary["timings_s"]["translate"]
    tokens = translate["new_translations"] * args.new_tokens
    assert counts.segments_pending == 0 and translate["new_translations"] == counts.translations_cached, (counts, translate)
    return {
        "name": name,
        "store": backend,
        "cpus": cpus,
        "sentences": translate["new_translations"],
        "tokens": tokens,
        "batches": translate["model_calls"],
        "wall_s": round(wall, 1),
        "translate_s": seconds,
        "tokens_per_s": round(tokens / seconds, 1),
        "cpu_s": round(cpu_s, 1),
        "cpu_ms_per_1k_tokens": round(1e6 * cpu_s / tokens, 1),
    }


def report(results: list[dict], args: argparse.Namespace, load_before: tuple[float, ...], load_after: tuple[float, ...]) -> None:
    by_name = {r["name"]: r for r in results}
    baseline = {"ray-1": "local-1", "ray-2": "local-2", "cluster": "local-2"}
    print(
        f"\n{results[0]['sentences'] if results else 0} sentences × {args.new_tokens} tokens, beam {args.beams}, CTranslate2 int8, "
        f"{os.cpu_count()} cores; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    print(
        "| run | store | CPUs for the model | CPU s | CPU ms/1k tok | Ray/local CPU | translate s | tokens/s | Ray/local tokens/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        base = by_name.get(baseline.get(r["name"], ""))
        cpu_ratio = f"{r['cpu_ms_per_1k_tokens'] / base['cpu_ms_per_1k_tokens']:.2f}" if base else "—"
        speed_ratio = f"{r['tokens_per_s'] / base['tokens_per_s']:.2f}" if base else "—"
        print(
            f"| {r['name']} | {r['store']} | {r['cpus']} | {r['cpu_s']} | {r['cpu_ms_per_1k_tokens']:,.0f} | {cpu_ratio} | "
            f"{r['translate_s']} | {r['tokens_per_s']:,.0f} | {speed_ratio} |"
        )
    print()
    for r in results:
        if "nodes_used" in r:
            print(f"{r['name']}: translated by {r['actors_used']} actor(s) on {r['nodes_used']} Ray node(s)")
    print()


if __name__ == "__main__":
    main()
