"""sacreBLEU scoring on FLORES dev: published figures, signatures, significance, CIs, segment scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from pipeline.evaluate import EvaluateSettings, EvaluationResult, evaluate_files, evaluate_segments
from pipeline.evaluate.metrics import build_segment_metrics

FLORES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "flores-dev"
SYSTEMS = ["opusmt", "nllb", "google", "microsoft", "argos", "bergamot-base", "bergamot-base-memory"]
REF = FLORES / "flores-dev.en"

# Quick paired tests: the full defaults (1000 resamples, 10000 trials) are for real runs.
FAST = dict(paired_bs_n=200, paired_ar_n=500)


def hyp(name: str) -> Path:
    return FLORES / f"flores-dev.{name}.en"


def published_bleu(name: str) -> float:
    """The .bleu file beside each output holds one number, the BLEU it was published with."""
    return float((FLORES / f"flores-dev.{name}.en.bleu").read_text().strip())


@pytest.fixture(scope="module")
def bleu_only() -> EvaluationResult:
    settings = EvaluateSettings(metrics=["bleu"], paired_tests=[], worst_n=3, **FAST)
    return evaluate_files(REF, {name: hyp(name) for name in SYSTEMS}, None, settings)


@pytest.fixture(scope="module")
def paired() -> EvaluationResult:
    """google, argos and a copy of argos under another name, tested against argos."""
    settings = EvaluateSettings(metrics=["bleu", "chrf"], **FAST)
    systems = {
        "argos": hyp("argos"),
        "google": hyp("google"),
        "argos-again": hyp("argos"),
        "bergamot-base": hyp("bergamot-base"),
        "bergamot-base-memory": hyp("bergamot-base-memory"),
    }
    return evaluate_files(REF, systems, "argos", settings)


@pytest.mark.parametrize("name", SYSTEMS)
def test_bleu_reproduces_the_published_figure(bleu_only: EvaluationResult, name: str) -> None:
    assert round(bleu_only.system(name).scores["BLEU"].score, 1) == published_bleu(name)


def test_the_seven_published_figures_are_the_ones_the_issue_names() -> None:
    assert [published_bleu(n) for n in SYSTEMS] == [33.9, 37.5, 46.0, 44.0, 30.0, 39.6, 38.3]


def test_every_score_carries_its_sacrebleu_signature() -> None:
    settings = EvaluateSettings(paired_tests=[], worst_n=0, paired_bs_n=50)
    result = evaluate_files(REF, {"google": hyp("google")}, None, settings)
    assert result.metrics == ["BLEU", "chrF2", "chrF2++", "TER"]
    sig = result.signatures
    assert sig["BLEU"].startswith("nrefs:1|") and "tok:13a" in sig["BLEU"] and "version:" in sig["BLEU"]
    assert "nw:0" in sig["chrF2"] and "nw:2" in sig["chrF2++"]
    assert "tok:tercom" in sig["TER"]
    assert "eff:yes" in result.segment_signatures["BLEU"]  # sentence BLEU uses effective order
    # the signature is the one sacreBLEU itself gives for this metric configuration
    assert sig["BLEU"].replace("|bs:50|seed:12345", "") == BLEU(references=[["x"]]).get_signature().format()
    # and the scores are sacreBLEU's for those settings
    refs = REF.read_text(encoding="utf-8").splitlines()
    hyps = hyp("google").read_text(encoding="utf-8").splitlines()
    scores = result.system("google").scores
    assert scores["chrF2++"].score == pytest.approx(CHRF(word_order=2).corpus_score(hyps, [refs]).score)
    assert scores["TER"].score == pytest.approx(TER().corpus_score(hyps, [refs]).score)


def test_confidence_interval_contains_the_point_estimate(bleu_only: EvaluationResult, paired: EvaluationResult) -> None:
    for result in (bleu_only, paired):
        for system in result.systems:
            for score in system.scores.values():
                low, high = score.interval
                assert 0 < score.ci < 5
                assert low <= score.score <= high


def test_a_clearly_better_system_is_significantly_different(paired: EvaluationResult) -> None:
    google = paired.system("google").scores["BLEU"]
    assert google.p_bs < 0.05 and google.p_ar < 0.05 and google.significant
    assert google.score - paired.system("argos").scores["BLEU"].score > 10


def test_a_system_against_itself_is_not_significant(paired: EvaluationResult) -> None:
    same = paired.system("argos-again")
    for score in same.scores.values():
        assert score.p_bs == 1.0 and score.p_ar == 1.0 and score.significant is False
    assert any("identical to the baseline" in note for note in same.notes)
    assert paired.system("argos").scores["BLEU"].p_bs is None  # the baseline has no p-value


def test_close_systems_get_larger_p_values_than_distant_ones(paired: EvaluationResult) -> None:
    # the two Firefox models are 1.3 BLEU apart, google is 16 BLEU above argos
    base = paired.system("bergamot-base").scores["BLEU"]
    memory = paired.system("bergamot-base-memory").scores["BLEU"]
    assert abs(base.score - memory.score) < 2
    assert paired.system("google").scores["BLEU"].p_ar <= min(base.p_ar, memory.p_ar)
    assert paired.significance is not None
    assert paired.significance.tests == ["bs", "ar"] and paired.significance.seed == 12345
    assert "bs:200|seed:12345" in paired.significance.signatures["bs"]["BLEU"]
    assert "ar:500|seed:12345" in paired.significance.signatures["ar"]["BLEU"]


def test_segment_scores_are_sacrebleu_sentence_scores(paired: EvaluationResult) -> None:
    refs = REF.read_text(encoding="utf-8").splitlines()
    hyps = hyp("google").read_text(encoding="utf-8").splitlines()
    segments = paired.system("google").segments
    assert len(segments) == 997 and segments[0].line == 1
    metrics = build_segment_metrics(EvaluateSettings(metrics=["bleu", "chrf"]))
    for i in (0, 125, 500, 996):
        for name, metric in metrics.items():
            assert segments[i].scores[name] == pytest.approx(metric.sentence_score(hyps[i], [refs[i]]).score, abs=1e-3)


def test_worst_segments_are_the_lowest_sentence_scores(bleu_only: EvaluationResult) -> None:
    opus = bleu_only.system("opusmt")
    assert len(opus.worst) == 3
    lowest = sorted(s.scores["BLEU"] for s in opus.segments)[:3]
    assert [w.score for w in opus.worst] == lowest
    assert all(w.hypothesis and w.reference for w in opus.worst)


def test_worst_by_ter_ranks_the_highest_error_rate_first() -> None:
    hyps = ["the cat sat on the mat", "completely different words here", "the cat sat"]
    refs = ["the cat sat on the mat", "the dog ran in the park", "the cat sat on the mat"]
    result = evaluate_segments(
        [refs], {"s": hyps}, None, EvaluateSettings(metrics=["ter"], worst_by="TER", worst_n=2, paired_bs_n=20)
    )
    assert [w.line for w in result.system("s").worst] == [2, 3]


def test_json_output_has_the_documented_shape(paired: EvaluationResult) -> None:
    data = json.loads(paired.to_json())
    assert set(data) >= {
        "unit",
        "references",
        "n_segments",
        "metrics",
        "signatures",
        "segment_signatures",
        "systems",
        "baseline",
        "significance",
        "comet",
        "warnings",
    }
    assert data["unit"] == "line" and data["n_segments"] == 997 and data["baseline"] == "argos"
    system = data["systems"][1]
    assert set(system) >= {"name", "path", "n_segments", "empty_hypotheses", "scores", "segments", "worst", "comet"}
    assert set(system["scores"]["BLEU"]) == {"score", "formatted", "mean", "ci", "p_bs", "p_ar", "significant"}
    assert system["scores"]["BLEU"]["formatted"].startswith("BLEU = ")
    assert data["comet"]["status"] == "skipped"
    assert EvaluationResult.model_validate_json(paired.to_json()) == paired


def test_several_references_are_used_together(tmp_path: Path) -> None:
    ref2 = tmp_path / "ref2.en"
    ref2.write_text(hyp("microsoft").read_text(encoding="utf-8"), encoding="utf-8")
    settings = EvaluateSettings(metrics=["bleu"], paired_tests=[], paired_bs_n=20)
    one = evaluate_files(REF, {"google": hyp("google")}, None, settings)
    two = evaluate_files([REF, ref2], {"google": hyp("google")}, None, settings)
    assert two.signatures["BLEU"].startswith("nrefs:2")
    assert two.system("google").scores["BLEU"].score > one.system("google").scores["BLEU"].score


def test_bootstrap_ci_without_baseline_equals_sacrebleu_corpus_score_ci() -> None:
    from pipeline.evaluate.metrics import bootstrap_ci

    refs = REF.read_text(encoding="utf-8").splitlines()
    hyps = hyp("nllb").read_text(encoding="utf-8").splitlines()
    expected = BLEU(references=[refs]).corpus_score(hyps, None, n_bootstrap=200)
    assert bootstrap_ci(BLEU(references=[refs]), hyps, 200, 12345) == pytest.approx((expected._mean, expected._ci))


def test_bootstrap_survives_resamples_that_score_zero() -> None:
    # sacreBLEU's own corpus_score(n_bootstrap=...) raises a TypeError here (mixed float types)
    refs = ["a b c d e", "f g h i j", "k l m n o"]
    result = evaluate_segments([refs], {"s": ["a b c d e", "", "zzz"]}, None, EvaluateSettings(metrics=["bleu"], paired_bs_n=100))
    score = result.system("s").scores["BLEU"]
    assert score.ci is not None and score.interval[0] <= score.score <= score.interval[1]


@pytest.mark.parametrize("tests", [["ar"], ["bs"]])
def test_either_paired_test_alone_still_gives_every_system_a_ci(tests: list[str]) -> None:
    refs = REF.read_text(encoding="utf-8").splitlines()[:200]
    systems = {n: hyp(n).read_text(encoding="utf-8").splitlines()[:200] for n in ("argos", "google")}
    result = evaluate_segments(
        [refs], systems, "argos", EvaluateSettings(metrics=["bleu"], paired_tests=tests, paired_bs_n=100, paired_ar_n=100)
    )
    google = result.system("google").scores["BLEU"]
    assert all(s.scores["BLEU"].ci is not None for s in result.systems)
    assert (google.p_ar is not None) == ("ar" in tests) and (google.p_bs is not None) == ("bs" in tests)
    assert google.significant
