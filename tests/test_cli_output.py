"""What every verb writes into a pipe or a file: whole lines, never wrapped to a terminal's width, never padded.

Each verb runs as a user runs it (a real subprocess, a real store, the tiny
test model for `translate`), its stdout and stderr redirected to files, once
with COLUMNS=40 and once with COLUMNS=4000 in two identical working folders.
Outside a terminal the width must not matter: the two outputs are the same
line for line (timings masked), no line ends in spaces, and the long lines
(the end-of-run table, evaluate's tables, the status listing, every
`next:` line) are there whole, longer than the narrow width.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from reliability_support import SEEDS, child_env, pipeline_argv

FLORES = Path(__file__).resolve().parents[2] / "shared" / "data" / "flores-dev"
NARROW, WIDE = "40", "4000"
TIMING = re.compile(r"\d+(?:\.\d+)? ?s\b|\d+(?:\.\d+)? sentences/s")


def _verbs(work: Path, model: Path) -> list[tuple[str, list[object]]]:
    db, out = work / "store.sqlite", work / "out"
    return [
        ("ingest", ["ingest", SEEDS, "--db", db]),
        ("detect", ["detect", "--db", db]),
        ("translate", ["translate", "--db", db, "--model", model, "--set", "translate.backend=transformers"]),
        ("diagnose", ["diagnose", "--db", db]),
        ("align", ["align", "--db", db]),
        ("export", ["export", "--db", db, "--out", out]),
        ("status", ["status", "--db", db, "--limit", "8"]),
        (
            "evaluate",
            [
                "evaluate",
                "--ref",
                work / "ref.en",
                "--hyp",
                f"opus={work / 'opus.en'}",
                "--hyp",
                f"nllb={work / 'nllb.en'}",
                "--paired-bs-n",
                "20",
                "--worst",
                "2",
            ],
        ),
        ("store copy", ["store", "copy", "--from", db, "--to", work / "copy.sqlite"]),
        ("config", ["config", "--db", db]),
        ("run", ["run", SEEDS, "--db", db, "--out", out, "--model", model, "--set", "translate.backend=transformers"]),
    ]


def _prepare(work: Path) -> None:
    work.mkdir()
    for name, target in (("en", "ref.en"), ("opusmt.en", "opus.en"), ("nllb.en", "nllb.en")):
        lines = (FLORES / f"flores-dev.{name}").read_text(encoding="utf-8").splitlines()[:40]
        (work / target).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run_all(work: Path, model: Path, columns: str) -> dict[str, tuple[str, str]]:
    """Every verb in order over its own folder, stdout and stderr redirected to files; returns the files' text."""
    out: dict[str, tuple[str, str]] = {}
    env = child_env({"COLUMNS": columns, "HF_HUB_OFFLINE": "1"})
    for name, args in _verbs(work, model):
        stdout, stderr = work / f"{name}.out", work / f"{name}.err"
        with stdout.open("w") as o, stderr.open("w") as e:
            proc = subprocess.run(pipeline_argv(*args), stdout=o, stderr=e, env=env, cwd=work, timeout=600)
        assert proc.returncode == 0, f"{name}: {stderr.read_text()}"
        out[name] = (stdout.read_text(encoding="utf-8"), stderr.read_text(encoding="utf-8"))
    return out


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, tiny_model_dir) -> tuple[dict, dict, Path, Path]:
    tmp = tmp_path_factory.mktemp("pipes")
    narrow, wide = tmp / "narrow", tmp / "wide__"  # names of one length: paths take the same room in both
    _prepare(narrow)
    _prepare(wide)
    return _run_all(narrow, tiny_model_dir, NARROW), _run_all(wide, tiny_model_dir, WIDE), narrow, wide


def _same(text: str, work: Path) -> list[str]:
    return TIMING.sub("<time>", text.replace(str(work), "<work>")).splitlines()


def test_no_verb_wraps_or_pads_a_line_in_a_pipe(outputs):
    narrow, wide, narrow_dir, wide_dir = outputs
    assert list(narrow) == [name for name, _ in _verbs(narrow_dir, Path())]
    for name in narrow:
        for stream, a, b in zip(("stdout", "stderr"), narrow[name], wide[name]):
            assert _same(a, narrow_dir) == _same(b, wide_dir), f"{name} {stream} depends on the width"
            padded = [line for line in a.splitlines() if line != line.rstrip()]
            assert padded == [], f"{name} {stream}: lines end in spaces"
    longest = {name: max(len(line) for text in pair for line in text.splitlines()) for name, pair in narrow.items()}
    assert all(n > int(NARROW) for n in longest.values()), longest


def test_long_lines_stay_whole(outputs):
    narrow, _, work, _ = outputs
    run_out, run_err = narrow["run"]
    table = {line.split()[0]: line for line in run_out.splitlines()}
    assert set(table) >= {"pieces", "translations", "sentences", "diagnostics", "matches", "output"}
    assert re.search(r"^sentences +\d+ translated here \(new 0, cached \d+\), 0 pending$", table["sentences"], re.M)
    assert f"next: open {work / 'out' / 'report.html'} in a browser" in run_err.splitlines()[-1]
    ingest_err = narrow["ingest"][1].splitlines()
    assert any(
        re.fullmatch(r".*003_d3a64df3fb8f3d34\.txt: \d+ new pieces, 0 already known, \d+ chrome lines removed", line)
        for line in ingest_err
    )
    evaluate = narrow["evaluate"][0].splitlines()
    assert any(line.startswith("  BLEU     nrefs:1|bs:20|") for line in evaluate)  # signatures whole
    rows = [line for line in evaluate if line.startswith("│ opus ")]
    assert len(rows) == 3 and all(line.endswith("│") for line in rows)  # its scores and its 2 worst lines, each whole
    status = narrow["status"][0].splitlines()
    assert any(re.fullmatch(r"│ pieces translated +│ \d+ pieces translated here +│", line) for line in status)
    titles = [line for line in status if line.startswith("│ ") and "│ english " in line]
    assert titles and all("…" not in line for line in titles)  # whole titles: nothing cut to a width
    for name, (_, err) in narrow.items():
        assert [line for line in err.splitlines() if line.startswith("next: ")], f"{name} says what to do next"


def test_help_examples_are_kept_verbatim_and_h_is_help():
    """Each example a verb's help gives is one line, as written in its docstring, however narrow the terminal."""
    from pipeline.cli import app

    env = child_env({"COLUMNS": "40"})
    long = subprocess.run(pipeline_argv("run", "--help"), capture_output=True, text=True, env=env, timeout=120)
    short = subprocess.run(pipeline_argv("run", "-h"), capture_output=True, text=True, env=env, timeout=120)
    assert long.returncode == short.returncode == 0 and long.stdout == short.stdout
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        doc = command.callback.__doc__ or ""
        examples = [line.strip() for line in doc.splitlines() if line.strip().startswith("pipeline ")]
        if not examples:
            continue
        verb = "config" if name == "show_config" else name
        text = subprocess.run(pipeline_argv(verb, "-h"), capture_output=True, text=True, env=env, timeout=120).stdout
        shown = [line.strip() for line in text.splitlines()]
        assert all(example in shown for example in examples), (verb, examples)
