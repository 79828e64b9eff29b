"""Input formats, encodings and bad inputs: each bad file is one clear error, the others still go in."""

from __future__ import annotations

import gzip
import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from reliability_support import (  # one copy of the sample articles
    ARABIC_ARTICLE,
    ENGLISH_ARTICLE,
    SEEDS,
)

from pipeline.config import Config
from pipeline.errors import InputError
from pipeline.ingest import IngestSettings, cut_dump, ingest_paths, read_source
from pipeline.ingest.readers import _os_reason
from pipeline.records import content_id
from pipeline.store import Store, open_store


def ingest(tmp_path: Path, paths: list, **ingest_settings):
    store = open_store(tmp_path / "store.sqlite")
    report = ingest_paths(store, Config({"ingest": ingest_settings}), paths)
    return store, report


def texts(store: Store) -> list[str]:
    return [r["text"] for r in store.rows("pieces")]


def failed_sources(store: Store) -> dict[str, str]:
    return {Path(s.path).name: s.error for s in store.sources() if s.status == "failed"}


# -- encodings ---------------------------------------------------------------------------------


def cut_rows(text: str) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    return sorted((content_id(p.text), p.title, p.date, p.author, p.outlet) for p in cut_dump(text).pieces)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1256"])
def test_same_arabic_text_in_any_encoding_gives_the_same_piece(tmp_path, encoding):
    expected = cut_rows(ARABIC_ARTICLE)  # what the segmenter makes of the decoded text, whatever that is
    raw = ARABIC_ARTICLE.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # with an explicit byte-order mark
        raw = ("\ufeff" + ARABIC_ARTICLE).encode(encoding)
    (tmp_path / "a.txt").write_bytes(raw)
    store, report = ingest(tmp_path, [tmp_path / "a.txt"])
    assert report.errors == [] and report.pieces_new == len(expected)
    rows = sorted((r["id"], r["title"], r["date"], r["author"], r["outlet"]) for r in store.rows("pieces"))
    assert rows == expected
    assert any("لم يقتصر نفْي توجيه دعوة عراقية" in r["text"] for r in store.rows("pieces"))  # decoded right
    (recorded,) = [s.encoding for s in store.sources()]
    assert recorded == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1256": "cp1256"}.get(encoding, "utf-16")


def test_a_short_arabic_article_is_one_piece_with_its_metadata():
    (piece,) = cut_dump(ARABIC_ARTICLE).pieces
    assert (piece.title, piece.date, piece.author, piece.outlet) == (
        "سوريا لم تنتظر دعوتها: أيّ جوار من دوننا؟",
        "2021-08-18",
        "محمود عبد اللطيف",
        "Al-Akhbar",
    )


def test_windows_line_endings_and_no_break_spaces_do_not_change_the_id(tmp_path):
    plain = cut_dump(ENGLISH_ARTICLE).pieces[0]
    (tmp_path / "crlf.txt").write_bytes(ENGLISH_ARTICLE.replace("\n", "\r\n").replace("a regional", "a\u00a0regional").encode())
    store, _ = ingest(tmp_path, [tmp_path / "crlf.txt"])
    assert [r["id"] for r in store.rows("pieces")] == [content_id(plain.text)]


# -- formats -----------------------------------------------------------------------------------


def test_jsonl_broken_line_in_the_middle_is_reported_and_the_others_kept(tmp_path):
    lines = [
        json.dumps({"text": "First article body. It has two sentences.", "title": "First", "date": "27 Jul 2021", "lang": "en"}),
        '{"text": "broken line, no closing brace"',
        json.dumps(
            {"text": "المقال الثاني باللغة العربية.", "translation": "The second article in Arabic.", "model": "nllb-200"}
        ),
        json.dumps({"title": "no text field"}),
        json.dumps({"text": "Third one.", "translation": "Troisième.", "system": "google"}),
        json.dumps({"text": "Fourth one.", "translation": "Quatrième."}),
    ]
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store, report = ingest(tmp_path, [tmp_path / "p.jsonl"])
    assert [(e["line"], e["path"].endswith("p.jsonl")) for e in report.errors] == [(2, True), (4, True)]
    assert "not valid JSON" in report.errors[0]["reason"] and "'text'" in report.errors[1]["reason"]
    assert report.pieces_new == 4
    rows = {r["text"]: r for r in store.rows("pieces")}
    first = rows["First article body. It has two sentences."]
    assert (first["title"], first["date"], first["lang_hint"], first["lang"]) == ("First", "2021-07-27", "en", None)
    external = {rows_id: [(e.system, e.text) for e in found] for rows_id, found in store.external_translations().items()}
    assert external[rows["المقال الثاني باللغة العربية."]["id"]] == [("nllb-200", "The second article in Arabic.")]
    assert external[rows["Third one."]["id"]] == [("google", "Troisième.")]
    assert external[rows["Fourth one."]["id"]] == [("external", "Quatrième.")]
    assert [s.status for s in store.sources()] == ["partial"]
    # the bad lines are reported again on a re-run, and nothing is added twice
    again = ingest_paths(store, Config({}), [tmp_path / "p.jsonl"])
    assert again.files_skipped_unchanged == 1 and again.pieces_new == 0 and len(again.errors) == 2


def test_jsonl_with_no_usable_line_fails_the_file(tmp_path):
    (tmp_path / "bad.jsonl").write_text("{oops\n[1, 2]\n", encoding="utf-8")
    store, report = ingest(tmp_path, [tmp_path / "bad.jsonl"])
    assert report.files_failed == 1 and "no usable JSON lines" in failed_sources(store)["bad.jsonl"]


HTML = """<!DOCTYPE html><html><head><title>Iraq summit opens | Example News</title>
<meta name="author" content="Jane Doe"><meta property="article:published_time" content="2021-08-28T10:00:00">
<meta property="og:site_name" content="Example News">
<script>var tracking = "SECRET_SCRIPT_TEXT";</script><style>.x{color:red}</style></head>
<body onload="alert('SECRET_SCRIPT_TEXT')"><nav>Home | World | Sport</nav><article><h1>Iraq summit opens</h1>
<p>Leaders gathered in Baghdad on Saturday for a regional summit aimed at easing tensions across the Middle East.</p>
<p>The meeting was attended by the presidents of France and Egypt and by the king of Jordan.</p>
<script>alert("SECRET_SCRIPT_TEXT")</script><noscript>SECRET_SCRIPT_TEXT</noscript>
<iframe src="javascript:alert('SECRET_SCRIPT_TEXT')"></iframe></article><footer>Related News</footer></body></html>"""


def test_html_main_text_without_scripts_and_with_page_metadata(tmp_path):
    (tmp_path / "page.html").write_text(HTML, encoding="utf-8")
    store, report = ingest(tmp_path, [tmp_path / "page.html"])
    assert report.errors == [] and report.pieces_new == 1
    (row,) = store.rows("pieces")
    assert "SECRET_SCRIPT_TEXT" not in row["text"] and "color:red" not in row["text"]
    assert row["text"].startswith("Leaders gathered in Baghdad")
    assert (row["title"], row["date"], row["author"], row["outlet"]) == (
        "Iraq summit opens",
        "2021-08-28",
        "Jane Doe",
        "Example News",
    )
    paragraphs = [r["text"] for r in store.rows("paragraphs")]
    assert "\n\n".join(paragraphs) == row["text"] and len(paragraphs) == 2


def test_tiny_html_page_still_gives_its_text_and_never_its_scripts(tmp_path):
    page = tmp_path / "tiny.htm"
    page.write_text(
        "<html><body><script>var x = 'SECRET_SCRIPT_TEXT';</script><p>Short news item from Baghdad today.</p>"
        "<noscript>SECRET_SCRIPT_TEXT</noscript></body></html>",
        encoding="utf-8",
    )
    store, report = ingest(tmp_path, [page])
    assert report.errors == []
    assert texts(store) == ["Short news item from Baghdad today."]


def test_directories_are_walked_recursively_in_sorted_order(tmp_path):
    root = tmp_path / "dumps"
    (root / "b" / "deeper").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "b" / "deeper" / "z.txt").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    (root / "a" / "y.txt").write_text(ARABIC_ARTICLE, encoding="utf-8")
    (root / "a" / "notes.pdf").write_bytes(b"%PDF-1.4 not text")  # not a dump extension: left alone
    (root / ".hidden.txt").write_text("Hidden\n\nshould not be read at all, it is a dotfile in the folder.\n")
    store, report = ingest(tmp_path, [root])
    assert report.errors == [] and report.files_ingested == 2
    paths = [Path(s.path).relative_to(root).as_posix() for s in store.sources()]
    assert paths == ["a/y.txt", "b/deeper/z.txt"]


def test_a_symlink_loop_inside_a_folder_is_reported_and_the_rest_ingested(tmp_path):
    root = tmp_path / "dumps"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "article.txt").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    os.symlink(root, root / "sub" / "back-to-top")  # a folder link to an ancestor
    os.symlink("self.txt", root / "self.txt")  # a link to itself
    _store, report = ingest(tmp_path, [root])
    reasons = {Path(e["path"]).name: e["reason"] for e in report.errors}
    assert "symlink loop" in reasons["back-to-top"] and "symlink loop" in reasons["self.txt"]
    assert report.pieces_new == 1


def test_gzipped_inputs_of_every_kind(tmp_path):
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(ARABIC_ARTICLE.encode("cp1256")))
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(json.dumps({"text": "A JSONL piece inside gzip."}).encode()))
    (tmp_path / "c.html.gz").write_bytes(gzip.compress(HTML.encode()))
    store, report = ingest(tmp_path, [tmp_path])
    assert report.errors == [] and report.pieces_new == len(cut_rows(ARABIC_ARTICLE)) + 2
    kinds = sorted(f"{s.kind} {s.encoding}" for s in store.sources())
    assert kinds == ["html+gz utf-8", "jsonl+gz utf-8", "text+gz cp1256"]


def test_read_source_and_cut_dump_work_without_a_store():
    (document,) = read_source(next(SEEDS.glob("001_*.txt")))
    assert document.kind == "text" and document.encoding == "utf-8" and document.segment
    pieces = cut_dump(document.text).pieces
    assert len(pieces) == 1 and pieces[0].outlet == "Shafaq News"


# -- bad inputs --------------------------------------------------------------------------------


def make_bad_inputs(tmp_path: Path) -> dict[str, Path]:
    bad = tmp_path / "bad"
    bad.mkdir()
    files = {
        "missing": bad / "missing.txt",
        "empty": bad / "empty.txt",
        "blank": bad / "blank.txt",
        "binary": bad / "image.txt",
        "nul": bad / "nul.txt",
        "undecodable": bad / "undecodable.txt",
        "truncated": bad / "truncated.txt.gz",
        "loop": bad / "loop.txt",
    }
    files["empty"].write_bytes(b"")
    files["blank"].write_text("\n   \n\t\n")
    files["binary"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    files["nul"].write_bytes(b"Some title\n\nsome text\x00with a NUL byte in it and more text after it\n")
    files["undecodable"].write_bytes(b"A title line\n\n" + bytes(range(0x80, 0x100)) * 8 + b"\n")
    files["truncated"].write_bytes(gzip.compress(ENGLISH_ARTICLE.encode() * 50)[:-40])
    os.symlink("loop.txt", files["loop"])
    return files


EXPECTED_REASON = {
    "missing": "no such file",
    "empty": "empty file",
    "blank": "empty file",
    "binary": "binary file (a PNG image)",
    "nul": "binary file: NUL byte",
    "undecodable": "undecodable bytes",
    "truncated": "truncated .gz",
    "loop": "symlink loop",
}


def test_every_bad_input_is_one_clear_error_and_the_good_files_still_go_in(tmp_path):
    files = make_bad_inputs(tmp_path)
    good = tmp_path / "good.txt"
    good.write_text(ENGLISH_ARTICLE, encoding="utf-8")
    store, report = ingest(tmp_path, [*files.values(), good])
    reasons = {Path(e["path"]).name: e["reason"] for e in report.errors}
    for key, path in files.items():
        assert EXPECTED_REASON[key] in reasons[path.name], (key, reasons[path.name])
        assert "\n" not in reasons[path.name]
    assert report.files_failed == len(files) and report.files_ingested == 1 and report.pieces_new == 1
    assert report.exit_code() == 3
    assert set(failed_sources(store)) == {p.name for p in files.values()}
    assert store.counts().pieces == 1


def test_a_huge_single_line_file_fails_fast_without_reading_it_into_memory(tmp_path):
    huge = tmp_path / "one-line.txt"
    with open(huge, "wb") as handle:
        chunk = b"word " * 200_000  # 1 MB
        for _ in range(50):
            handle.write(chunk)
    start = time.perf_counter()
    _store, report = ingest(tmp_path, [huge])
    assert time.perf_counter() - start < 10
    (error,) = report.errors
    assert "max_line_chars" in error["reason"]


def test_line_over_the_limit_after_good_articles_leaves_nothing_of_the_file(tmp_path):
    """The second pass fails on the long line after pieces were written: the file's transaction rolls back."""
    dump = tmp_path / "dump.txt"
    articles = "\n".join(ENGLISH_ARTICLE.replace("Baghdad", f"Baghdad ({n})") for n in range(5))
    dump.write_text(articles + "\n" + "x" * 3000 + "\n", encoding="utf-8")
    store, report = ingest(tmp_path, [dump], max_line_chars=2000)
    assert report.errors[0]["line"] == articles.count("\n") + 2 and "3,000 characters" in report.errors[0]["reason"]
    assert store.rows("pieces") == [] and store.rows("paragraphs") == []
    assert store.rows("piece_sources") == []
    assert [s.status for s in store.sources()] == ["failed"]


def test_files_over_max_file_mb_are_refused(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text((ENGLISH_ARTICLE + "\n") * 200, encoding="utf-8")
    _store, report = ingest(tmp_path, [big], max_file_mb=0.01)
    assert "over max_file_mb" in report.errors[0]["reason"]


# An unreadable file (mode 000) is tested end to end, also as root, in
# test_reliability_inputs.py::test_an_unreadable_file_is_one_error_and_the_rest_is_read.


def test_permission_errors_are_named_as_such(tmp_path):
    error = PermissionError(13, "Permission denied", str(tmp_path / "x.txt"))
    assert _os_reason(error, tmp_path / "x.txt") == "cannot read: permission denied"


def test_input_error_names_file_and_line():
    assert str(InputError("dump.jsonl", "not valid JSON", 7)) == "dump.jsonl:7: not valid JSON"


def test_settings_reject_unknown_keys():
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError):
        Config({"ingest": {"max_file_megabytes": 3}}).section("ingest", IngestSettings)


def test_read_source_is_strict_about_broken_jsonl_lines_unless_asked_to_collect_them(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "one"}\nnot json\n{"text": "two"}\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_source(path)
    assert raised.value.line == 2
    errors: list[InputError] = []
    documents = read_source(path, errors=errors)
    assert [d.text for d in documents] == ["one", "two"] and [e.line for e in errors] == [2]


def test_jsonl_paragraphs_split_on_blank_lines_or_one_per_line(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [
        {"text": "First paragraph of one.\n\nSecond paragraph of one.\n\n\nThird paragraph of one."},
        {"text": "Line one of two.\nLine two of two."},
        {"text": "Chrome is dropped here too.\nShare\nRelated News\nLast line of three."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    store, report = ingest(tmp_path, [path])
    assert report.errors == []
    counts = sorted(Counter(r["piece_id"] for r in store.rows("paragraphs")).values())
    assert counts == [2, 2, 3]
    assert not any("Related News" in t or t.endswith("Share") for t in texts(store))
