"""How close a translation is to the English coverage it was matched with (chrF).

This is *not* a translation-quality score: the English piece is another
outlet's report of the same event, not a reference translation, so a
faithful translation of a differently written article scores low. It only
says how much wording the two texts share, which helps an analyst rank
matches. Every output carries that label so nobody reads it as quality.

The align stage computes it once per match (:func:`match_similarity`) and
the store keeps it with the match, so an export reads it instead of scoring
every match again (at 100,000 pieces that was most of an export's time);
matches made before it was kept are scored when exported.
"""

from __future__ import annotations

from typing import Any

from sacrebleu.metrics import CHRF

from pipeline.evaluate.result import SIMILARITY_LABEL
from pipeline.records import Piece
from pipeline.store import Store

FIELD = "coverage_chrf_similarity"
_CHRF = CHRF()  # sentence_score keeps no state between calls: one instance serves every pair


def chrf_similarity(translation: str, english: str) -> float:
    """Sentence-level chrF (0–100) of the translation against the English text, whitespace collapsed; 0 when one is empty."""
    a, b = " ".join(translation.split()), " ".join(english.split())
    if not a or not b:
        return 0.0
    return round(_CHRF.sentence_score(a, [b]).score, 2)


def pair_similarity(translation: str, english: str) -> dict[str, Any]:
    """chrF (0–100) of the translation against the English coverage text, with its label."""
    metric = CHRF()
    metric.num_refs = 1
    return {
        FIELD: chrf_similarity(translation, english),
        "label": SIMILARITY_LABEL,
        "signature": metric.get_signature().format(),
    }


def match_similarity(source: Piece, target: Piece) -> float | None:
    """The similarity of a match: the whole translated piece against the whole English piece (None: no translation)."""
    if not source.translation:
        return None
    english = target.translation if target.lang != "en" and target.translation else target.text
    return chrf_similarity(source.translation, english)


def similarity_for_matches(store: Store) -> dict[tuple[str, str], float]:
    """chrF similarity of every match: as stored with it, else computed (a match made before it was kept).

    Matches whose source has no (complete) translation yet are left out.
    """
    matches = store.load_matches()
    out = {(m.source_id, m.target_id): m.similarity for m in matches if m.similarity is not None}
    missing = [m for m in matches if m.similarity is None]
    if not missing:
        return out
    ids = {m.source_id for m in missing} | {m.target_id for m in missing}
    pieces = {p.id: p for p in store.load_pieces(ids)}
    for match in missing:
        source, target = pieces.get(match.source_id), pieces.get(match.target_id)
        value = match_similarity(source, target) if source is not None and target is not None else None
        if value is not None:
            out[(match.source_id, match.target_id)] = value
    return out
