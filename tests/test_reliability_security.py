"""Security, end to end through `pipeline run`: nothing from a dump or a model folder runs, nothing escapes --out.

Covered elsewhere, not repeated here: scraped text shown in report.html is
inert in a real browser (tests/test_export_browser.py), output file names and
symlinks at the file level (tests/test_export_files.py), the pickle check at
the function level (tests/test_translate_model.py). Here the whole command is
the unit, with payloads that would leave a trace if they ever ran.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from lxml import etree
from reliability_support import ARABIC_ARTICLE, ENGLISH_ARTICLE, cli, counts, table
from sqlite_surgery import integrity

SEED_WITH_ARABIC = Path(__file__).resolve().parents[1] / "seeds" / "003_d3a64df3fb8f3d34.txt"


def small_dump(tmp_path: Path) -> Path:
    """One Arabic and one English article: enough for a whole run, in seconds."""
    path = tmp_path / "small.txt"
    path.write_text(ARABIC_ARTICLE + "\n\n" + ENGLISH_ARTICLE, encoding="utf-8")
    return path


class _Payload:
    """Unpickling this creates the file `marker`: proof that pickle data was executed."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def copy_model(src: Path, dst: Path, skip: tuple[str, ...] = ()) -> Path:
    dst.mkdir()
    for item in src.iterdir():
        if item.is_file() and item.name not in skip:
            shutil.copy2(item, dst / item.name)
    return dst


def test_a_model_folder_with_pickle_weights_is_refused_and_never_unpickled(tmp_path, tiny_model_dir):
    marker = tmp_path / "PICKLE-RAN"
    model = copy_model(tiny_model_dir, tmp_path / "pickled-model", skip=("model.safetensors",))
    (model / "pytorch_model.bin").write_bytes(pickle.dumps({"state_dict": _Payload(marker)}))
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    proc = cli("run", SEED_WITH_ARABIC, "--db", db, "--out", out, "--model", model)
    assert proc.returncode == 4, proc.stderr
    assert "pickle" in proc.stderr and "allow_pickle" in proc.stderr
    assert not marker.exists(), "the pickle file was loaded"
    # the rest of the run happened: English kept, Arabic pending with the reason, outputs written
    statuses = counts(db).pieces_by_status
    assert statuses.get("pending", 0) == 6 and statuses.get("english", 0) > 0
    pieces = [json.loads(line) for line in (out / "pieces.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {p["status"] for p in pieces if p["lang"] == "ar"} == {"pending"}
    assert integrity(db) == "ok"


@pytest.mark.parametrize("backend", ["ctranslate2", "transformers"])
def test_code_shipped_in_a_model_folder_never_runs(tmp_path, tiny_model_dir, backend):
    """config.json / tokenizer_config.json asking for custom classes (auto_map) are not obeyed,
    neither when loading with transformers nor when converting for CTranslate2."""
    marker = tmp_path / "REMOTE-CODE-RAN"
    model = copy_model(tiny_model_dir, tmp_path / "model-with-code")
    (model / "evil.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).touch()\n"
        "from transformers import MarianMTModel, MarianTokenizer\n"
        "class EvilModel(MarianMTModel):\n    pass\nclass EvilTokenizer(MarianTokenizer):\n    pass\n",
        encoding="utf-8",
    )
    for name, key, cls in (
        ("config.json", "AutoModelForSeq2SeqLM", "evil.EvilModel"),
        ("tokenizer_config.json", "AutoTokenizer", "evil.EvilTokenizer"),
    ):
        data = json.loads((model / name).read_text(encoding="utf-8"))
        data["auto_map"] = {key: [cls, None] if key == "AutoTokenizer" else cls}
        (model / name).write_text(json.dumps(data), encoding="utf-8")
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    config = tmp_path / "config.yaml"
    config.write_text(f"translate:\n  backend: {backend}\n  cache_dir: {tmp_path / 'ct2'}\n", encoding="utf-8")
    proc = cli("run", small_dump(tmp_path), "--config", config, "--db", db, "--out", out, "--model", model)
    assert not marker.exists(), "code from the model folder was imported"
    assert proc.returncode == 0, proc.stderr  # translated, with the built-in Marian classes
    assert sorted((p["lang"], p["status"]) for p in table(db, "pieces")) == [("ar", "translated"), ("en", "english")]
    assert integrity(db) == "ok"


def test_hostile_names_and_text_stay_text_in_every_output(tmp_path, tiny_model_dir):
    hostile = "<img src=x onerror=alert(1)> & <script>alert(2)<\\script>"
    folder = tmp_path / "dumps"
    folder.mkdir()
    (folder / f"{hostile}.txt").write_text(
        ARABIC_ARTICLE.replace("سوريا لم تنتظر", "<script>alert(3)</script> سوريا لم تنتظر"), encoding="utf-8"
    )
    (folder / "english.txt").write_text(
        ENGLISH_ARTICLE.replace("Iraq hosted", "<b onmouseover=alert(4)>Iraq</b> hosted"), encoding="utf-8"
    )
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    proc = cli("run", folder, "--db", db, "--out", out, "--model", tiny_model_dir)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    assert all("/" not in n and not n.startswith(".") for n in names) and "report.html" in names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dumps", "out", "store.sqlite", "store.sqlite.lock"]
    html = (out / "report.html").read_text(encoding="utf-8")
    pages = "".join(p.read_text(encoding="utf-8") for p in (out / "report").glob("*.html"))
    for raw in ("<img src=x onerror", "<script>alert(", "<b onmouseover"):
        assert raw not in html and raw not in pages, raw
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html  # the file name, as data of the index (JSON, < escaped)
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages  # and shown as text on the piece's page
    etree.parse(str(out / "pairs.tmx"))  # well-formed XML whatever the text holds
    json.loads((out / "labelstudio.json").read_text(encoding="utf-8"))


def test_a_symlink_planted_in_the_output_folder_is_never_written_through(tmp_path, tiny_model_dir):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").symlink_to(victim)
    db = tmp_path / "store.sqlite"
    proc = cli("run", SEED_WITH_ARABIC, "--db", db, "--out", out, "--model", tiny_model_dir)
    assert victim.read_text() == "precious\n"
    assert proc.returncode == 6, proc.stderr
    assert f"{out / 'report.html'}: is a symlink to {victim}, outside the output folder" in proc.stderr
    # what the run did is stored: exporting elsewhere needs no new translation
    assert counts(db).pieces_by_status.get("translated", 0) == 6
    again = cli("export", "--db", db, "--out", tmp_path / "elsewhere", "--quiet")
    assert again.returncode == 0 and (tmp_path / "elsewhere" / "report.html").is_file()


@pytest.mark.parametrize("planted", ["report", "report/search"])
def test_a_folder_symlink_planted_in_the_output_folder_is_refused_and_its_target_untouched(tmp_path, planted):
    db = tmp_path / "store.sqlite"
    assert cli("ingest", SEED_WITH_ARABIC, "--db", db, "--no-detect", "-q").returncode == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "pieces-0009.html").write_text("precious\n")  # a name the report would remove as stale
    (victim / "0a.js").write_text("precious\n")
    out = tmp_path / "out"
    (out / planted).parent.mkdir(parents=True)
    (out / planted).symlink_to(victim, target_is_directory=True)
    proc = cli("export", "--db", db, "--out", out)
    assert proc.returncode == 6, proc.stderr
    assert f"{out / planted}: is a symlink to {victim}, not a folder inside the output folder" in proc.stderr
    assert sorted(p.name for p in victim.iterdir()) == ["0a.js", "pieces-0009.html"]
    assert all(p.read_text() == "precious\n" for p in victim.iterdir())
