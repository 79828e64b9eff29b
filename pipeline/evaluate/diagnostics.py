"""Reference-free diagnostics: signs that one translation went wrong.

News pieces arrive without reference translations, so every translation the
pipeline makes is checked for the failures an analyst would otherwise find by
reading: Arabic left in the output, output in another language, empty output,
output copied from the source, a length far from what ar→en translation
produces, n-gram loops (the usual face of hallucination), and, where the
backend reports it, a low mean log-probability. Each check has a threshold in
the ``diagnostics:`` config section; docs/evaluate.md says why each default
is what it is (most were measured on FLORES dev).

:func:`diagnose` checks one (source, hypothesis) pair; :func:`diagnose_store`
fills ``translations.diagnostics`` and sums the flags per piece and per run;
:func:`piece_diagnostics` summarises one piece for the report.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any, Callable

from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from pipeline.config import Config
from pipeline.evaluate.settings import DiagnosticsSettings
from pipeline.progress import QUIET, Reporter
from pipeline.records import normalize_for_id
from pipeline.store import Store

DIAGNOSTICS = ("empty", "arabic_script", "not_english", "copied_source", "length_ratio", "repetition", "low_logprob")

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_TOKEN = re.compile(r"\w+|[^\w\s]")
BATCH = 500


def diagnose(source: str, hypothesis: str, logprob: float | None = None, settings: DiagnosticsSettings | None = None) -> dict[str, Any]:
    """Flags and the values behind them for one translation.

    Returns ``{"flags": [names...], "values": {...}, "thresholds": fingerprint}``;
    a value is None where its check did not apply (e.g. the language of a
    six-word output, or the log-probability when the backend gives none).
    """
    s = settings or DiagnosticsSettings()
    values: dict[str, Any] = {name: None for name in (
        "arabic_chars", "arabic_ratio", "lang", "lang_confidence", "char_ratio", "word_ratio",
        "copy_similarity", "max_repeats", "repeated_ngram", "mean_logprob")}
    values["mean_logprob"] = None if logprob is None else round(float(logprob), 4)
    flags: list[str] = []
    if not hypothesis.strip():
        if source.strip():
            flags.append("empty")
        return _result(flags, values, s)
    letters = sum(ch.isalpha() for ch in hypothesis)
    arabic = _arabic_letters(hypothesis)
    values["arabic_chars"], values["arabic_ratio"] = arabic, round(arabic / letters, 4) if letters else 0.0
    if arabic >= s.arabic_script_min_chars:
        flags.append("arabic_script")
    if len(hypothesis.split()) >= s.lang_min_words:
        lang, confidence = _language(hypothesis)
        values["lang"], values["lang_confidence"] = lang, round(confidence, 4)
        if lang not in ("en", "und") and confidence >= s.lang_min_confidence:
            flags.append("not_english")
    source_arabic = _arabic_letters(source)
    values["copy_similarity"] = round(fuzz.ratio(normalize_for_id(hypothesis), normalize_for_id(source)) / 100, 4)
    if source_arabic >= s.arabic_script_min_chars and values["copy_similarity"] >= s.copy_min_similarity:
        flags.append("copied_source")
    if len(source.strip()) >= s.length_min_source_chars:
        values["char_ratio"] = round(len(hypothesis.strip()) / len(source.strip()), 4)
        values["word_ratio"] = round(len(hypothesis.split()) / max(1, len(source.split())), 4)
        if not s.length_ratio_min <= values["char_ratio"] <= s.length_ratio_max:
            flags.append("length_ratio")
    repeats, ngram = longest_repeat(hypothesis, s.repetition_max_n)
    values["max_repeats"], values["repeated_ngram"] = repeats, ngram
    if repeats >= s.repetition_min_repeats:
        flags.append("repetition")
    if logprob is not None and logprob < s.logprob_min:
        flags.append("low_logprob")
    return _result(flags, values, s)


def _arabic_letters(text: str) -> int:
    """Letters of the Arabic script blocks (not Arabic punctuation such as the comma ،)."""
    return sum(1 for ch in _ARABIC.findall(text) if ch.isalpha())


def _result(flags: list[str], values: dict[str, Any], settings: DiagnosticsSettings) -> dict[str, Any]:
    return {"flags": flags, "values": values, "thresholds": settings.fingerprint()}


def longest_repeat(text: str, max_n: int = 4) -> tuple[int, str | None]:
    """The most times a word n-gram (n ≤ max_n) occurs back to back, and that n-gram.

    Tokens are words and single punctuation marks, lower-cased, so
    "blah, blah, blah," is the bigram "blah ," three times and "p-p-p-p" the
    bigram "p -". N-grams of punctuation only ("..." ) do not count.
    """
    tokens = _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    best, best_gram = 1, None
    for n in range(1, max_n + 1):
        for start in range(len(tokens) - 2 * n + 1):
            gram = tokens[start : start + n]
            if not any(t[0].isalnum() for t in gram):
                continue
            count = 1
            while tokens[start + count * n : start + (count + 1) * n] == gram:
                count += 1
            if count > best:
                best, best_gram = count, " ".join(gram)
    return best, best_gram


def _language(text: str) -> tuple[str, float]:
    """Language and confidence from the detect stage's detector (seeded langdetect + script rules)."""
    return _detector()(text)


@lru_cache(maxsize=1)
def _detector() -> Callable[[str], tuple[str, float]]:
    try:
        from pipeline.detect import detect_language
    except ImportError:  # the detect stage is optional to this module: fall back to seeded langdetect
        from langdetect import DetectorFactory, LangDetectException, detect_langs

        DetectorFactory.seed = 0

        def fallback(text: str) -> tuple[str, float]:
            try:
                best = detect_langs(text)[0]
            except LangDetectException:
                return "und", 0.0
            return best.lang, float(best.prob)

        return fallback

    def detect(text: str) -> tuple[str, float]:
        guess = detect_language(text)
        return guess.lang, float(guess.score)

    return detect


# -- over the store -------------------------------------------------------------------


class DiagnosticsReport(BaseModel):
    """Counts of flagged translations by diagnostic, for summary.json and the report."""

    diagnosed: int = 0  # translations (re)diagnosed by this call
    translations: int = 0  # translations in the store with diagnostics
    flagged: int = 0  # of those, with at least one flag
    by_diagnostic: dict[str, int] = Field(default_factory=dict)  # over the whole store
    new_by_diagnostic: dict[str, int] = Field(default_factory=dict)  # over the ones diagnosed now
    by_run: dict[str, dict[str, int]] = Field(default_factory=dict)  # run id that made the translation → counts
    by_piece: dict[str, dict[str, int]] = Field(default_factory=dict)  # pieces with ≥1 flagged sentence
    thresholds: dict[str, Any] = Field(default_factory=dict)


def diagnose_store(store: Store, config: Config, reporter: Reporter = QUIET) -> DiagnosticsReport:
    """Diagnose translations without diagnostics (or made with other thresholds); sum the flags.

    Only rows whose ``diagnostics`` is NULL, unreadable, or carries another
    thresholds fingerprint are computed, so a re-run costs one query.
    """
    settings = config.section("diagnostics", DiagnosticsSettings)
    fingerprint = settings.fingerprint()
    rows = store.conn.execute(
        "SELECT key, source_text, target_text, logprob FROM translations WHERE diagnostics IS NULL "
        "OR NOT json_valid(diagnostics) OR json_extract(diagnostics, '$.thresholds') IS NOT ?",
        (fingerprint,),
    ).fetchall()
    new_counts: Counter[str] = Counter()
    with reporter.task("diagnosing translations", len(rows), "sentences") as task:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            results = [(json.dumps(diagnose(r[1], r[2], r[3], settings), ensure_ascii=False), r[0]) for r in batch]
            for payload, _ in results:
                new_counts.update(json.loads(payload)["flags"])
            with store.transaction() as tx:
                tx.executemany("UPDATE translations SET diagnostics = ? WHERE key = ?", results)
            task.advance(len(batch))
    report = _sums(store)
    report.diagnosed = len(rows)
    report.new_by_diagnostic = _ordered(new_counts)
    report.thresholds = {**settings.model_dump(), "fingerprint": fingerprint}
    return report


def _flags_of(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    try:
        flags = json.loads(raw).get("flags")
    except (ValueError, AttributeError):
        return None
    return [str(f) for f in flags] if isinstance(flags, list) else None


def _ordered(counts: Counter[str]) -> dict[str, int]:
    return {name: counts[name] for name in DIAGNOSTICS} | {k: v for k, v in sorted(counts.items()) if k not in DIAGNOSTICS}


def _sums(store: Store) -> DiagnosticsReport:
    report = DiagnosticsReport()
    totals: Counter[str] = Counter()
    by_run: dict[str, Counter[str]] = {}
    for raw, run_id in store.conn.execute("SELECT diagnostics, run_id FROM translations WHERE diagnostics IS NOT NULL"):
        flags = _flags_of(raw)
        if flags is None:
            continue
        report.translations += 1
        report.flagged += bool(flags)
        totals.update(flags)
        run = by_run.setdefault(str(run_id) if run_id is not None else "none", Counter())
        run["translations"] += 1
        run["flagged"] += bool(flags)
        run.update(flags)
    by_piece: dict[str, Counter[str]] = {}
    for piece_id, raw in store.conn.execute(
        "SELECT s.piece_id, t.diagnostics FROM segments s JOIN translations t ON t.key = s.translation_key "
        "WHERE t.diagnostics IS NOT NULL"
    ):
        flags = _flags_of(raw)
        piece = by_piece.setdefault(piece_id, Counter())
        piece["segments"] += 1
        if flags:
            piece["flagged"] += 1
            piece.update(flags)
    report.by_diagnostic = _ordered(totals)
    report.by_run = {k: dict(v) for k, v in sorted(by_run.items())}
    report.by_piece = {k: dict(v) for k, v in sorted(by_piece.items()) if v["flagged"]}
    return report


def piece_diagnostics(store: Store, piece_id: str) -> dict[str, Any]:
    """One piece's diagnostics: sentences checked, flags by name, and which sentences carry them.

    ``{"sentences", "diagnosed", "flagged_sentences", "flags": {name: count},
    "flagged": bool, "flagged_at": ["p0.s1: repetition", ...], "mean_logprob"}``;
    paragraph -1 is the title. Empty dict when the piece has no translated sentence.
    """
    rows = store.conn.execute(
        "SELECT s.paragraph_idx, s.sentence_idx, t.diagnostics, t.logprob FROM segments s "
        "JOIN translations t ON t.key = s.translation_key WHERE s.piece_id = ? "
        "ORDER BY s.paragraph_idx, s.sentence_idx",
        (piece_id,),
    ).fetchall()
    if not rows:
        return {}
    counts: Counter[str] = Counter()
    flagged_at, diagnosed = [], 0
    for para, sent, raw, _ in rows:
        flags = _flags_of(raw)
        if flags is None:
            continue
        diagnosed += 1
        counts.update(flags)
        if flags:
            where = "title" if para == -1 else f"p{para}"
            flagged_at.append(f"{where}.s{sent}: {', '.join(flags)}")
    logprobs = [r[3] for r in rows if r[3] is not None]
    return {
        "sentences": len(rows),
        "diagnosed": diagnosed,
        "flagged_sentences": len(flagged_at),
        "flags": {k: v for k, v in _ordered(counts).items() if v},
        "flagged": bool(flagged_at),
        "flagged_at": flagged_at,
        "mean_logprob": round(sum(logprobs) / len(logprobs), 4) if logprobs else None,
    }
