"""What the stored evidence means, in words an analyst reads without the source code.

The align stage stores a match's evidence as numbers (component scores, the
weights they were combined with, shared names with how they matched, the
date gap, the best sentence pairs) and the diagnose stage stores each
translation's flags with the measured values. The report shows them as:

* the score explained: each component's value beside its weight and what it
  added to the logistic sum (:func:`score_parts`), and that sum itself, the
  log-odds (:func:`log_odds`), which ranks matches whose scores all round
  to 1.00;
* shared names as pairs, both spellings and how they were matched
  (:func:`entity_pairs`);
* the date gap in words (:func:`date_gap`);
* each flag as a plain-language reason built from the values behind it
  (:func:`flag_reasons`), the raw values staying behind a disclosure; text
  quoted from a translation is wrapped in Unicode isolates (FSI … PDI) so an
  Arabic loop inside an English sentence keeps both in reading order.

Every function accepts evidence as older stores wrote it too (a list of
names, no weights): what is missing is shown as unknown, never guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.text.dates import iso_date

# Names of the align evidence (the pair features, pipeline/align/features.py; "entities" and "date" in stores
# before the pair model) → what each measures.
COMPONENTS: dict[str, str] = {
    "sentences": "shared facts: sentences that say the same thing",
    "facts": "how many sentences clearly say the same thing",
    "lead_link": "the two leads share a sentence",
    "lead_found": "each piece's first fact is found in the other",
    "lexical": "shared vocabulary of the whole pieces",
    "lead_words": "the leads use the same words for what happened",
    "lead_words_found": "each lead's words for what happened are found in the other",
    "names": "shared names (people, places, organisations)",
    "entities": "shared names (people, places, organisations)",
    "lead_names": "the names each lead puts first are found in the other",
    "main_actor": "each piece's main actor is found in the other",
    "no_lead_names": "neither lead names anyone rare enough to tell",
    "numbers": "shared figures",
    "lead_numbers": "the figures each lead states are found in the other",
    "lead_numbers_missed": "the figures a lead states are missing from the other",
    "event_same": "both say their event happened on the same day",
    "event_apart": "their events happened days apart",
    "weekday_agree": "both leads name the same weekday",
    "weekday_conflict": "the leads name different weekdays",
    "pub_near": "published close together",
    "date": "published close together",
    "preview": "one piece looks ahead to the other's event",
    "tense_differs": "one lead speaks of what will happen, the other of what happened",
    "short": "the translated piece is short",
}
HOW_MATCHED: dict[str, str] = {
    "exact": "same spelling",
    "contained": "one name inside the other (e.g. full name and surname)",
    "fuzzy": "close spelling (transliteration variant)",
}
# The aligner's 'exact' compares names after folding their transliteration (pipeline/align/entities.py), so two
# spellings can meet there: "same spelling" is said only of two identical ones.
SAME_NAME_OTHER_SPELLING = "the same name after folding transliteration, spelt differently"
# Diagnostic flag → (short label, what it means, the measured values; see pipeline/evaluate/diagnostics.py).
FLAGS: dict[str, tuple[str, str, str]] = {
    "empty": ("empty", "The translation is empty although the Arabic is not.", ""),
    "arabic_script": ("Arabic left", "Arabic letters were left in the translation.", "{arabic_chars} letters"),
    "not_english": ("not English", "The translation does not read as English.", "detected '{lang}', {lang_confidence:.0%} sure"),
    "copied_source": (
        "copied",
        "The translation copies the Arabic instead of translating it.",
        "{copy_similarity:.0%} identical",
    ),
    "length_ratio": (
        "odd length",
        "The translation is much longer or shorter than this Arabic usually gives.",
        "{char_ratio:.1f}× the Arabic's length",
    ),
    "repetition": (
        "repeats",
        "Words repeat in a loop, the usual sign of a model stuck on its own output.",
        "'\u2068{repeated_ngram}\u2069' {max_repeats} times in a row",  # isolated: the loop may be Arabic
    ),
    "low_logprob": ("unsure model", "The model was unsure of this translation.", "mean log-probability {mean_logprob:.2f}"),
}


@dataclass
class ScorePart:
    name: str
    label: str
    value: float | None  # the component, 0..1; None when unknown (a missing date)
    weight: float | None
    contribution: float | None  # what it added to the logistic sum


def score_parts(evidence: dict[str, Any]) -> tuple[list[ScorePart], float | None]:
    """The components of a match score with their weights and contributions, and the bias.

    For the pair model the weights are those of the log-odds of "same event"
    against "no relation" (``P(same) / (P(same) + P(none)) = sigmoid(bias + Σ
    contribution)``); in stores made before it, ``score = sigmoid(bias + Σ
    contribution)`` and the date entered as ``weight · (date − 0.5)``.
    """
    components = evidence.get("components")
    weights: dict[str, Any] = _mapping(evidence.get("weights"))
    if not isinstance(components, dict):
        return [], None
    parts = []
    for name, value in components.items():
        weight = _number(weights.get(name))
        number = _number(value)
        contribution = None
        if number is not None and weight is not None:
            contribution = weight * (number - 0.5) if name == "date" else weight * number
        parts.append(ScorePart(name, COMPONENTS.get(name) or name, number, weight, contribution))
    parts.sort(key=lambda p: -(p.contribution if p.contribution is not None else -math.inf))
    return parts, _number(weights.get("bias"))


def log_odds(evidence: dict[str, Any]) -> float | None:
    """The sum the match score is the logistic of: bias + every contribution (None when the evidence lacks weights).

    The score saturates (every strong match shows 1.00); its log-odds keeps
    growing with the evidence, so it ranks what the score cannot.
    """
    parts, bias = score_parts(evidence)
    if bias is None or not parts or any(p.contribution is None and p.value is not None for p in parts):
        return None
    return bias + sum(p.contribution for p in parts if p.contribution is not None)


def clip(text: str, limit: int) -> str:
    """`text` cut at a word before `limit` characters, with an ellipsis: a title that loops on must not fill a page."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


@dataclass
class EntityPair:
    translation: str
    english: str
    how: str
    weight: float | None


def entity_pairs(evidence: dict[str, Any]) -> list[EntityPair]:
    """Shared names as (spelling in the translation, spelling in the English piece, how matched)."""
    pairs = []
    for item in evidence.get("shared_entities") or []:
        if isinstance(item, dict):
            how = str(item.get("how") or "")
            source, target = str(item.get("source", "")), str(item.get("target", ""))
            words = HOW_MATCHED.get(how, how or "not recorded")
            if how == "exact" and source != target:
                words = (
                    "same spelling but for letter case" if source.casefold() == target.casefold() else SAME_NAME_OTHER_SPELLING
                )
            pairs.append(EntityPair(source, target, words, _number(item.get("weight"))))
        else:  # stores before the pairs were recorded: one spelling, how unknown
            pairs.append(EntityPair(str(item), str(item), "not recorded", None))
    return pairs


def date_gap(source_date: str | None, target_date: str | None) -> str:
    """'The English piece appeared 10 days later', 'Both on the same day', or why it is unknown."""
    a, b = _date(source_date), _date(target_date)
    if a is None or b is None:
        missing = " and ".join(n for n, d in (("the Arabic piece", a), ("the English piece", b)) if d is None)
        return f"Date gap unknown: {missing} has no date."
    days = (b - a).days
    if days == 0:
        return "Both appeared on the same day."
    amount = _days(abs(days))
    return f"The English piece appeared {amount} {'later' if days > 0 else 'earlier'}."


def _days(n: int) -> str:
    if n < 14:
        return f"{n} day{'s' if n != 1 else ''}"
    if n < 60:
        return f"{n} days (about {round(n / 7)} weeks)"
    return f"{n} days (about {round(n / 30.4)} months)"


def _date(text: str | None) -> date | None:
    return iso_date(text)


@dataclass
class FlagReason:
    name: str
    label: str
    reason: str


def flag_reasons(diagnostics: dict[str, Any] | None, names: list[str]) -> list[FlagReason]:
    """A plain-language reason for each flag, with the measured values when they were recorded."""
    values = _mapping(diagnostics.get("values")) if diagnostics else {}
    out = []
    for name in names:
        label, meaning, detail = FLAGS.get(name, (name, f"Flagged by the check '{name}'.", ""))
        try:
            measured = detail.format(**values) if detail else ""
        except (KeyError, ValueError, TypeError):  # a value is missing (older diagnostics) or not a number
            measured = ""
        out.append(FlagReason(name, label, f"{meaning} ({measured})" if measured else meaning))
    return out


def raw_values(diagnostics: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The measured values behind a sentence's flags, as (name, text) for the disclosure."""
    if not diagnostics:
        return []
    values = _mapping(diagnostics.get("values")) or diagnostics
    return [(str(k), _text(v)) for k, v in values.items() if k not in {"flags", "thresholds"}]


def _text(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
