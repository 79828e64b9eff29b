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
    python benchmarks/bench_ingest_memory.py --mb 30 --baseline /tmp/rule-cutter --baseline /tmp/main   # speed

Each command's wall time and CPU time (user + system) are printed: on a
machine shared with other jobs the CPU time is the steadier figure, and
baselines (``--baseline DIR``, repeatable) run on the same dump in the same
run, one after the other.

Exit status 1 when ingest's peak RSS is over --limit-mb (default 1024).

Shapes (``--shapes``): many articles stream in flat memory, but a dump made
of *one* endless piece did not (issue 14). Three more inputs, each ingested
by the current code and, with ``--baseline DIR``, by the code checked out in
DIR (e.g. ``git worktree add /tmp/old f0a0661``), printed side by side:

* ``repeated``: a .gz that expands to one line repeated (450 MB by default:
  the case that peaked at 4.08 GB);
* ``single``: one article of 100 MB with no piece boundary in it (2.3 GB);
* ``html``: an HTML page of 30 MB of paragraphs without an article
  container (1.05 GB, 382 s); the current code refuses pages over
  ``ingest.max_html_mb`` (8) at once, so the largest page it still reads,
  just under the cap, is measured too.

    python benchmarks/bench_ingest_memory.py --shapes --baseline /tmp/old
    python benchmarks/bench_ingest_memory.py --shapes --scale 0.1     # every shape at a tenth of its size
"""

from __future__ import annotations

import argparse
import gzip
import html
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
    cpu_seconds: float = 0.0  # user + system time of the command: on a shared machine a steadier figure than wall time


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
    json.dump({"maxrss_kb": usage.ru_maxrss, "exit": os.waitstatus_to_exitcode(status), "seconds": seconds,
               "cpu": usage.ru_utime + usage.ru_stime, "output": output[-4000:]}, handle)
"""


def measure(name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> Measure:
    """Run `argv` as a child process in `cwd`; its own peak RSS (ru_maxrss, KiB on Linux) and wall time.

    `python -m pipeline` imports the pipeline found in `cwd` first: that is how
    ``--baseline DIR`` runs an older checkout's code on the same input.
    """
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        subprocess.run([PYTHON, "-c", LAUNCHER, result.name, *argv], env=env, cwd=cwd, check=True)
        data = json.loads(Path(result.name).read_text())
    return Measure(
        name,
        round(data["maxrss_kb"] / 1024, 1),
        round(data["seconds"], 2),
        data["exit"],
        data["output"].strip(),
        round(data["cpu"], 2),
    )


def pipeline_argv(*args: str) -> list[str]:
    return [PYTHON, "-m", "pipeline", *args]


def run_benchmark(size_mb: float, workdir: Path, baselines: list[Path] | None = None) -> dict[str, object]:
    dump = workdir / "dump.txt"
    start = time.perf_counter()
    size = write_dump(dump, int(size_mb * 1024 * 1024))
    generate_s = time.perf_counter() - start
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    read = measure("read", [PYTHON, "-c", READ_SCRIPT, str(dump)], env)
    base = measure("import", [PYTHON, "-c", "import pipeline.cli, pipeline.ingest, pipeline.store"], env)
    store = workdir / "store.sqlite"
    measures = [read, base]
    # the same dump through the code checked out in each baseline folder, before this code (same machine, same run)
    for baseline in baselines or []:
        old_store = workdir / "baseline.sqlite"
        name = f"base:{baseline.name}" if len(baselines or []) > 1 else "baseline"
        argv = pipeline_argv("ingest", str(dump), "--db", str(old_store), "--quiet", "--no-detect")
        measures.append(measure(name, argv, env, baseline))
        old_store.unlink(missing_ok=True)
    ingest = measure(
        "ingest", pipeline_argv("ingest", str(dump), "--db", str(store), "--quiet", *(["--no-detect"] if baselines else [])), env
    )
    measures.append(ingest)
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
        "measures": [asdict(m) for m in measures],
    }


def render(result: dict[str, object], limit_mb: float) -> str:
    rows = result["measures"]
    assert isinstance(rows, list)
    ingest = rows[-1]
    lines = [
        f"dump {result['dump_mb']} MB (generated in {result['generate_s']} s), "
        f"{result['pieces']} pieces stored, store {result['store_mb']} MB",
        f"{'command':<18} {'peak RSS MB':>12} {'seconds':>9} {'CPU s':>9} {'MB/s':>7} {'exit':>5}",
    ]
    for m in rows:
        rate = f"{float(result['dump_mb']) / m['seconds']:.1f}" if m["name"] != "import" and m["seconds"] else "-"
        lines.append(
            f"{m['name'][:18]:<18} {m['peak_rss_mb']:>12} {m['seconds']:>9} {m['cpu_seconds']:>9} {rate:>7} {m['exit_code']:>5}"
        )
    over = ingest["peak_rss_mb"] - rows[1]["peak_rss_mb"]
    verdict = "OK" if ingest["peak_rss_mb"] <= limit_mb and ingest["exit_code"] == 0 else "OVER BUDGET OR FAILED"
    lines.append(
        f"ingest peak RSS {ingest['peak_rss_mb']} MB (imports alone {rows[1]['peak_rss_mb']} MB, +{over:.1f} MB); budget {limit_mb:g} MB: {verdict}"
    )
    return "\n".join(lines)


# -- shapes: dumps of one endless piece, and a big HTML page -------------------------------------------


def _body_paragraphs() -> list[str]:
    """English body paragraphs of the seeds (sentences, 25+ words): no line of them starts a piece."""
    return [line for line in seed_corpus() if line.isascii() and line.endswith(".") and len(line.split()) >= 25]


def write_repeated_gz(path: Path, size_bytes: int) -> int:
    """A .gz expanding to `size_bytes` of one paragraph repeated line after line; returns the expanded size."""
    line = (_body_paragraphs()[0] + "\n").encode("utf-8")
    block = line * max(1, (1 << 20) // len(line))
    written = 0
    with gzip.open(path, "wb", compresslevel=6) as handle:
        while written < size_bytes:
            handle.write(block)
            written += len(block)
    return written


def write_single_article(path: Path, size_bytes: int) -> int:
    """One article of `size_bytes`: a headline, a date, then distinct paragraphs, none of which starts a piece."""
    body = _body_paragraphs()
    written = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("A very long report on the regional summit\n\n27 Jul 2021\n\nBy Staff\n\n")
        n = 0
        while written < size_bytes:
            n += 1
            text = f"In part {n}, {body[n % len(body)]}\n\n"
            handle.write(text)
            written += len(text.encode("utf-8"))
    return path.stat().st_size


def write_html_page(path: Path, size_bytes: int) -> int:
    """An HTML page of `size_bytes` of paragraphs and no article container (read by trafilatura, the costly path)."""
    body = _body_paragraphs()
    written = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("<!DOCTYPE html><html><head><title>A very long page</title></head><body><h1>A very long page</h1>\n")
        n = 0
        while written < size_bytes:
            n += 1
            text = f"<p>In part {n}, {html.escape(body[n % len(body)])}</p>\n"
            handle.write(text)
            written += len(text.encode("utf-8"))
        handle.write("</body></html>\n")
    return path.stat().st_size


# name → (writer, default size in MB, file name, what the issue measured before the fix)
SHAPES = {
    "repeated": (write_repeated_gz, 450, "repeated.txt.gz", "4.08 GB"),
    "single": (write_single_article, 100, "single.txt", "2.3 GB"),
    "html": (write_html_page, 30, "page.html", "1.05 GB, 382 s"),
    "html-under-cap": (write_html_page, 7.5, "page.html", "-"),
}


def run_shapes(scale: float, workdir: Path, baseline: Path | None, only: list[str]) -> list[dict[str, object]]:
    """Ingest each shape with the current code (and the baseline's), each in its own process and store."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    rows: list[dict[str, object]] = []
    for name in only:
        writer, default_mb, file_name, before = SHAPES[name]
        folder = workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        dump = folder / file_name
        expanded = writer(dump, int(default_mb * scale * 1024 * 1024))
        for code, cwd in (("now", REPO), ("baseline", baseline)):
            if cwd is None:
                continue
            store = folder / f"{code}.sqlite"
            result = measure(code, pipeline_argv("ingest", str(dump), "--db", str(store), "--quiet", "--no-detect"), env, cwd)
            rows.append(
                {
                    "shape": name,
                    "code": code,
                    "input_mb": round(expanded / 1048576, 1),
                    "file_mb": round(dump.stat().st_size / 1048576, 2),
                    "peak_rss_mb": result.peak_rss_mb,
                    "seconds": result.seconds,
                    "exit_code": result.exit_code,
                    "issue_figure": before,
                    "message": (result.output.splitlines() or [""])[-1][:160],
                }
            )
    return rows


def render_shapes(rows: list[dict[str, object]]) -> str:
    lines = [
        f"{'shape':<15} {'code':<9} {'input MB':>9} {'file MB':>8} {'peak RSS MB':>12} {'seconds':>8} {'exit':>5}  before (issue 14)"
    ]
    for r in rows:
        lines.append(
            f"{r['shape']:<15} {r['code']:<9} {r['input_mb']:>9} {r['file_mb']:>8} {r['peak_rss_mb']:>12} {r['seconds']:>8} "
            f"{r['exit_code']:>5}  {r['issue_figure']}"
        )
        if r["exit_code"] != 0:
            lines.append(f"{'':<15} {'':<9} {r['message']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200, help="size of the synthetic dump in MB (default 200)")
    parser.add_argument("--limit-mb", type=float, default=1024, help="peak RSS budget for ingest (default 1024)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep", type=Path, help="write the dump and store here instead of a temporary folder")
    parser.add_argument(
        "--shapes", action="store_true", help="measure the shapes of one endless piece and a big HTML page instead"
    )
    parser.add_argument("--only", default=",".join(SHAPES), help=f"with --shapes: which of {', '.join(SHAPES)} (comma-separated)")
    parser.add_argument("--scale", type=float, default=1.0, help="with --shapes: size of every shape relative to its default")
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        help="also run the pipeline checked out in this folder on the same input (all with --no-detect: ingest alone);"
        " give it more than once to compare several trees in one run (--shapes: the first only)",
    )
    args = parser.parse_args(argv)
    if args.shapes:
        return _main_shapes(args)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run_benchmark(args.mb, args.keep, args.baseline)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            result = run_benchmark(args.mb, Path(tmp), args.baseline)
    print(json.dumps(result, indent=2) if args.json else render(result, args.limit_mb))
    ingest = result["measures"][-1]  # type: ignore[index]
    return 0 if ingest["exit_code"] == 0 and ingest["peak_rss_mb"] <= args.limit_mb else 1


def _main_shapes(args: argparse.Namespace) -> int:
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        rows = run_shapes(args.scale, args.keep, (args.baseline or [None])[0], only)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-shapes-") as tmp:
            rows = run_shapes(args.scale, Path(tmp), (args.baseline or [None])[0], only)
    print(json.dumps(rows, indent=2) if args.json else render_shapes(rows))
    now = [r for r in rows if r["code"] == "now"]
    return 0 if all(float(str(r["peak_rss_mb"])) <= args.limit_mb for r in now) else 1


if __name__ == "__main__":
    sys.exit(main())
