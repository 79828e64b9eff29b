"""Scale benchmark for the HTML report: write time, size, and how fast headless Chromium opens it.

Builds a store of N synthetic pieces through the store's own methods (as
tests/store_factory.py does: sources, detections, segments, translations with
diagnostics, matches with evidence as the align stage writes it, abstentions
with their reasons), then times:

* reading the store for export (``load_export_data``, shared by every format);
* writing the report (report.html + report/ pages + search shards), and its size;
* headless Chromium (Debian's, via Selenium, as the browser test) opening the
  index from disk until its table is drawn, answering a search, sorting by
  score, and opening one match page (the middle one).

Baseline, side by side in the same run: the single-page report.html of the
commit before issue 15 (its html.py and templates read from git), written
from the same data and opened in the same browser, for sizes up to
``--baseline-max`` (at 100,000 pieces it is ~0.5 GB, which the browser does
not open in any useful time).

Synthetic pieces (fixed seed): half Arabic with a translation, half English;
words drawn from wordfreq's Arabic and English lists with their own Zipf
frequencies (so the search index has a realistic vocabulary), 8 sentences
of 14 words per piece, 40 outlets, dates over a year; 60% of the Arabic
pieces matched (one English piece each), the rest abstentions with a best
candidate; 5% of translated sentences flagged.

    python benchmarks/bench_report.py [--sizes 10000 100000] [--baseline-max 10000]

Each size runs in a fresh subprocess, so the peak memory (ru_maxrss) is its own.

Export speed, before and after (``--export-before COMMIT``): the same store
(same seed) built and exported by this tree and by COMMIT's tree (``git
archive``, run with this virtual environment), each in its own subprocess, one
after the other on the same machine: reading the store (``load_export_data``),
writing the report (``write_html``), and the other formats (jsonl, Label
Studio, doccano, TMX, CSV) from the same data. Since schema 5 the chrF
similarity of a match is computed by the align stage and kept with it; each
tree's own test factory writes its matches as its align stage would, and the
time this tree's align stage spends on the similarity is printed beside
(moved, not removed).

    python benchmarks/bench_report.py --export-before 2517887 --sizes 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import types
from datetime import date, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
BASELINE_COMMIT = "0c9406a"  # main before issue 15: report.html as one page
SEED = 15
SENTENCES = 8
WORDS = 14
OUTLETS = 40
BATCH = 5000


def build_store(path: Path, size: int) -> dict[str, int]:
    import wordfreq
    from store_factory import MatchData, Para, PieceData, add_pieces, set_alignments

    from pipeline.records import Alignment
    from pipeline.store import open_store

    rng = np.random.default_rng(SEED)

    def vocabulary(lang: str) -> tuple[np.ndarray, np.ndarray]:
        words = [w for w in wordfreq.top_n_list(lang, 20000) if w.isalpha()]
        freq = np.array([wordfreq.word_frequency(w, lang) for w in words])
        return np.array(words), freq / freq.sum()

    ar_words, ar_p = vocabulary("ar")
    en_words, en_p = vocabulary("en")
    outlets = [f"Outlet {i:02d}" for i in range(OUTLETS)]
    start = date(2024, 1, 1)
    ok = {"flags": [], "values": {"char_ratio": 1.1, "copy_similarity": 0.02, "max_repeats": 1}, "thresholds": "bench"}
    long = {
        "flags": ["length_ratio"],
        "values": {"char_ratio": 2.6, "copy_similarity": 0.02, "max_repeats": 1},
        "thresholds": "bench",
    }

    def sentences(words: np.ndarray, p: np.ndarray, n: int) -> list[str]:
        drawn = rng.choice(len(words), n * WORDS, p=p).reshape(n, WORDS)
        return [" ".join(words[row]).capitalize() + "." for row in drawn]

    n_ar = size // 2
    counts = {"pieces": 0, "matches": 0, "abstentions": 0}
    with open_store(path) as store:
        for first in range(0, size, BATCH):
            pieces = []
            for i in range(first, min(size, first + BATCH)):
                day = (start + timedelta(days=int(rng.integers(0, 365)))).isoformat()
                outlet = outlets[int(rng.integers(0, OUTLETS))]
                source = f"dumps/{i // BATCH:03d}.txt"
                if i < n_ar:
                    ar = sentences(ar_words, ar_p, SENTENCES)
                    en = sentences(en_words, en_p, SENTENCES)
                    diags = [long if rng.random() < 0.05 else ok for _ in range(SENTENCES)]
                    paras = [
                        Para(ar[:4], translations=en[:4], diagnostics=diags[:4]),
                        Para(ar[4:], translations=en[4:], diagnostics=diags[4:]),
                    ]
                    title = sentences(ar_words, ar_p, 1)[0][:60]
                    pieces.append(
                        PieceData(
                            id=f"ar{i:08d}",
                            lang="ar",
                            title=title,
                            title_translation=en[0][:60],
                            paragraphs=paras,
                            date=day,
                            outlet=outlet,
                            source=source,
                        )
                    )
                else:
                    en = sentences(en_words, en_p, SENTENCES)
                    paras = [Para(en[:4], lang="en", route="english"), Para(en[4:], lang="en", route="english")]
                    pieces.append(
                        PieceData(
                            id=f"en{i:08d}",
                            lang="en",
                            title=en[0][:60],
                            paragraphs=paras,
                            date=day,
                            outlet=outlet,
                            status="english",
                            source=source,
                        )
                    )
            add_pieces(store, pieces, first_position=first)
            counts["pieces"] += len(pieces)
        matches, no_coverage = [], {}
        for i in range(n_ar):
            target = f"en{n_ar + int(rng.integers(0, size - n_ar)):08d}"
            if rng.random() < 0.6:
                score = float(rng.uniform(0.5, 1.0))
                matches.append(
                    MatchData(
                        f"ar{i:08d}",
                        target,
                        score,
                        _evidence(rng, score),
                        [(s, s, float(rng.uniform(0.4, 0.95))) for s in range(0, SENTENCES, 2)],
                    )
                )
            else:
                best = float(rng.uniform(0.0, 0.5))
                no_coverage[f"ar{i:08d}"] = Alignment(
                    piece_id=f"ar{i:08d}",
                    status="no_coverage",
                    reason=f"no English coverage found: best candidate {target} scored {best:.3f} < threshold 0.5 "
                    "(shared facts 0.0, sentence evidence 0.10, lexical 0.20, entities 0.30)",
                    candidate_id=target,
                    candidate_score=best,
                    threshold=0.5,
                )
        set_alignments(store, matches, no_coverage)
        counts["matches"], counts["abstentions"] = len(matches), len(no_coverage)
    return counts


def _evidence(rng: np.random.Generator, score: float) -> dict:
    """Evidence shaped as pipeline/align/matcher.py writes it."""
    return {
        "components": {
            "sentences": round(float(rng.uniform(0.5, 1)), 4),
            "lexical": round(float(rng.uniform(0.3, 0.9)), 4),
            "entities": round(float(rng.uniform(0, 1)), 4),
            "date": round(float(rng.uniform(0.3, 1)), 4),
        },
        "weights": {"bias": -7.0, "sentences": 7.0, "lexical": 6.0, "entities": 1.0, "date": 2.0},
        "threshold": 0.5,
        "rank": 1,
        "shared_sentences": 2.0,
        "shared_entities": [
            {"source": "Beirut", "target": "Beirut", "how": "exact", "weight": 3.1},
            {"source": "Nabih Berri", "target": "Berri", "how": "contained", "weight": 2.2},
        ],
        "date_gap_days": int(rng.integers(0, 5)),
        "best_sentence_pairs": [
            {
                "source": 0,
                "target": 0,
                "score": round(score, 4),
                "source_sentences": 1,
                "target_sentences": 1,
                "source_text": "…",
                "target_text": "…",
            }
        ],
        "source_sentences": SENTENCES,
        "target_sentences": SENTENCES,
        "sentence_mode": "monotonic",
    }


def baseline_writer():
    """The single-page writer of BASELINE_COMMIT, loaded from git with its own templates."""
    folder = Path(tempfile.mkdtemp(prefix="old-report-"))
    for name in ("report.html", "report.css", "report.js"):
        text = subprocess.run(
            ["git", "show", f"{BASELINE_COMMIT}:pipeline/templates/{name}"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        (folder / name).write_text(text, encoding="utf-8")
    source = subprocess.run(
        ["git", "show", f"{BASELINE_COMMIT}:pipeline/export/html.py"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    source = source.replace('PackageLoader("pipeline", "templates")', f"FileSystemLoader({str(folder)!r})")
    source = source.replace('(files("pipeline") / "templates" / name)', f"(Path({str(folder)!r}) / name)")
    source = source.replace("from jinja2 import Environment, PackageLoader", "from jinja2 import Environment, FileSystemLoader")
    module = types.ModuleType("old_report_html")
    exec(compile(source, "old_report_html.py", "exec"), module.__dict__)
    return module.render_report


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1400,1000",
        f"--user-data-dir={tempfile.mkdtemp()}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(600)
    return driver


def _wait(driver, script: str, timeout: float = 600) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.01).until(lambda d: d.execute_script(script))


def time_browser(index: Path, page: Path | None, baseline: Path | None) -> dict[str, float]:
    driver = browser()
    out: dict[str, float] = {}
    try:
        started = time.perf_counter()
        driver.get(index.as_uri())
        _wait(driver, "return document.body.dataset.ready === '1'")
        out["index_open_s"] = time.perf_counter() - started
        box = driver.find_element("id", "f-search")
        started = time.perf_counter()
        box.send_keys("government")  # an English word of the synthetic text
        _wait(driver, "return document.getElementById('f-search-note').dataset.query === 'government'")
        out["search_s"] = time.perf_counter() - started - 0.2  # minus the typing debounce
        out["search_hits"] = float(driver.execute_script("return parseInt(document.getElementById('f-count').textContent)"))
        started = time.perf_counter()
        driver.execute_script(
            "const s = document.getElementById('f-sort'); s.value = 'score-desc'; s.dispatchEvent(new Event('change'));"
        )
        out["sort_s"] = time.perf_counter() - started
        if page is not None:
            started = time.perf_counter()
            driver.get(page.as_uri())
            out["match_page_open_s"] = time.perf_counter() - started
        if baseline is not None:
            started = time.perf_counter()
            driver.get(baseline.as_uri())
            _wait(driver, "return document.getElementById('f-count').textContent.length > 0")
            out["baseline_open_s"] = time.perf_counter() - started
    finally:
        driver.quit()
    return out


def one_size(size: int, with_baseline: bool) -> dict:
    from pipeline.export.data import load_export_data
    from pipeline.export.html import ReportOptions, write_html
    from pipeline.output import OutputDir
    from pipeline.store import open_store

    tmp = Path(tempfile.mkdtemp(prefix=f"bench-report-{size}-"))
    result: dict = {"pieces": size}
    try:
        started = time.perf_counter()
        result.update(build_store(tmp / "store.sqlite", size))
        result["store_build_s"] = time.perf_counter() - started
        with open_store(tmp / "store.sqlite", create=False) as store:
            started = time.perf_counter()
            data = load_export_data(store)
            result["load_s"] = time.perf_counter() - started
        started = time.perf_counter()
        write_html(data, OutputDir(tmp / "out"), ReportOptions())
        result["write_s"] = time.perf_counter() - started
        result["index_bytes"] = (tmp / "out" / "report.html").stat().st_size
        result["folder_bytes"], result["files"] = folder_size(tmp / "out")
        pages = sorted((tmp / "out" / "report").glob("matches-*.html"))
        page = pages[len(pages) // 2] if pages else None
        result["match_page_bytes"] = page.stat().st_size if page else 0
        baseline = None
        if with_baseline:
            render = baseline_writer()
            started = time.perf_counter()
            (tmp / "old").mkdir()
            (tmp / "old" / "report.html").write_text(render(data), encoding="utf-8")
            result["baseline_write_s"] = time.perf_counter() - started
            baseline = tmp / "old" / "report.html"
            result["baseline_bytes"] = baseline.stat().st_size
        del data
        result.update(time_browser(tmp / "out" / "report.html", page, baseline))
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


# Runs inside either tree (this one or the --export-before commit's): only names both trees have.
EXPORT_SPEED = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
import bench_report
from pipeline.export.csv import write_csv
from pipeline.export.data import load_export_data
from pipeline.export.doccano import write_doccano
from pipeline.export.html import ReportOptions, write_html
from pipeline.export.jsonl import write_jsonl
from pipeline.export.labelstudio import write_labelstudio
from pipeline.export.tmx import write_tmx
from pipeline.output import OutputDir
from pipeline.store import open_store

size = int(sys.argv[1])
tmp = Path(tempfile.mkdtemp(prefix="bench-export-"))
result = {}
started = time.perf_counter()
bench_report.build_store(tmp / "store.sqlite", size)
result["build_s"] = time.perf_counter() - started
with open_store(tmp / "store.sqlite", create=False) as store:
    started, cpu = time.perf_counter(), time.process_time()
    data = load_export_data(store)
    result["load_s"], result["load_cpu"] = time.perf_counter() - started, time.process_time() - cpu
out = OutputDir(tmp / "out")
started, cpu = time.perf_counter(), time.process_time()
write_html(data, out, ReportOptions())
result["html_s"], result["html_cpu"] = time.perf_counter() - started, time.process_time() - cpu
try:  # this tree's export stage writes every file with the cyclic collector paused (export/data.py: paused_gc)
    from pipeline.export.data import paused_gc
except ImportError:  # the --export-before tree has none
    from contextlib import nullcontext as paused_gc
started, cpu = time.perf_counter(), time.process_time()
with paused_gc():
    for writer in (write_jsonl, write_labelstudio, write_doccano, write_tmx, write_csv):
        writer(data, out)
result["other_s"], result["other_cpu"] = time.perf_counter() - started, time.process_time() - cpu
result["bytes"] = sum(p.stat().st_size for p in (tmp / "out").rglob("*") if p.is_file())
result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if data.matches and hasattr(data.matches[0].match, "similarity"):
    from pipeline.evaluate.similarity import match_similarity
    started = time.perf_counter()
    for m in data.matches:
        match_similarity(m.source, m.target)
    result["chrf_at_align_s"] = time.perf_counter() - started
import shutil
shutil.rmtree(tmp, ignore_errors=True)  # a 100,000-piece store and its export take gigabytes
print(json.dumps(result))
"""


def _tree(commit: str) -> Path:
    """COMMIT's files in a temporary folder (git archive): the code, its tests' factory and its benchmarks."""
    folder = Path(tempfile.mkdtemp(prefix=f"tree-{commit}-"))
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def export_speed(tree: Path, size: int) -> dict:
    env = {**__import__("os").environ, "PYTHONPATH": f"{tree}:{tree / 'tests'}:{tree / 'benchmarks'}"}
    proc = subprocess.run([sys.executable, "-c", EXPORT_SPEED, str(size)], cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"export at {size} in {tree} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def export_before_after(commit: str, sizes: list[int]) -> None:
    before_tree = _tree(commit)
    now = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    print(f"Export speed, this tree ({now} + working tree) against {commit}, one after the other on this machine:")
    print("Wall seconds, and in brackets the CPU seconds of the process (the machine is shared: CPU time is steadier).")
    print(
        "| pieces | code | read the store (s) | report.html + report/ (s) | read + report (s) | other formats (s) | whole export (s) | output | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        for size in sizes:
            for name, tree in ((f"before ({commit})", before_tree), ("after", REPO)):
                r = export_speed(tree, size)
                wall = {k: r[f"{k}_s"] for k in ("load", "html", "other")}
                cpu = {k: r[f"{k}_cpu"] for k in ("load", "html", "other")}

                def both(*keys: str) -> str:
                    return f"{sum(wall[k] for k in keys):.1f} ({sum(cpu[k] for k in keys):.1f})"  # noqa: B023

                print(
                    f"| {size:,} | {name} | {both('load')} | {both('html')} | {both('load', 'html')} | {both('other')} | "
                    f"{both('load', 'html', 'other')} | {_mb(r['bytes'])} | {r['peak_rss_mb']:,.0f} MB |",
                    flush=True,
                )
                if "chrf_at_align_s" in r:
                    print(
                        f"|  | (chrF similarity now computed by align: {r['chrf_at_align_s']:.1f} s, once per match) | | | | | | | |"
                    )
    finally:
        shutil.rmtree(before_tree, ignore_errors=True)


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--baseline-max", type=int, default=10000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--export-before", metavar="COMMIT", help="time the export here and at COMMIT (see the docstring)")
    args = parser.parse_args()
    if args.export_before:
        export_before_after(args.export_before, args.sizes)
        return
    if args.one:
        print(json.dumps(one_size(args.one, args.baseline)))
        return
    rows = []
    for size in args.sizes:
        argv = [sys.executable, __file__, "--one", str(size)] + (["--baseline"] if size <= args.baseline_max else [])
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
        if proc.returncode != 0:
            sys.exit(f"size {size} failed:\n{proc.stderr[-3000:]}")
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"done {size}", file=sys.stderr)
    print(
        "| pieces | matches | write (s) | report.html | whole folder (files) | one match page | "
        "open index (s) | search (s) | sort (s) | open match page (s) | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['pieces']:,} | {r['matches']:,} | {r['write_s']:.1f} (+ {r['load_s']:.1f} reading the store) | "
            f"{_mb(r['index_bytes'])} | {_mb(r['folder_bytes'])} ({r['files']:,}) | {_mb(r['match_page_bytes'])} | "
            f"{r['index_open_s']:.2f} | {r['search_s']:.2f} ({int(r['search_hits']):,} hits) | {r['sort_s']:.2f} | "
            f"{r['match_page_open_s']:.2f} | {r['peak_rss_mb']:,.0f} MB |"
        )
    print()
    print("Baseline: the single-page report.html before issue 15, same data, same browser:")
    print("| pieces | write (s) | report.html | open (s) |")
    print("|---|---|---|---|")
    for r in rows:
        if "baseline_bytes" in r:
            print(f"| {r['pieces']:,} | {r['baseline_write_s']:.1f} | {_mb(r['baseline_bytes'])} | {r['baseline_open_s']:.2f} |")
    print()
    print("store build (not part of the report): " + ", ".join(f"{r['pieces']:,}: {r['store_build_s']:.0f} s" for r in rows))


if __name__ == "__main__":
    main()
