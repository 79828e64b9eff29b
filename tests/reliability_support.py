"""Shared helpers of the reliability tests (tests/test_reliability_*.py).

Everything here drives the real command line in a child process — the same
`python -m pipeline ...` an analyst or a cron job runs — and inspects the
real store afterwards through the store's own read methods (as `status` and
`export` read it), so a test sees exit codes, stderr lines and the store
exactly as a user would. The one check that needs SQLite itself, the
integrity check of the file, is in sqlite_surgery.py.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.records import StoreCounts
from pipeline.store import Store, open_store

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

ARABIC_ARTICLE = (
    "سوريا لم تنتظر دعوتها: أيّ جوار من دوننا؟\n\n"
    "الأربعاء 18 آب 2021\n\n"
    "محمود عبد اللطيف\n\n"
    "دمشق | لم يقتصر نفْي توجيه دعوة عراقية إلى سوريا لحضور قمّة بغداد على الجانب العراقي، بل إن نفياً مبطناً "
    "جاء من الرئاسة السورية نفسها، وقال مصدر دبلوماسي عربي في دمشق، لـ«الأخبار»، أن الحكومة لم تتلق أي دعوة.\n\n"
    "ويشير الأستاذ الجامعي والكاتب عقيل محفوض إلى أنه لم تكن هناك توقّعات في الأوساط السياسية السورية بأن تُدعى "
    "دمشق إلى مثل هذا المؤتمر، لأن ذلك سيؤثّر على مواقف بقيّة الدول المدعوّة.\n"
)
ENGLISH_ARTICLE = (
    "Iraq hosts regional summit in Baghdad\n\n27 Jul 2021\n\nBy Staff, Agencies\n\n"
    "Iraq hosted a regional summit on Saturday aimed at easing tensions in the Middle East while emphasizing "
    "the Arab country's new role as a mediator between its neighbours.\n\n"
    "Heads of state attending included the Egyptian president, the king of Jordan and the French president.\n"
)


def pipeline_argv(*args: object) -> list[str]:
    return [sys.executable, "-m", "pipeline", *map(str, args)]


def cli(
    *args: object, timeout: float = 300, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run `pipeline ARGS...` to completion in a child process (stdout and stderr captured as text)."""
    return subprocess.run(
        pipeline_argv(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=child_env(env),
        **kwargs,
    )


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "COLUMNS": "200"})
    env.update(extra or {})
    return env


def stderr_lines(proc: subprocess.CompletedProcess[str], prefix: str = "error: ") -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith(prefix)]


@contextmanager
def reading(db: Path) -> Iterator[Store]:
    """The store at `db` opened as a reader opens it: never created, no run lock, one consistent snapshot."""
    with open_store(db, create=False) as store, store.snapshot():
        yield store


def table(db: Path, name: str) -> list[dict[str, Any]]:
    """Every row of one table of the store at `db`, in key order."""
    with reading(db) as store:
        return store.rows(name)


def counts(db: Path) -> StoreCounts:
    """What the store at `db` holds and what is pending (what `pipeline status` shows)."""
    with reading(db) as store:
        return store.counts()


def run_statuses(db: Path) -> list[str]:
    """The status of every run recorded in the store, oldest first."""
    with reading(db) as store:
        return [run.status for run in store.runs()]


def pieces_per_source(db: Path) -> dict[str, int]:
    """How many pieces each input file (by path) is linked to."""
    with reading(db) as store:
        links = store.rows("piece_sources")
        return {s.path: sum(1 for link in links if link["source_id"] == s.id) for s in store.sources()}


def store_snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The content of the tables that hold users' data (no timestamps, no run ids)."""
    with reading(db) as store:
        sources = store.rows("sources")
        path_of = {s["id"]: s["path"] for s in sources}
        return {
            "sources": sorted((s["path"], s["sha256"], s["status"], s["pieces"]) for s in sources),
            "pieces": [(p["id"], p["title"], p["date"], p["author"], p["outlet"], p["text"]) for p in store.rows("pieces")],
            "paragraphs": [(p["piece_id"], p["idx"], p["text"]) for p in store.rows("paragraphs")],
            "piece_sources": sorted(
                (ps["piece_id"], path_of[ps["source_id"]], ps["position"]) for ps in store.rows("piece_sources")
            ),
        }


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def write_english_dumps(folder: Path, files: int, articles_per_file: int) -> int:
    """Many small English dumps with distinct articles; returns how many articles were written."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for f in range(files):
        parts = []
        for _a in range(articles_per_file):
            n += 1
            parts.append(
                ENGLISH_ARTICLE.replace("Iraq hosts regional summit", f"Iraq hosts regional summit number {n}").replace(
                    "Heads of state", f"In meeting {n}, heads of state"
                )
            )
        (folder / f"dump_{f:03d}.txt").write_text("\n".join(parts), encoding="utf-8")
    return n


# -- dropping root's power to read any file -----------------------------------------------

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2
# Loaded here, in the parent: the child between fork and exec must not take the loader's lock.
_LIBC = ctypes.CDLL(None, use_errno=True)


def drop_file_read_override() -> None:
    """preexec_fn: remove CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set.

    After the exec that follows, even root is bound by file modes: a file
    with mode 000 cannot be opened, while everything root owns with normal
    modes (the temporary folder, the store, the venv) stays usable. For a
    non-root user this is a no-op (the call fails, nothing to drop).
    """
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        _LIBC.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)


def cannot_read_as_child(path: Path) -> bool:
    """True when a child started with :func:`drop_file_read_override` is refused reading `path`."""
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; open(sys.argv[1], 'rb').read(1)", str(path)],
        preexec_fn=drop_file_read_override,
        capture_output=True,
    )
    return probe.returncode != 0 and b"PermissionError" in probe.stderr


def bench_module() -> Any:
    """benchmarks/bench_ingest_memory.py as a module (its synthetic dump writer is reused here)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_ingest_memory", REPO / "benchmarks" / "bench_ingest_memory.py")
    assert spec is not None and spec.loader is not None
    if spec.name in sys.modules:
        return sys.modules[spec.name]
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def write_seed_dumps(folder: Path, files: int, kb_each: int) -> list[Path]:
    """`files` synthetic dumps of about `kb_each` KB, made of the seed dumps, sharing no piece."""
    folder.mkdir(parents=True, exist_ok=True)
    bench = bench_module()
    paths = []
    for n in range(files):
        path = folder / f"dump_{n:03d}.txt"
        bench.write_dump(path, kb_each * 1024, first_copy=1000 * (n + 1))
        paths.append(path)
    return paths


# -- a synthetic Arabic dump for the crash tests ---------------------------------------------

_ARABIC_MONTHS = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول"]
_ARABIC_DAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def seed_arabic() -> tuple[list[str], list[str]]:
    """(titles, sentences) of the Arabic pieces in the seed dumps."""
    from pipeline.ingest import cut_dump
    from pipeline.text.sentences import split_arabic

    titles: list[str] = []
    sentences: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        for piece in cut_dump(path.read_text(encoding="utf-8")).pieces:
            if "\u0627" not in piece.text[:60]:
                continue
            titles.append(piece.title or "")
            sentences.extend(s for p in piece.paragraphs for s in split_arabic(p))
    return [t for t in titles if t], sentences


def write_arabic_dumps(
    folder: Path, sentences: int = 3000, pieces: int = 100, files: int = 10, repeat_every: int = 10
) -> dict[str, int]:
    """Dumps of `pieces` Arabic articles holding `sentences` sentences in all, made of the seeds' sentences.

    Sentence n is seed sentence n (mod the seed count) opened by a numbered
    phrase, so almost all are distinct; every `repeat_every`-th sentence
    repeats an earlier one word for word (a quoted statement, a boilerplate
    line), so "translated once" is tested too. Returns the counts written.
    """
    titles, base = seed_arabic()
    folder.mkdir(parents=True, exist_ok=True)
    per_piece = sentences // pieces
    written: list[str] = []
    articles: list[str] = []
    for p in range(pieces):
        body: list[str] = []
        for _ in range(per_piece):
            n = len(written)
            if n % repeat_every == repeat_every - 1 and n > repeat_every:
                sentence = written[(n * 7) % (n - 1)]
            else:
                sentence = f"وفي البند {str(n + 1).translate(_ARABIC_DIGITS)}، {base[n % len(base)]}"
            written.append(sentence)
            body.append(sentence)
        paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
        title = f"{titles[p % len(titles)].rstrip('.؟?!')} — الملف {str(p + 1).translate(_ARABIC_DIGITS)}"
        date = f"{_ARABIC_DAYS[p % 7]} {1 + p % 28} {_ARABIC_MONTHS[p % 10]} 2021"
        articles.append(f"{title}\n\n{date}\n\nمحمود عبد اللطيف\n\n" + "\n\n".join(paragraphs) + "\n")
    per_file = -(-pieces // files)
    for f in range(files):
        chunk = articles[f * per_file : (f + 1) * per_file]
        if chunk:
            (folder / f"arabic_{f:02d}.txt").write_text("\n\n".join(chunk), encoding="utf-8")
    return {"sentences": len(written), "distinct_sentences": len(set(written)), "pieces": pieces}


def write_external_translations(path: Path, count: int = 6) -> int:
    """JSONL of Arabic pieces that arrive with an English translation from another system.

    Each translation is an English seed article lightly reworded, dated like
    it, so the align stage finds real matches (with sentence pairs) for them
    whatever the tiny test model writes for the other pieces.
    """
    import json

    from pipeline.ingest import cut_dump

    _, arabic = seed_arabic()
    english = [
        piece
        for seed in sorted(SEEDS.glob("*.txt"))
        for piece in cut_dump(seed.read_text(encoding="utf-8")).pieces
        if "\u0627" not in piece.text[:60] and len(piece.paragraphs) >= 3
    ]
    lines = []
    for n, piece in enumerate(english[:count]):
        translation = "\n\n".join(p.replace(" the ", " the ", 1) for p in piece.paragraphs[:6])
        lines.append(
            json.dumps(
                {
                    "text": " ".join(arabic[3 * n : 3 * n + 3]),
                    "title": f"مقال مترجم {n + 1}",
                    "date": piece.date,
                    "lang": "ar",
                    "translation": translation,
                    "model": "external-mt",
                },
                ensure_ascii=False,
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)
