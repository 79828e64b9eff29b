"""COMET is optional: without a configured model (or package, or source) the scores come without it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.evaluate import EvaluateSettings, evaluate_files
from pipeline.evaluate.comet import NOT_CONFIGURED, find_checkpoint

REFS = ["The minister arrived in Beirut on Monday.", "Talks resumed on Tuesday."]
HYPS = ["The minister came to Beirut on Monday.", "The talks resumed on Tuesday."]
SRCS = ["وصل الوزير إلى بيروت يوم الاثنين.", "استؤنفت المحادثات يوم الثلاثاء."]


def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    paths = []
    for name, lines in (("ref.en", REFS), ("hyp.en", HYPS), ("src.ar", SRCS)):
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(tmp_path / name)
    return tuple(paths)  # type: ignore[return-value]


def settings(**kw) -> EvaluateSettings:
    return EvaluateSettings(paired_bs_n=20, **kw)


def test_not_configured_is_said_once_and_scoring_goes_on(tmp_path: Path) -> None:
    ref, hyp, _ = files(tmp_path)
    result = evaluate_files(ref, {"x": hyp}, None, settings())
    assert result.comet.status == "skipped" and result.comet.message == NOT_CONFIGURED
    assert result.system("x").comet is None and result.system("x").scores["BLEU"].score > 0
    cli = CliRunner().invoke(app, ["evaluate", "--ref", str(ref), "--hyp", f"x={hyp}", "--paired-bs-n", "20"])
    assert cli.exit_code == 0 and cli.stderr.count(NOT_CONFIGURED) == 1
    assert "COMET" not in cli.stdout  # no empty COMET column


def test_configured_folder_without_checkpoint(tmp_path: Path) -> None:
    ref, hyp, src = files(tmp_path)
    (tmp_path / "comet").mkdir()
    result = evaluate_files(ref, {"x": hyp}, None, settings(comet_model=str(tmp_path / "comet")), source=src)
    assert result.comet.status == "failed" and "no checkpoint" in result.comet.message
    assert result.system("x").scores["chrF2"].score > 0


def test_checkpoint_found_but_no_source_or_no_working_package(tmp_path: Path) -> None:
    ref, hyp, src = files(tmp_path)
    ckpt = tmp_path / "wmt22-comet-da" / "checkpoints" / "model.ckpt"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"not a real checkpoint")
    assert find_checkpoint(tmp_path / "wmt22-comet-da") == ckpt
    no_src = evaluate_files(ref, {"x": hyp}, None, settings(comet_model=str(ckpt.parent.parent)))
    assert no_src.comet.status == "skipped" and "--src" in no_src.comet.message
    # without the `comet` extra the import fails; with it, this fake checkpoint fails to load: either way
    # the run reports why and keeps every sacreBLEU score
    broken = evaluate_files(ref, {"x": hyp}, None, settings(comet_model=str(ckpt.parent.parent)), source=src)
    assert broken.comet.status == "failed" and broken.comet.message.startswith("COMET: ")
    assert broken.system("x").comet is None and set(broken.system("x").scores) == {"BLEU", "chrF2", "chrF2++", "TER"}
