"""Reference-free diagnostics: signs that one translation went wrong.

News pieces arrive without reference translations, so every translation in
the store (the pipeline's own, sentence by sentence, and every other system's
that came with the input, part by part: paragraph by paragraph, or the whole
piece) is checked for the failures an analyst would otherwise find by
reading: Arabic left in the output, output in another language, empty output,
output copied from the source, a length far from what ar→en translation
produces, n-gram loops (the usual face of hallucination), and, where the
backend reports it, a low mean log-probability. Each check has a threshold in
the ``diagnostics:`` config section; docs/evaluate.md says why each default
is what it is (most were measured on FLORES dev).

:func:`diagnose` checks one (source, hypothesis) pair; :func:`diagnose_store`
fills ``translations.diagnostics`` and ``external_translations.diagnostics``
and sums the flags per piece, per run and per system;
:func:`piece_diagnostics` summarises one piece for the report.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import partial
from typing import Any, ClassVar

from pydantic import Field
from rapidfuzz import fuzz

from pipeline.config import Config
from pipeline.detect import detect_language
from pipeline.evaluate.settings import DiagnosticsSettings
from pipeline.progress import QUIET, Reporter
from pipeline.records import Diagnosis, ExternalDiagnosis, ExternalToDiagnose, Segment, Translation
from pipeline.stage import Report, RunContext, SectionStage
from pipeline.store import Store
from pipeline.text.normalise import for_identity
from pipeline.text.script import arabic_letters

DIAGNOSTICS = ("empty", "arabic_script", "not_english", "copied_source", "length_ratio", "repetition", "low_logprob")

_TOKEN = re.compile(r"\w+|[^\w\s]")
BATCH = 500
# fuzz.ratio (Indel distance) costs length × length / 64 word operations: two 900,000-character texts
# took 1,000 s. A copied source shows in the first few thousand characters as much as in the whole,
# so longer texts are compared on this many characters each, and the check costs milliseconds.
COPY_CHECK_CHARS = 5000


def diagnose(
    source: str,
    hypothesis: str,
    logprob: float | None = None,
    settings: DiagnosticsSettings | None = None,
) -> dict[str, Any]:
    """Flags and the values behind them for one translation.

    Returns ``{"flags": [names...], "values": {...}, "thresholds": fingerprint}``;
    a value is None where its check did not apply (e.g. the language of a
    six-word output, or the log-probability when the backend gives none).
    """
    s = settings or DiagnosticsSettings()
    values: dict[str, Any] = {
        name: None
        for name in (
            "arabic_chars",
            "arabic_ratio",
            "lang",
            "lang_confidence",
            "char_ratio",
            "word_ratio",
            "copy_similarity",
            "max_repeats",
            "repeated_ngram",
            "mean_logprob",
        )
    }
    values["mean_logprob"] = None if logprob is None else round(float(logprob), 4)
    flags: list[str] = []
    if not hypothesis.strip():
        if source.strip():
            flags.append("empty")
        return _result(flags, values, s)
    letters = sum(ch.isalpha() for ch in hypothesis)
    arabic = arabic_letters(hypothesis)
    values["arabic_chars"], values["arabic_ratio"] = arabic, round(arabic / letters, 4) if letters else 0.0
    if arabic >= s.arabic_script_min_chars:
        flags.append("arabic_script")
    if len(hypothesis.split()) >= s.lang_min_words:
        lang, confidence = _language(hypothesis)
        values["lang"], values["lang_confidence"] = lang, round(confidence, 4)
        if lang not in ("en", "und") and confidence >= s.lang_min_confidence:
            flags.append("not_english")
    source_arabic = arabic_letters(source)
    values["copy_similarity"] = copy_similarity(source, hypothesis)
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


def _result(flags: list[str], values: dict[str, Any], settings: DiagnosticsSettings) -> dict[str, Any]:
    return {"flags": flags, "values": values, "thresholds": settings.fingerprint()}


def copy_similarity(source: str, hypothesis: str) -> float:
    """How much of the hypothesis is the source copied (0–1, Indel similarity), on at most COPY_CHECK_CHARS of each."""
    a, b = for_identity(hypothesis)[:COPY_CHECK_CHARS], for_identity(source)[:COPY_CHECK_CHARS]
    return round(fuzz.ratio(a, b) / 100, 4)


def longest_repeat(text: str, max_n: int = 4) -> tuple[int, str | None]:
    """The most times a word n-gram (n ≤ max_n) occurs back to back, and that n-gram.

    Tokens are words and single punctuation marks, lower-cased, so
    "blah, blah, blah," is the bigram "blah ," three times and "p-p-p-p" the
    bigram "p -". N-grams of punctuation only ("..." ) do not count.

    Linear in the number of tokens (a looping output of a million tokens
    takes a second, not hours): an n-gram at `start` repeats k times back to
    back exactly when token i equals token i + n for every i in
    [start, start + k·n), so one pass from the right gives, for every start,
    how far that run of equalities goes.
    """
    tokens = _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    wordy = [t[0].isalnum() for t in tokens]
    best, best_gram = 1, None
    for n in range(1, max_n + 1):
        starts = len(tokens) - 2 * n + 1
        if starts <= 0:
            continue
        run = [0] * (len(tokens) - n + 1)  # run[i]: how many i' >= i in a row have tokens[i'] == tokens[i' + n]
        for i in range(len(tokens) - n - 1, -1, -1):
            run[i] = run[i + 1] + 1 if tokens[i] == tokens[i + n] else 0
        for start in range(starts):
            count = run[start] // n + 1
            if count > best and any(wordy[start : start + n]):
                best, best_gram = count, " ".join(tokens[start : start + n])
    return best, best_gram


def _language(text: str) -> tuple[str, float]:
    """Language and confidence from the detect stage's detector (seeded langdetect + script rules)."""
    guess = detect_language(text)
    return guess.lang, float(guess.score)


# -- over the store -------------------------------------------------------------------


class DiagnosticsReport(Report):
    """Counts of flagged translations by diagnostic, for summary.json and the report.

    A translation is one checked unit: a sentence of this pipeline's (each
    distinct cached translation once), a part of another system's that came
    with the input (a paragraph, or the whole piece). `translations`,
    `flagged` and `by_diagnostic` count both; `by_system` says how many of
    them are whose.
    """

    diagnosed: int = 0  # translations (re)diagnosed by this call (ours and the input's)
    translations: int = 0  # translations in the store with diagnostics
    flagged: int = 0  # of those, with at least one flag
    by_diagnostic: dict[str, int] = Field(default_factory=dict)  # over the whole store
    # "pipeline" (ours) and each system whose translations came with the input → {"translations", "flagged",
    # "pieces", and a count per diagnostic}
    by_system: dict[str, dict[str, int]] = Field(default_factory=dict)
    new_by_diagnostic: dict[str, int] = Field(default_factory=dict)  # over the ones diagnosed now
    by_run: dict[str, dict[str, int]] = Field(default_factory=dict)  # run id that made the translation → counts
    by_piece: dict[str, dict[str, int]] = Field(default_factory=dict)  # pieces with ≥1 flagged sentence
    thresholds: dict[str, Any] = Field(default_factory=dict)
    # Translations that came with the input, per system and counted by piece (a piece's translation is flagged
    # when one of its parts is): {"translations": pieces, "flagged": pieces, flag: pieces, ...}
    external: dict[str, dict[str, int]] = Field(default_factory=dict)
    external_by_piece: dict[str, dict[str, list[str]]] = Field(default_factory=dict)  # piece → system → flags (flagged only)


class DiagnoseStage(SectionStage[DiagnosticsSettings]):
    """Reference-free checks on every translation in the store."""

    name: ClassVar[str] = "diagnose"
    section: ClassVar[str] = "diagnostics"
    settings_type = DiagnosticsSettings

    def run(self, store: Store, settings: DiagnosticsSettings, ctx: RunContext) -> DiagnosticsReport:
        """Diagnose translations without diagnostics (or made with other thresholds); sum the flags.

        Only translations diagnosed under other thresholds (or never) are
        computed, so a re-run costs one query.
        """
        fingerprint = settings.fingerprint()
        todo = store.translations_to_diagnose(fingerprint)
        new_counts: Counter[str] = Counter()
        with ctx.reporter.task("diagnosing translations", len(todo), "sentences") as task:
            batches = (todo[start : start + BATCH] for start in range(0, len(todo), BATCH))
            for diagnoses in ctx.executor.map(partial(diagnose_batch, settings=settings), batches):  # a task per batch
                for d in diagnoses:
                    new_counts.update(d.diagnostics["flags"])
                store.save_diagnoses(diagnoses)
                task.advance(len(diagnoses))
        external = store.external_to_diagnose(fingerprint)
        with ctx.reporter.task("diagnosing translations that came with the input", len(external), "pieces") as task:
            batches_external = (external[start : start + BATCH] for start in range(0, len(external), BATCH))
            for done in ctx.executor.map(partial(diagnose_external_batch, settings=settings), batches_external):
                for one in done:
                    for part in one.diagnostics:
                        new_counts.update(part["flags"])
                store.save_external_diagnoses(done)
                task.advance(len(done))
        report = _sums(store)
        report.diagnosed = len(todo) + sum(len(e.parts) for e in external)
        report.new_by_diagnostic = _ordered(new_counts)
        report.thresholds = {**settings.model_dump(), "fingerprint": fingerprint}
        for system, counts in report.external.items():
            if counts["flagged"]:
                flags = ", ".join(f"{name} {counts[name]}" for name in DIAGNOSTICS if counts.get(name))
                ctx.reporter.warn(
                    f"system {system}: {counts['flagged']} of its {counts['translations']} translation(s) are flagged "
                    f"({flags}); see diagnostics.external in summary.json"
                )
        return report


def diagnose_batch(translations: list[Translation], settings: DiagnosticsSettings) -> list[Diagnosis]:
    fingerprint = settings.fingerprint()
    return [
        Diagnosis(key=t.key, diagnostics=diagnose(t.source_text, t.target_text, t.logprob, settings), fingerprint=fingerprint)
        for t in translations
    ]


def diagnose_external_batch(work: list[ExternalToDiagnose], settings: DiagnosticsSettings) -> list[ExternalDiagnosis]:
    """Each part of each external translation against the Arabic it translates (no log-probability: none came with it)."""
    fingerprint = settings.fingerprint()
    return [
        ExternalDiagnosis(
            piece_id=w.piece_id,
            system=w.system,
            diagnostics=[diagnose(source, part, None, settings) for source, part in zip(w.sources, w.parts)],
            fingerprint=fingerprint,
        )
        for w in work
    ]


def diagnose_store(store: Store, config: Config, reporter: Reporter = QUIET) -> DiagnosticsReport:
    """The diagnose stage over `store` (the Python API)."""
    stage = DiagnoseStage()
    return stage.run(store, stage.settings(config), RunContext(config, reporter))


def flags_of(diagnostics: dict[str, Any] | None) -> list[str] | None:
    """The flag names of stored diagnostics; None when there are none or they are unreadable."""
    if diagnostics is None:
        return None
    flags = diagnostics.get("flags")
    return [str(f) for f in flags] if isinstance(flags, list) else None


def _ordered(counts: Counter[str]) -> dict[str, int]:
    return {name: counts[name] for name in DIAGNOSTICS} | {k: v for k, v in sorted(counts.items()) if k not in DIAGNOSTICS}


OURS = "pipeline"  # this pipeline's translations in DiagnosticsReport.by_system


def _tally(report: DiagnosticsReport, totals: Counter[str], flags: list[str]) -> None:
    """One diagnosed translation (ours or another system's part) into the report's totals."""
    report.translations += 1
    report.flagged += bool(flags)
    totals.update(flags)


def _sums(store: Store) -> DiagnosticsReport:
    report = DiagnosticsReport()
    totals: Counter[str] = Counter()
    by_run: dict[str, Counter[str]] = {}
    by_system: dict[str, Counter[str]] = {}
    for run_id, diagnostics in store.translation_diagnostics():
        flags = flags_of(diagnostics)
        if flags is None:
            continue
        _tally(report, totals, flags)
        run = by_run.setdefault(str(run_id) if run_id is not None else "none", Counter())
        run["translations"] += 1
        run["flagged"] += bool(flags)
        run.update(flags)
        _count(by_system.setdefault(OURS, Counter()), flags)
    external: dict[str, Counter[str]] = {}
    for piece_id, system, parts in store.external_diagnostics():
        counts = by_system.setdefault(system, Counter())
        counts["pieces"] += 1
        piece_flags: list[str] = []
        for diagnostics in parts:
            flags = flags_of(diagnostics)
            if flags is None:
                continue
            _tally(report, totals, flags)
            _count(counts, flags)
            piece_flags += [f for f in flags if f not in piece_flags]
        _count(external.setdefault(system, Counter()), piece_flags)
        if piece_flags:
            report.external_by_piece.setdefault(piece_id, {})[system] = _in_order(piece_flags)
    by_piece: dict[str, Counter[str]] = {}
    for piece_id, diagnostics in store.segment_diagnostics():
        flags = flags_of(diagnostics)
        piece = by_piece.setdefault(piece_id, Counter())
        piece["segments"] += 1
        if flags:
            piece["flagged"] += 1
            piece.update(flags)
    report.by_diagnostic = _ordered(totals)
    report.by_run = {k: dict(v) for k, v in sorted(by_run.items())}
    report.by_system = {
        name: {"translations": c["translations"], "flagged": c["flagged"], **({"pieces": c["pieces"]} if name != OURS else {})}
        | {k: v for k, v in _ordered(c).items() if v and k not in {"translations", "flagged", "pieces"}}
        for name, c in sorted(by_system.items(), key=lambda item: (item[0] != OURS, item[0]))
    }
    report.by_piece = {k: dict(v) for k, v in sorted(by_piece.items()) if v["flagged"]}
    report.external = {
        name: {"translations": c["translations"], "flagged": c["flagged"], **_ordered(c)} for name, c in sorted(external.items())
    }
    return report


def _in_order(flags: list[str]) -> list[str]:
    """Flag names in DIAGNOSTICS order (others after, sorted)."""
    return [name for name in DIAGNOSTICS if name in flags] + sorted(f for f in flags if f not in DIAGNOSTICS)


def _count(counts: Counter[str], flags: list[str]) -> None:
    counts["translations"] += 1
    counts["flagged"] += bool(flags)
    counts.update(flags)


def piece_diagnostics(segments: list[Segment]) -> dict[str, Any]:
    """One piece's diagnostics from its segments: sentences checked, flags by name, and which sentences carry them.

    ``{"sentences", "diagnosed", "flagged_sentences", "flags": {name: count},
    "flagged": bool, "flagged_at": ["p0.s1: repetition", ...], "mean_logprob"}``;
    paragraph -1 is the title. Empty dict when the piece has no translated sentence.
    """
    rows = [s for s in segments if s.translation_key is not None]
    if not rows:
        return {}
    counts: Counter[str] = Counter()
    flagged_at, diagnosed = [], 0
    for segment in rows:
        flags = flags_of(segment.diagnostics)
        if flags is None:
            continue
        diagnosed += 1
        counts.update(flags)
        if flags:
            where = "title" if segment.paragraph_index == -1 else f"p{segment.paragraph_index}"
            flagged_at.append(f"{where}.s{segment.sentence_index}: {', '.join(flags)}")
    logprobs = [s.logprob for s in rows if s.logprob is not None]
    return {
        "sentences": len(rows),
        "diagnosed": diagnosed,
        "flagged_sentences": len(flagged_at),
        "flags": {k: v for k, v in _ordered(counts).items() if v},
        "flagged": bool(flagged_at),
        "flagged_at": flagged_at,
        "mean_logprob": round(sum(logprobs) / len(logprobs), 4) if logprobs else None,
    }
