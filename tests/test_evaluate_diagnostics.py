"""Reference-free diagnostics: each check on crafted positive and negative cases, then over a store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_factory import ingest_pieces, ingested

from pipeline.config import Config
from pipeline.evaluate import DiagnosticsSettings, diagnose, diagnose_store, piece_diagnostics
from pipeline.evaluate.diagnostics import longest_repeat
from pipeline.records import Detection, RoutedParagraph, Segment, SegmentRef, Translation
from pipeline.store import Store, open_store

FLORES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "flores-dev"

SOURCE = "قالت وزارة الخارجية العراقية إنها غير معنية بأي دعوة لا تقدم باسم الحكومة السورية."
GOOD = "The Iraqi foreign ministry said it was not concerned by any invitation not made in the name of the Syrian government."


def flags(hypothesis: str, source: str = SOURCE, logprob: float | None = None, **settings) -> list[str]:
    return diagnose(source, hypothesis, logprob, DiagnosticsSettings(**settings))["flags"]


def test_a_good_translation_raises_no_flag() -> None:
    result = diagnose(SOURCE, GOOD, -0.35)
    assert result["flags"] == []
    values = result["values"]
    assert values["lang"] == "en" and values["arabic_chars"] == 0 and values["max_repeats"] == 1
    assert 0.5 < values["char_ratio"] < 2.5 and values["mean_logprob"] == -0.35
    assert result["thresholds"] == DiagnosticsSettings().fingerprint()


def test_empty_output() -> None:
    assert flags("") == ["empty"]
    assert flags("   \n") == ["empty"]
    assert flags("", source="") == []  # nothing in, nothing out: not a failure


def test_arabic_script_left_in_the_output() -> None:
    assert "arabic_script" in flags("The Iraqi foreign ministry said it was not concerned by الحكومة السورية.")
    assert "arabic_script" not in flags(GOOD)
    # Arabic punctuation alone is not Arabic text; two letters are below the default threshold
    assert "arabic_script" not in flags(GOOD.replace(",", "،"))
    assert "arabic_script" not in flags(GOOD + " (ال)")
    assert "arabic_script" in flags(GOOD + " (ال)", arabic_script_min_chars=2)


def test_output_not_in_english() -> None:
    french = "Le ministère irakien des Affaires étrangères a déclaré qu'il n'était pas concerné par cette invitation."
    assert "not_english" in flags(french)
    assert "not_english" not in flags(GOOD)
    # below lang_min_words the language is not checked at all (langdetect guesses on short strings)
    assert diagnose(SOURCE, "Le ministère a déclaré.")["values"]["lang"] is None
    assert "not_english" not in flags("He died in Osaka on Tuesday.")


def test_output_copied_from_the_source() -> None:
    assert "copied_source" in flags(SOURCE)
    assert "copied_source" in flags(SOURCE.replace("العراقية", "العراقيه"))  # near copy
    assert "copied_source" not in flags(GOOD)
    # a Latin source copied as is (a name, a number) is not a failure
    assert "copied_source" not in flags("Hezbollah Al-Manar TV 2021", source="Hezbollah Al-Manar TV 2021")


def test_length_ratio_far_outside_ar_en_norm() -> None:
    assert "length_ratio" in flags("The ministry spoke.")  # 19 chars for an 83-char source
    assert "length_ratio" in flags(GOOD + " " + GOOD + " It added that further talks would follow next week in Baghdad.")
    assert "length_ratio" not in flags(GOOD)
    # short sources are not length-checked
    short = diagnose("نعم", "Yes, of course, that is absolutely what we said before.")
    assert short["values"]["char_ratio"] is None and "length_ratio" not in short["flags"]


def test_repeated_ngram_loops() -> None:
    loop = "Translation engines have improved and now rarely blah, blah, blah, blah, blah, blah, blah."
    assert "repetition" in flags(loop)
    assert "repetition" in flags("In fact, area codes do not affect illegal versions; a p-p-p-p-p-p-p-p-p-p-p-p")
    assert "repetition" in flags("the government of the government of the government of the government of the state")
    assert "repetition" not in flags(GOOD)
    assert "repetition" not in flags("He said it was a very, very, very difficult decision...")  # 3 times, and dots
    assert longest_repeat("a b a b a b a b c") == (4, "a b")
    assert longest_repeat("Wait.... what?") == (1, None)  # punctuation runs are not loops


def test_low_mean_log_probability_when_the_backend_gives_it() -> None:
    assert "low_logprob" in flags(GOOD, logprob=-3.1)
    assert "low_logprob" not in flags(GOOD, logprob=-0.2)
    none = diagnose(SOURCE, GOOD, None)
    assert "low_logprob" not in none["flags"] and none["values"]["mean_logprob"] is None


def test_no_flags_on_flores_references_and_few_on_real_systems() -> None:
    """The thresholds were set from FLORES dev: the human references must pass them all."""
    source = (FLORES / "flores-dev.ar").read_text(encoding="utf-8").splitlines()
    for name, limit in (("flores-dev.en", 0), ("flores-dev.opusmt.en", 6)):
        hyps = (FLORES / name).read_text(encoding="utf-8").splitlines()
        flagged = {
            i + 1: d["flags"] for i, (s, h) in enumerate(zip(source[:997:3], hyps[:997:3])) if (d := diagnose(s, h))["flags"]
        }
        assert len(flagged) <= limit, flagged
    loop = (FLORES / "flores-dev.opusmt.en").read_text(encoding="utf-8").splitlines()[909]  # line 910: "p-p-p-p…"
    assert {"repetition", "length_ratio"} <= set(diagnose(source[909], loop)["flags"])


# -- over the store ----------------------------------------------------------------

ROWS = [
    # key, source, target, logprob, run_id
    ("k-good", SOURCE, GOOD, -0.3, 1),
    ("k-copy", SOURCE, SOURCE, -0.9, 1),
    (
        "k-loop",
        "وقال إن المحادثات ستستمر في الأسبوع المقبل في بغداد.",
        "He said the talks the talks the talks the talks will go on.",
        -2.5,
        2,
    ),
    ("k-empty", "وأضاف أن الوفد سيعود.", "", None, 2),
]


def make_store(path: Path) -> Store:
    store = open_store(path)
    ingest_pieces(store, "d.txt", [ingested("p1", ["x"], title="t", position=0), ingested("p2", ["y", "z"], position=1)])
    store.save_detections(
        [
            Detection(
                piece_id=piece_id,
                lang="ar",
                score=1.0,
                title_lang="ar",
                status="translated",
                reason=None,
                paragraphs=[RoutedParagraph(index=i, lang="ar", score=1.0, route="translate") for i in range(n)],
            )
            for piece_id, n in (("p1", 1), ("p2", 2))
        ]
    )
    segments = [
        ("p1", 0, 0, "k-good"),
        ("p1", 0, 1, "k-copy"),
        ("p1", -1, 0, "k-good"),
        ("p2", 0, 0, "k-loop"),
        ("p2", 1, 0, "k-empty"),
        ("p2", 1, 1, "k-good"),
    ]
    store.save_segments(
        [Segment(piece_id=piece, paragraph_index=para, sentence_index=sent, text="src") for piece, para, sent, _ in segments]
    )
    links: dict[str, list[SegmentRef]] = {}
    for piece, para, sent, key in segments:
        links.setdefault(key, []).append(SegmentRef(piece_id=piece, paragraph_index=para, sentence_index=sent))
    store.save_translations(
        [
            Translation(
                key=key,
                source_text=src,
                target_text=tgt,
                model="m",
                revision="r",
                backend="transformers",
                settings={},
                logprob=lp,
                run_id=run,
            )
            for key, src, tgt, lp, run in ROWS
        ],
        links,
    )
    return store


def diagnostics_of(store: Store, piece_id: str) -> dict:
    return piece_diagnostics(store.segments([piece_id]).get(piece_id, []))


def test_diagnose_store_fills_every_translation_and_sums_the_flags(tmp_path: Path) -> None:
    with make_store(tmp_path / "s.sqlite") as store:
        report = diagnose_store(store, Config({}))
        assert report.diagnosed == report.translations == 4 and report.flagged == 3
        assert report.by_diagnostic["copied_source"] == 1 and report.by_diagnostic["arabic_script"] == 1
        assert report.by_diagnostic["repetition"] == 1 and report.by_diagnostic["low_logprob"] == 1
        assert report.by_diagnostic["empty"] == 1 and report.by_diagnostic["length_ratio"] == 0
        assert report.new_by_diagnostic == report.by_diagnostic
        assert report.by_run["1"]["translations"] == 2 and report.by_run["1"]["flagged"] == 1
        assert report.by_run["2"]["repetition"] == 1 and report.by_run["2"]["empty"] == 1
        # per piece: sentences counted through segments (the title of p1 included)
        assert report.by_piece["p1"] == {"segments": 3, "flagged": 1, "arabic_script": 1, "not_english": 1, "copied_source": 1}
        assert report.by_piece["p2"]["flagged"] == 2 and report.by_piece["p2"]["segments"] == 3
        stored = {t["key"]: t["diagnostics"] for t in store.rows("translations")}
        assert json.loads(stored["k-good"])["flags"] == []
        assert "repetition" in json.loads(stored["k-loop"])["flags"]
        assert json.dumps(report.model_dump(mode="json"))  # goes into summary.json as is

        again = diagnose_store(store, Config({}))
        assert again.diagnosed == 0 and again.by_diagnostic == report.by_diagnostic

        # other thresholds: the stored diagnostics are stale and are recomputed
        stricter = diagnose_store(store, Config({"diagnostics": {"logprob_min": -0.5}}))
        assert stricter.diagnosed == 4 and stricter.by_diagnostic["low_logprob"] == 2


def test_piece_diagnostics_summarises_one_piece(tmp_path: Path) -> None:
    with make_store(tmp_path / "s.sqlite") as store:
        assert diagnostics_of(store, "p1")["diagnosed"] == 0  # nothing diagnosed yet
        diagnose_store(store, Config({}))
        p1 = diagnostics_of(store, "p1")
        assert p1["sentences"] == 3 and p1["diagnosed"] == 3 and p1["flagged_sentences"] == 1 and p1["flagged"]
        assert p1["flags"] == {"arabic_script": 1, "not_english": 1, "copied_source": 1}
        assert p1["flagged_at"] == ["p0.s1: arabic_script, not_english, copied_source"]
        assert p1["mean_logprob"] == pytest.approx((-0.3 - 0.9 - 0.3) / 3, abs=1e-4)
        assert diagnostics_of(store, "p2")["flags"] == {"empty": 1, "repetition": 1, "low_logprob": 1}
        assert diagnostics_of(store, "unknown") == {}
