"""Peak memory of `pipeline ingest` on a large synthetic dump, next to baselines.

Why: analysts get dumps of hundreds of megabytes; ingest must stream them
(read, decode, segment and store one piece at a time) instead of holding the
file, so its peak resident memory has to stay flat as the dump grows. The
budget is 1 GB for a 200 MB dump.

The dump is built in a temporary folder from the seed dumps (seeds/): the
whole seed corpus is repeated, and every copy gets a number appended to its
long lines, so every piece is new (no deduplication shortcut) while the
segmenter sees realistic structure (headlines, dates, bylines, chrome,
Arabic and English pieces). Three commands are measured, each in its own
process, with the peak RSS that the kernel reports for that child
(`os.wait4` rusage, i.e. RUSAGE_CHILDREN for that one process, taken by a
small launcher process so the parent's own memory does not leak into it):

* ``read``: Python streaming the file line by line and hashing it (the floor
  for any Python reader of this file);
* ``import``: Python importing the pipeline's CLI and ingest stage (the
  fixed cost of any pipeline command, before it reads anything);
* ``ingest``: ``pipeline ingest DUMP --db STORE``.

    python benchmarks/bench_ingest_memory.py              # 200 MB, the figure the README quotes
    python benchmarks/bench_ingest_memory.py --mb 20      # a quick check
    python benchmarks/bench_ingest_memory.py --json       # machine-readable

Exit status 1 when ingest's peak RSS is over --limit-mb (default 1024).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
PYTHON = sys.executable

READ_SCRIPT = """
import hashlib, sys
h = hashlib.sha256(); n = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        h.update(line.encode()); n += 1
print(n, h.hexdigest()[:12])
"""


def seed_corpus() -> list[str]:
    """The seed dumps' lines, in order, with a blank line between dumps."""
    lines: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines.extend(path.read_text(encoding="utf-8").splitlines())
        lines.extend(["", ""])
    return lines


def write_dump(path: Path, size_bytes: int, first_copy: int = 1) -> int:
    """Write a synthetic dump of about `size_bytes` (UTF-8) to `path`; returns its exact size.

    Copy k of the seed corpus appends " (k)" to every line longer than 80
    characters (body paragraphs), so each copy's pieces have new content ids
    (numbering starts at `first_copy`: dumps with disjoint numbers share no piece).
    """
    corpus = seed_corpus()
    long_line = [len(line) > 80 for line in corpus]
    written = 0
    copy = first_copy - 1
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        while written < size_bytes:
            copy += 1
            tag = f" ({copy})"
            block = "\n".join(line + tag if is_long else line for line, is_long in zip(corpus, long_line)) + "\n\n"
            handle.write(block)
            written += len(block.encode("utf-8"))
    return path.stat().st_size


@dataclass
class Measure:
    name: str
    peak_rss_mb: float
    seconds: float
    exit_code: int
    output: str


# Started by a small launcher process, because Linux carries a parent's peak RSS
# into a forked child's ru_maxrss (the fork copies the memory map's high-water
# mark and exec keeps it): measured straight from a big parent such as pytest,
# every command would seem to need at least the parent's memory.
LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
output = proc.stdout.read().decode("utf-8", "replace")
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as handle:
    json.dump({"maxrss_kb": usage.ru_maxrss, "exit": os.waitstatus_to_exitcode(status), "seconds": seconds, "output": output[-4000:]}, handle)
"""


def measure(name: str, argv: list[str], env: dict[str, str] | None = None) -> Measure:
    """Run `argv` as a child process; its own peak RSS (ru_maxrss, KiB on Linux) and wall time."""
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        subprocess.run([PYTHON, "-c", LAUNCHER, result.name, *argv], env=env, cwd=REPO, check=True)
        data = json.loads(Path(result.name).read_text())
    return Measure(name, round(data["maxrss_kb"] / 1024, 1), round(data["seconds"], 2), data["exit"], data["output"].strip())


def pipeline_argv(*args: str) -> list[str]:
    return [PYTHON, "-m", "pipeline", *args]


def run_benchmark(size_mb: float, workdir: Path) -> dict[str, object]:
    dump = workdir / "dump.txt"
    start = time.perf_counter()
    size = write_dump(dump, int(size_mb * 1024 * 1024))
    generate_s = time.perf_counter() - start
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    read = measure("read", [PYTHON, "-c", READ_SCRIPT, str(dump)], env)
    base = measure("import", [PYTHON, "-c", "import pipeline.cli, pipeline.ingest, pipeline.store"], env)
    store = workdir / "store.sqlite"
    ingest = measure("ingest", pipeline_argv("ingest", str(dump), "--db", str(store), "--quiet"), env)
    pieces = None
    if ingest.exit_code == 0:
        from pipeline.store import open_store

        with open_store(store, create=False) as opened:
            pieces = opened.counts().pieces
    return {
        "dump_mb": round(size / 1048576, 1),
        "generate_s": round(generate_s, 1),
        "pieces": pieces,
        "store_mb": round(store.stat().st_size / 1048576, 1) if store.exists() else None,
        "measures": [asdict(m) for m in (read, base, ingest)],
    }


def render(result: dict[str, object], limit_mb: float) -> str:
    rows = result["measures"]
    assert isinstance(rows, list)
    ingest = rows[-1]
    lines = [
        f"dump {result['dump_mb']} MB (generated in {result['generate_s']} s), "
        f"{result['pieces']} pieces stored, store {result['store_mb']} MB",
        f"{'command':<8} {'peak RSS MB':>12} {'seconds':>9} {'MB/s':>7} {'exit':>5}",
    ]
    for m in rows:
        rate = f"{float(result['dump_mb']) / m['seconds']:.1f}" if m["name"] != "import" and m["seconds"] else "-"
        lines.append(f"{m['name']:<8} {m['peak_rss_mb']:>12} {m['seconds']:>9} {rate:>7} {m['exit_code']:>5}")
    over = ingest["peak_rss_mb"] - rows[1]["peak_rss_mb"]
    verdict = "OK" if ingest["peak_rss_mb"] <= limit_mb and ingest["exit_code"] == 0 else "OVER BUDGET OR FAILED"
    lines.append(f"ingest peak RSS {ingest['peak_rss_mb']} MB (imports alone {rows[1]['peak_rss_mb']} MB, +{over:.1f} MB); budget {limit_mb:g} MB: {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200, help="size of the synthetic dump in MB (default 200)")
    parser.add_argument("--limit-mb", type=float, default=1024, help="peak RSS budget for ingest (default 1024)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep", type=Path, help="write the dump and store here instead of a temporary folder")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run_benchmark(args.mb, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            result = run_benchmark(args.mb, Path(tmp))
    print(json.dumps(result, indent=2) if args.json else render(result, args.limit_mb))
    ingest = result["measures"][-1]  # type: ignore[index]
    return 0 if ingest["exit_code"] == 0 and ingest["peak_rss_mb"] <= args.limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
