"""Matches reviewers made: a pair they judged the same event that the aligner did not match.

Such a pair becomes an ordinary match, scored and evidenced like any other
(the pair model's probabilities and features, the shared facts as its sentence pairs), but marked
``reviewed`` in its evidence, with who judged it, so the report and the
exports tell a reviewed match from an automatic one. The align stage adds
them again after every run (a realignment never drops a reviewer's match),
and `pipeline annotations import` adds them at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.align.matcher import AlignSettings, pair_components
from pipeline.align.pairmodel import OUTCOMES
from pipeline.evaluate.similarity import match_similarity
from pipeline.records import Match, Piece, SentencePair
from pipeline.store import Store


def reviewed_matches(
    store: Store, settings: AlignSettings, confirmed: Mapping[tuple[str, str], Mapping[str, str]]
) -> list[Match]:
    """A match for every confirmed pair (`confirmed[(source, target)]`: reviewer → verdict) the store has no match for."""
    if not confirmed:
        return []  # the common case: no reviewer has confirmed a pair, and the matches need not be read
    matched = {(m.source_id, m.target_id) for m in store.load_matches()}
    wanted = sorted(pair for pair in confirmed if pair not in matched)
    if not wanted:
        return []
    pieces = {p.id: p for p in store.load_pieces({i for pair in wanted for i in pair})}
    ours = [s for s, _ in wanted if s in pieces and not pieces[s].external]
    sentences = {
        piece_id: [s.translation or "" for s in segments]
        for piece_id, segments in store.segments(ours, with_titles=False).items()
        if segments and all(s.translation is not None for s in segments)
    }
    out = []
    for source_id, target_id in wanted:
        source, target = pieces.get(source_id), pieces.get(target_id)
        if source is None or target is None or not source.translation:
            continue
        out.append(_match(source, target, settings, sentences.get(source_id), confirmed[(source_id, target_id)]))
    return out


def _match(source: Piece, target: Piece, settings: AlignSettings, sentences: list[str] | None, said: Mapping[str, str]) -> Match:
    candidate = pair_components(source, target, settings, sentences)
    if candidate is None:  # nothing to score (an empty side): the reviewers' word alone
        return Match(
            source_id=source.id,
            target_id=target.id,
            score=0.0,
            evidence={"reviewed": True, "reviewers": dict(sorted(said.items())), "operating_point": "added by reviewers"},
            similarity=match_similarity(source, target),
        )
    pairs = [
        SentencePair(source=a, target=b, score=round(x, 4)) for a, b, x, _, _ in candidate.strong if x >= settings.pair_threshold
    ]
    return Match(
        source_id=source.id,
        target_id=target.id,
        score=candidate.score,
        evidence={
            "reviewed": True,
            "reviewers": dict(sorted(said.items())),
            "operating_point": "added by reviewers (the aligner had not matched this pair)",
            "probabilities": dict(zip(OUTCOMES, candidate.probabilities)),
            "components": {k: round(v, 4) for k, v in candidate.features.items()},
            "shared_sentences": round(candidate.components.shared_sentences, 3),
            "date_gap_days": candidate.components.date_gap_days,
        },
        sentence_pairs=sorted(pairs, key=lambda p: (p.source, p.target)),
        similarity=match_similarity(source, target),
    )
