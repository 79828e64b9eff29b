"""How close a translation is to the English coverage it was matched with (chrF).

This is *not* a translation-quality score: the English piece is another
outlet's report of the same event, not a reference translation, so a
faithful translation of a differently written article scores low. It only
says how much wording the two texts share, which helps an analyst rank
matches. Every output carries that label so nobody reads it as quality.
"""

from __future__ import annotations

from typing import Any

from sacrebleu.metrics import CHRF

from pipeline.evaluate.result import SIMILARITY_LABEL
from pipeline.store import Store

FIELD = "coverage_chrf_similarity"


def _chrf(a: str, b: str) -> float:
    return round(CHRF().sentence_score(" ".join(a.split()), [" ".join(b.split())]).score, 2)


def pair_similarity(translation: str, english: str) -> dict[str, Any]:
    """chrF (0–100) of the translation against the English coverage text, with its label."""
    metric = CHRF()
    metric.num_refs = 1
    return {
        FIELD: _chrf(translation, english) if translation.strip() and english.strip() else 0.0,
        "label": SIMILARITY_LABEL,
        "signature": metric.get_signature().format(),
    }


def similarity_for_matches(store: Store) -> dict[tuple[str, str], float]:
    """chrF similarity of every match: the whole translated piece vs the whole English piece.

    Matches whose source has no (complete) translation yet are left out.
    """
    matches = store.load_matches()
    if not matches:
        return {}
    ids = {m.source_id for m in matches} | {m.target_id for m in matches}
    pieces = {p.id: p for p in store.load_pieces(ids)}
    out: dict[tuple[str, str], float] = {}
    for match in matches:
        source, target = pieces.get(match.source_id), pieces.get(match.target_id)
        if source is None or target is None or not source.translation:
            continue
        english = target.translation if target.lang != "en" and target.translation else target.text
        out[(match.source_id, match.target_id)] = pair_similarity(source.translation, english)[FIELD]
    return out
