"""Names and scraped text a terminal, a database or a JSON file would choke on, end to end through the CLI.

A Linux file name is bytes: an Arabic name saved in cp1256 (as archives
scraped on Windows have them) is not UTF-8, and a name may even hold a
newline. Scraped titles and paths may hold what rich reads as markup
(``[/]``, ``[link=...]``). Each must be read, stored, printed and exported
as text: no traceback, one line per message, the other files of the same
call processed, and the same name everywhere (store, messages, summary.json,
exports), written with its odd bytes as ``\\xNN``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path

from reliability_support import ARABIC_ARTICLE, ENGLISH_ARTICLE, SEEDS, cli, counts, reading, stderr_lines
from sqlite_surgery import integrity

CP1256_NAME = "ب_الأخبار.txt".encode("cp1256")  # not UTF-8: b'\xc8_\xc7\xe1\xc3\xce\xc8\xc7\xd1.txt'
SHOWN = "\\xc8_\\xc7\\xe1\\xc3\\xce\\xc8\\xc7\\xd1.txt"  # how the pipeline writes that name


def fs(path: Path, name: bytes) -> Path:
    """`path / name` for a name given as the bytes it has on disk."""
    return path / os.fsdecode(name)


def shown(path: Path) -> str:
    """How messages, the store and the exports write a path whose last part is CP1256_NAME."""
    return str(path.parent) + "/" + SHOWN


def test_a_file_name_that_is_not_utf8_is_read_stored_and_exported_as_text(tmp_path, tiny_model_dir):
    folder = tmp_path / "dumps"
    folder.mkdir()
    (folder / "a.txt").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    odd = fs(folder, CP1256_NAME)
    odd.write_text(ARABIC_ARTICLE, encoding="utf-8")
    empty = fs(folder, b"empty \xe1.txt")  # a bad file with a bad name: one error line naming it
    empty.write_bytes(b"")
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    proc = cli("run", folder, "--db", db, "--out", out, "--model", tiny_model_dir)
    assert proc.returncode == 3, proc.stderr  # the empty file; everything else done
    assert "Traceback" not in proc.stderr
    assert set(stderr_lines(proc)) == {f"error: {folder}/empty \\xe1.txt: empty file"}  # as it happens, and again at the end
    with reading(db) as store:
        sources = {s.path: s.status for s in store.sources()}
        assert [r.status for r in store.runs()] == ["completed_with_errors"]
    assert sources == {str(folder / "a.txt"): "ingested", shown(odd): "ingested", f"{folder}/empty \\xe1.txt": "failed"}
    pieces = {p["lang"]: p for p in map(json.loads, (out / "pieces.jsonl").read_text(encoding="utf-8").splitlines())}
    assert pieces["ar"]["source"] == shown(odd) and pieces["ar"]["status"] == "translated"
    assert pieces["en"]["source"] == str(folder / "a.txt")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["messages"] == [f"{folder}/empty \\xe1.txt: empty file"]
    # again: the file is recognised by the same name, nothing new, the same one error
    again = cli("run", folder, "--db", db, "--out", out, "--model", tiny_model_dir, "--quiet")
    assert again.returncode == 3 and set(stderr_lines(again)) == {f"error: {folder}/empty \\xe1.txt: empty file"}
    assert counts(db).pieces == 2 and integrity(db) == "ok"


def test_store_output_and_input_named_in_bytes_and_a_newline_in_a_name(tmp_path, tiny_model_dir):
    """--db, --out and a named input whose names are not UTF-8; a file name with a newline stays on one line."""
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    named = fs(dumps, b"named \xc8.txt")
    named.write_text(ARABIC_ARTICLE, encoding="utf-8")
    newline = dumps / "two\nlines.txt"
    newline.write_bytes(b"\x00\x01binary")
    db, out = fs(tmp_path, b"store \xc8.sqlite"), fs(tmp_path, b"out \xc8")
    proc = cli("run", named, newline, "--db", db, "--out", out, "--model", tiny_model_dir)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    (error,) = set(stderr_lines(proc))
    assert error.startswith(f"error: {dumps}/two\\x0alines.txt: binary file")
    assert f"{tmp_path}/out \\xc8" in proc.stdout  # the run's table names the output folder as text
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["export"]["out_dir"] == f"{tmp_path}/out \\xc8"
    assert summary["pieces_by_status"] == {"translated": 1}
    status = cli("status", "--db", db)
    assert status.returncode == 0 and "store\\xc8.sqlite" in "".join(status.stdout.split())  # the title wraps
    exported = cli("export", "--db", db, "--out", out)
    assert exported.returncode == 0 and f"{tmp_path}/out \\xc8/pieces.jsonl" in exported.stdout
    with reading(db) as store:
        assert [s.path for s in store.sources()] == [f"{dumps}/named \\xc8.txt", f"{dumps}/two\\x0alines.txt"]
        (run,) = store.runs()
        # quoted as a shell would read it, so the report can name the command that finishes a run
        assert run.command == shlex.join(["run", f"{dumps}/named \\xc8.txt", f"{dumps}/two\\x0alines.txt"])


def test_a_model_folder_whose_name_is_not_utf8_is_exit_4_with_the_reason(tmp_path, tiny_model_dir):
    model = fs(tmp_path, b"model \xc8")
    shutil.copytree(tiny_model_dir, model)
    dump = tmp_path / "dump.txt"
    dump.write_text(ARABIC_ARTICLE + "\n\n" + ENGLISH_ARTICLE, encoding="utf-8")
    proc = cli("run", dump, "--db", tmp_path / "s.sqlite", "--out", tmp_path / "out", "--model", model)
    assert proc.returncode == 4, proc.stderr
    (error,) = set(stderr_lines(proc))
    assert f"{tmp_path}/model \\xc8: its path is not valid UTF-8 text" in error
    assert counts(tmp_path / "s.sqlite").pieces_by_status == {"pending": 1, "english": 1}


MARKUP_TITLES = ["[/]", "[video] Summit in Baghdad", "[link=https://evil.example]click here[/link]", "[bold red]Breaking[/] news"]


def test_scraped_markup_is_printed_as_text_by_every_verb(tmp_path, tiny_model_dir):
    """Titles, file names and output paths holding rich markup: printed as they are, never interpreted."""
    folder = tmp_path / "in[" / "]dumps"  # a path holding "[/]": the folder ']dumps' in 'in['
    folder.mkdir(parents=True)
    lines = [
        json.dumps(
            {"text": f"Article {i}: {t} The summit in Baghdad was held on Saturday with many leaders.", "title": t, "lang": "en"}
        )
        for i, t in enumerate(MARKUP_TITLES)
    ]
    (folder / "[bold]pieces.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "[red]arabic.txt").write_text(ARABIC_ARTICLE, encoding="utf-8")
    (folder / "[i]empty[link=x].txt").write_bytes(b"")
    db, out = tmp_path / "store.sqlite", tmp_path / "a[/]b"  # the folder ']b' in 'a[': the path holds "[/]"
    run = cli("run", folder, "--db", db, "--out", out, "--model", tiny_model_dir)
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert set(stderr_lines(run)) == {f"error: {folder}/[i]empty[link=x].txt: empty file"}
    assert str(out) in run.stdout and (out / "report.html").is_file()

    status = cli("status", "--db", db)
    assert status.returncode == 0, status.stderr
    for title in ("[/]", "[video] Summit", "[link=https://evil.example]click"):
        assert title in status.stdout, title
    assert "\x1b]8;" not in status.stdout  # no live hyperlink
    as_json = json.loads(cli("status", "--db", db, "--json").stdout)
    assert sorted(p["title"] for p in as_json["pieces_list"] if p["lang"] == "en") == sorted(MARKUP_TITLES)

    exported = cli("export", "--db", db, "--out", tmp_path / "c[/]d")
    assert exported.returncode == 0 and f"{tmp_path}/c[/]d/pieces.jsonl" in exported.stdout
    for verb in ("detect", "translate", "diagnose", "align"):
        proc = cli(verb, "--db", db, "--model", tiny_model_dir) if verb == "translate" else cli(verb, "--db", db)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (verb, proc.stderr)
    ingest = cli("ingest", folder, "--db", db)
    assert ingest.returncode == 3 and "Traceback" not in ingest.stderr
    # evaluate prints the worst segments: system output and references are text
    ref, hyp = tmp_path / "ref.en", tmp_path / "hyp.en"
    ref.write_text("[/] the summit was held\n[link=x]a meeting[/link]\n", encoding="utf-8")
    hyp.write_text("[bold]the summit[/] took place\n[/]\n", encoding="utf-8")
    evaluate = cli("evaluate", "--ref", ref, "--hyp", f"[red]sys[/]={hyp}", "--paired", "none")
    assert evaluate.returncode == 0, evaluate.stderr
    assert "[/] the summit was held" in evaluate.stdout and "[red]sys[/]" in evaluate.stdout


TERMINAL_ATTACKS = ["\x1b]0;owned\x07", "\x1b[2J\x1b[H", "\x9b31m", "\x07\x08\x7f"]


def _controls(text: str) -> list[str]:
    """Control characters a terminal would obey (newline and tab lay text out and are allowed)."""
    return sorted({c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0})


def test_terminal_control_characters_from_data_are_shown_never_sent_raw(tmp_path):
    """Titles and system names holding ESC]0;…BEL, ESC[2J, a C1 CSI: every verb prints them escaped (\\x1b), never raw."""
    arabic = ARABIC_ARTICLE.split("\n\n")[3]
    lines = [
        json.dumps(
            {
                "text": f"{arabic} ({n})",
                "title": f"{attack}Title {n}",
                "lang": "ar",
                "translation": f"{attack} Syria was not invited to the Baghdad summit ({n}).",
                "model": f"{attack}system-{n % 2}",
            }
        )
        for n, attack in enumerate(TERMINAL_ATTACKS)
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "store.sqlite"
    assert cli("ingest", tmp_path / "in.jsonl", "--db", db, "-q").returncode == 0
    status = cli("status", "--db", db)
    as_json = cli("status", "--db", db, "--json")
    pieces = json.loads(as_json.stdout)["pieces_list"]
    assert sorted(p["title"] for p in pieces) == sorted(f"{a}Title {n}" for n, a in enumerate(TERMINAL_ATTACKS))
    (tmp_path / "refs.jsonl").write_text(
        "\n".join(json.dumps({"piece_id": p["id"], "text": "Syria was not invited to the summit."}) for p in pieces),
        encoding="utf-8",
    )
    evaluate = cli("evaluate", "--db", db, "--import-refs", tmp_path / "refs.jsonl", "--paired", "none")
    bad_baseline = cli("evaluate", "--db", db, "--baseline", f"{TERMINAL_ATTACKS[0]}nope")
    for proc in (status, as_json, evaluate, bad_baseline):
        assert proc.returncode in (0, 2), proc.stderr
        assert _controls(proc.stdout + proc.stderr) == [], (proc.args[3:5], proc.stdout[-800:], proc.stderr[-800:])
    assert "\\x1b]0;owned" in status.stdout  # shown, escaped (rich drops the BEL itself)
    assert "\\u009b31m" in as_json.stdout  # a C1 control, as JSON writes it
    assert "\\x1b[2J" in evaluate.stdout + evaluate.stderr
    assert bad_baseline.returncode == 2 and "\\x1b]0;owned" in bad_baseline.stderr


def test_a_name_too_long_for_the_filesystem_is_one_line_naming_it(tmp_path):
    """A 300-byte name (the limit is 255) as --out, inside --out, as --db, as evaluate --out: exit 6, named, not exit 1."""
    db = tmp_path / "store.sqlite"
    assert cli("ingest", SEEDS / "003_d3a64df3fb8f3d34.txt", "--db", db, "--no-detect", "-q").returncode == 0
    long = "a" * 300
    ref = tmp_path / "ref.en"
    ref.write_text("the summit was held\n", encoding="utf-8")
    cases = [
        (
            ("export", "--db", db, "--out", tmp_path / long),
            f"{tmp_path / long}: cannot use this output folder: File name too long",
        ),
        (("export", "--db", db, "--out", tmp_path / long / "x"), "cannot use this output folder: File name too long"),
        (("status", "--db", tmp_path / long), f"{tmp_path / long}: cannot open the store: File name too long"),
        (("evaluate", "--ref", ref, "--hyp", f"a={ref}", "--out", tmp_path / long), "File name too long"),
    ]
    for args, message in cases:
        proc = cli(*args)
        assert proc.returncode == 6, (args[0], proc.stderr)
        (line,) = stderr_lines(proc)
        assert message in line and "unexpected" not in line, line
