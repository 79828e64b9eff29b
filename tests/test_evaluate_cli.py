"""`pipeline evaluate` on files: bad inputs stop with the file and line named, and no table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import EXIT_INPUT_ERRORS, EXIT_USAGE

REFS = [
    "The minister arrived in Beirut on Monday.",
    "Talks on the electricity plan resumed.",
    "The border crossing was closed for two days.",
    "Officials said no invitation had been sent.",
]
GOOD = [
    "The minister arrived in Beirut on Monday.",
    "Talks on the power plan resumed.",
    "The border crossing was shut for two days.",
    "Officials said that no invitation was sent.",
]
WEAK = [
    "Minister came to Beirut.",
    "The talks resumed.",
    "The crossing closed.",
    "No invitation.",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "ref": write(tmp_path / "ref.en", REFS),
        "good": write(tmp_path / "good.en", GOOD),
        "weak": write(tmp_path / "weak.en", WEAK),
    }


class Run:
    """CliRunner's result, with stderr unwrapped (rich wraps long error lines at the terminal width)."""

    def __init__(self, result) -> None:  # type: ignore[no-untyped-def]
        self.exit_code, self.stdout, self.output = result.exit_code, result.stdout, result.output
        self.stderr = " ".join(result.stderr.split())


def invoke(*args: str) -> Run:
    return Run(CliRunner().invoke(app, ["evaluate", *args, "--paired-bs-n", "50", "--paired-ar-n", "100"]))


def test_table_with_two_systems_and_a_baseline(files: dict[str, Path]) -> None:
    result = invoke(
        "--ref", str(files["ref"]), "--hyp", f"good={files['good']}", "--hyp", f"weak={files['weak']}", "--baseline", "weak"
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Baseline:" in out and "weak" in out and "good" in out
    assert "BLEU" in out and "chrF2++" in out and "TER" in out
    assert "nrefs:1|case:mixed|eff:no|tok:13a" in out  # signatures are printed
    assert "μ =" in out and "p_bs" in out and "p_ar" in out
    assert "COMET: no model configured (evaluate.comet_model); skipped" in result.stderr
    assert result.stderr.count("COMET:") == 1


def test_json_on_stdout_and_in_a_file(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    result = invoke("--ref", str(files["ref"]), "--hyp", f"good={files['good']}", "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # nothing but JSON on stdout
    assert printed == json.loads(out.read_text(encoding="utf-8"))
    good = printed["systems"][0]
    assert good["name"] == "good" and good["path"] == str(files["good"])
    assert good["scores"]["BLEU"]["score"] > 40
    assert len(good["segments"]) == 4 and set(good["segments"][0]["scores"]) == {"BLEU", "chrF2", "chrF2++", "TER"}


def test_hypothesis_shorter_than_reference(files: dict[str, Path], tmp_path: Path) -> None:
    short = write(tmp_path / "short.en", GOOD[:3])
    result = invoke("--ref", str(files["ref"]), "--hyp", f"good={files['good']}", "--hyp", f"short={short}")
    assert result.exit_code == EXIT_INPUT_ERRORS
    assert f"{short}:4:" in result.stderr and "has 3 lines but the reference" in result.stderr
    assert result.stdout == ""  # no partial table


def test_hypothesis_longer_than_reference(files: dict[str, Path], tmp_path: Path) -> None:
    long = write(tmp_path / "long.en", [*GOOD, "One more line."])
    result = invoke("--ref", str(files["ref"]), "--hyp", f"long={long}")
    assert result.exit_code == EXIT_INPUT_ERRORS
    assert f"{long}:5:" in result.stderr and "has 5 lines" in result.stderr
    assert result.stdout == ""


def test_empty_reference_line_is_an_error_naming_file_and_line(files: dict[str, Path], tmp_path: Path) -> None:
    ref = write(tmp_path / "holes.en", [REFS[0], "", REFS[2], "   "])
    result = invoke("--ref", str(ref), "--hyp", f"good={files['good']}")
    assert result.exit_code == EXIT_INPUT_ERRORS
    assert f"{ref}:2: empty reference line (and 1 more)" in result.stderr
    assert result.stdout == ""


def test_empty_hypothesis_line_is_scored_and_reported(files: dict[str, Path], tmp_path: Path) -> None:
    holes = write(tmp_path / "holes.en", [GOOD[0], "", GOOD[2], GOOD[3]])
    result = invoke("--ref", str(files["ref"]), "--hyp", f"holes={holes}", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["systems"][0]["empty_hypotheses"] == [2]
    assert data["systems"][0]["segments"][1]["scores"]["BLEU"] == 0.0
    assert "holes: 1 empty hypothesis line(s): 2" in result.stderr


def test_file_not_in_utf8_names_the_file_line_and_byte(files: dict[str, Path], tmp_path: Path) -> None:
    cp1256 = tmp_path / "cp1256.en"
    cp1256.write_bytes("Line one\nLine two\nقال الوزير\nLine four\n".encode("cp1256"))
    result = invoke("--ref", str(files["ref"]), "--hyp", f"bad={cp1256}")
    assert result.exit_code == EXIT_INPUT_ERRORS
    assert f"{cp1256}:3:" in result.stderr and "not UTF-8" in result.stderr and "byte offset 18" in result.stderr
    assert result.stdout == ""


def test_missing_file(files: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope.en"
    result = invoke("--ref", str(files["ref"]), "--hyp", f"x={missing}")
    assert result.exit_code == EXIT_INPUT_ERRORS
    assert f"{missing}: hypothesis (x) file not found" in result.stderr
    result = invoke("--ref", str(missing), "--hyp", f"x={files['good']}")
    assert result.exit_code == EXIT_INPUT_ERRORS and "reference file not found" in result.stderr
    assert result.stdout == ""


def test_usage_errors(files: dict[str, Path]) -> None:
    unknown = invoke("--ref", str(files["ref"]), "--hyp", f"good={files['good']}", "--baseline", "nllb")
    assert unknown.exit_code == EXIT_USAGE and "--baseline 'nllb' is not one of the systems: good" in unknown.stderr
    twice = invoke("--ref", str(files["ref"]), "--hyp", f"a={files['good']}", "--hyp", f"a={files['weak']}")
    assert twice.exit_code == EXIT_USAGE and "given twice" in twice.stderr
    no_ref = invoke("--hyp", f"a={files['good']}")
    assert no_ref.exit_code == EXIT_USAGE and "needs both --ref" in no_ref.stderr
    assert unknown.stdout == twice.stdout == no_ref.stdout == ""


def test_crlf_and_bom_are_read_like_plain_utf8(files: dict[str, Path], tmp_path: Path) -> None:
    windows = tmp_path / "windows.en"
    windows.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(GOOD).encode("utf-8") + b"\r\n")
    a = json.loads(invoke("--ref", str(files["ref"]), "--hyp", f"g={files['good']}", "--json").stdout)
    b = json.loads(invoke("--ref", str(files["ref"]), "--hyp", f"g={windows}", "--json").stdout)
    assert a["systems"][0]["scores"]["BLEU"]["score"] == b["systems"][0]["scores"]["BLEU"]["score"]


def test_unicode_line_separator_does_not_split_a_segment(files: dict[str, Path], tmp_path: Path) -> None:
    odd = write(tmp_path / "odd.en", [GOOD[0] + "\u2028(continued)", *GOOD[1:]])
    result = invoke("--ref", str(files["ref"]), "--hyp", f"odd={odd}", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_segments"] == 4
