"""Everything the exporters show, read from the store once.

The exporters are formatters: they never query the store themselves. This
module resolves what the records only point at (a match's sentence indices
into the Arabic segments and the English sentences, the diagnostics stored per
translated sentence), and tolerates missing parts: a store with no matches,
no diagnostics or pending translations still exports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from pipeline.records import Match, Piece
from pipeline.store import Store
from pipeline.text.dates import iso_text as iso_date_or_none  # noqa: F401 - the export modules import it from here


def english_sentences(text: str) -> list[str]:
    """The English piece's sentences, indexed exactly as the aligner indexed them.

    `sentence_pairs.target` points into this list, so it must be the aligner's
    own splitter; the fallback only serves stores written before it existed.
    """
    return list(_english_splitter()(text))


@lru_cache(maxsize=1)
def _english_splitter() -> Callable[[str], list[str]]:
    """The one place that names the aligner's splitter (the switch point if it moves)."""
    try:
        from pipeline.align import split_english  # type: ignore[attr-defined]

        return split_english
    except ImportError:
        pass
    try:
        from pipeline.align.text import split_sentences

        return split_sentences
    except ImportError:
        return _fallback_split


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def _fallback_split(text: str) -> list[str]:
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        sentences.extend(s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip())
    return sentences


@dataclass
class Sentence:
    """One Arabic sentence (a segment) with its translation and diagnostics."""

    index: int  # position among the piece's body segments; -1.. for title sentences
    paragraph_index: int
    text: str
    translation: str | None
    model: str | None = None
    created_at: str | None = None
    diagnostics: dict[str, Any] | None = None


@dataclass
class AlignedPair:
    """A sentence pair of a match with its texts resolved; texts are None when an index is out of range."""

    source: int
    target: int
    score: float
    arabic: str | None
    translation: str | None
    english: str | None
    diagnostics: dict[str, Any] | None = None


@dataclass
class MatchView:
    number: int  # 1-based, stable within one export: used for anchors and task ids
    match: Match
    source: Piece
    target: Piece
    pairs: list[AlignedPair]
    english: list[str]
    source_view: "PieceView"
    target_view: "PieceView"
    similarity: float | None = None


@dataclass
class PieceView:
    piece: Piece
    number: int
    body: list[Sentence] = field(default_factory=list)
    title: list[Sentence] = field(default_factory=list)
    reason: str | None = None  # why the piece is pending / not routed / failed
    alignment: str | None = None  # 'matched', 'no_coverage', ... from the aligner
    alignment_reason: str | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    matches: list[MatchView] = field(default_factory=list)

    @property
    def best_score(self) -> float | None:
        return max((m.match.score for m in self.matches), default=None)

    @property
    def flagged(self) -> bool:
        return bool(self.diagnostics.get("flagged"))


@dataclass
class ExportData:
    pieces: list[PieceView]
    matches: list[MatchView]
    generated_at: str
    warnings: list[str] = field(default_factory=list)

    @property
    def unmatched_translations(self) -> list[PieceView]:
        """Translated pieces with no English coverage (the aligner abstained or never ran)."""
        return [v for v in self.pieces if v.piece.translation and not v.matches and v.piece.lang != "en"]


def load_export_data(store: Store) -> ExportData:
    pieces = store.load_pieces()
    segments = _segments(store)
    reasons = dict(store.conn.execute("SELECT id, reason FROM pieces").fetchall())
    alignments = {r[0]: (r[1], r[2]) for r in store.conn.execute("SELECT piece_id, status, reason FROM alignments")}
    views = {}
    for number, piece in enumerate(pieces, start=1):
        sentences = segments.get(piece.id) or _external_sentences(piece)
        status, why = alignments.get(piece.id, (None, None))
        views[piece.id] = PieceView(
            piece=piece,
            number=number,
            body=[s for s in sentences if s.paragraph_index >= 0],
            title=[s for s in sentences if s.paragraph_index < 0],
            reason=reasons.get(piece.id),
            alignment=status,
            alignment_reason=why,
        )
    diagnose = _piece_diagnostics_function()
    for view in views.values():
        view.diagnostics = _piece_diagnostics(store, view, diagnose)
    data = ExportData(list(views.values()), [], datetime.now(timezone.utc).isoformat(timespec="seconds"))
    similarity = _similarities(store)
    split: dict[str, list[str]] = {}  # an English piece matched several times is split once
    for match in store.load_matches():
        source, target = views.get(match.source_id), views.get(match.target_id)
        if source is None or target is None:
            data.warnings.append(f"match {match.source_id}→{match.target_id} names a piece that is not in the store; skipped")
            continue
        if target.piece.id not in split:
            split[target.piece.id] = english_sentences(target.piece.text)
        view = _match_view(len(data.matches) + 1, match, source, target, split[target.piece.id], data.warnings)
        view.similarity = similarity.get((match.source_id, match.target_id))
        source.matches.append(view)
        target.matches.append(view)
        data.matches.append(view)
    return data


def _external_sentences(piece: Piece) -> list[Sentence]:
    """Sentences of a translation that came with the input (JSONL from another MT system).

    Such a piece has no segments; the aligner splits its translation with the
    English splitter, so the pair indices of its matches count these sentences.
    The Arabic side is not split per sentence, hence empty texts.
    """
    if not piece.translation or piece.lang == "en":
        return []
    return [
        Sentence(index=i, paragraph_index=0, text="", translation=sentence, model=piece.model)
        for i, sentence in enumerate(english_sentences(piece.translation))
    ]


def _segments(store: Store) -> dict[str, list[Sentence]]:
    """All segments in reading order; body index i is the i-th of paragraph >= 0 (as load_segments)."""
    rows = store.conn.execute(
        "SELECT s.piece_id, s.paragraph_idx, s.sentence_idx, s.text, t.target_text, t.model, t.revision, "
        "t.created_at, t.diagnostics FROM segments s LEFT JOIN translations t ON t.key = s.translation_key "
        "ORDER BY s.piece_id, s.paragraph_idx, s.sentence_idx"
    ).fetchall()
    out: dict[str, list[Sentence]] = {}
    body_counter: dict[str, int] = {}
    for r in rows:
        piece_id, para = r["piece_id"], r["paragraph_idx"]
        if para >= 0:
            index = body_counter.get(piece_id, 0)
            body_counter[piece_id] = index + 1
        else:
            index = -1 - r["sentence_idx"]
        out.setdefault(piece_id, []).append(
            Sentence(
                index=index,
                paragraph_index=para,
                text=r["text"],
                translation=r["target_text"],
                model=f"{r['model']}@{r['revision']}" if r["model"] else None,
                created_at=r["created_at"],
                diagnostics=_json_dict(r["diagnostics"]),
            )
        )
    return out


def _json_dict(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return {"unreadable": raw[:200]}
    return value if isinstance(value, dict) else {"value": value}


def _piece_diagnostics_function() -> Callable[[Store, str], Any] | None:
    try:
        from pipeline.evaluate.diagnostics import piece_diagnostics  # type: ignore[import-not-found]
    except ImportError:
        return None
    return piece_diagnostics


def _piece_diagnostics(store: Store, view: PieceView, diagnose: Callable[[Store, str], Any] | None) -> dict[str, Any]:
    """The evaluate stage's piece summary when it exists, else one made from the sentence diagnostics."""
    if diagnose is not None:
        try:
            found = diagnose(store, view.piece.id)
        except Exception:  # a diagnostics bug must not cost the user every other export
            found = None
        if found:
            result = dict(found) if isinstance(found, dict) else _as_plain(found)
            if result.get("diagnosed") == 0:  # translated, but the diagnose step has not run on it
                return {}
            result.setdefault("flagged", bool(result.get("flags")))
            return result
    return summarize_diagnostics([s.diagnostics for s in view.body + view.title if s.diagnostics])


def summarize_diagnostics(per_sentence: list[dict[str, Any]]) -> dict[str, Any]:
    """Count the flags raised on a piece's sentences (used when the evaluate stage offers no summary).

    A sentence's diagnostics are ``{"flags": [names], "values": {...}, ...}``
    as the evaluate stage writes them; a top-level key whose value is
    ``True`` also counts as a flag; numbers are not flags.
    """
    counts: dict[str, int] = {}
    flagged = 0
    for diag in per_sentence:
        names = sentence_flags(diag)
        flagged += bool(names)
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    if not per_sentence:
        return {}
    return {"sentences": len(per_sentence), "flagged_sentences": flagged, "flags": counts, "flagged": flagged > 0}


def sentence_flags(diag: dict[str, Any] | None) -> list[str]:
    if not diag:
        return []
    names = [str(f) for f in diag.get("flags", []) or []] if isinstance(diag.get("flags"), list) else []
    names += [k for k, v in diag.items() if v is True]
    return sorted(set(names))


def _as_plain(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if hasattr(obj, "as_dict"):
        return obj.as_dict()
    return dict(obj)


def _similarities(store: Store) -> dict[tuple[str, str], float]:
    try:
        from pipeline.evaluate import similarity_for_matches  # type: ignore[attr-defined]
    except ImportError:
        return {}
    try:  # optional decoration: never let it cost the export
        found = similarity_for_matches(store) or {}
        return {tuple(k): float(v) for k, v in dict(found).items() if v is not None}  # type: ignore[misc]
    except Exception:
        return {}


def _match_view(
    number: int, match: Match, source: PieceView, target: PieceView, english: list[str], warnings: list[str]
) -> MatchView:
    pairs = []
    bad = 0
    for pair in sorted(match.sentence_pairs, key=lambda p: (p.source, p.target)):
        src = source.body[pair.source] if 0 <= pair.source < len(source.body) else None
        en = english[pair.target] if 0 <= pair.target < len(english) else None
        bad += src is None or en is None
        pairs.append(
            AlignedPair(
                source=pair.source,
                target=pair.target,
                score=pair.score,
                arabic=src.text if src else None,
                translation=src.translation if src else None,
                english=en,
                diagnostics=src.diagnostics if src else None,
            )
        )
    if bad:
        warnings.append(
            f"match {match.source_id}→{match.target_id}: {bad} sentence pair(s) point past the sentences in the store "
            "(re-run align after re-translating)"
        )
    return MatchView(number, match, source.piece, target.piece, pairs, english, source, target)


def model_fields(model: str | None) -> dict[str, str | None] | None:
    """'name@revision' → {"id": name, "revision": revision}; an external system name has no revision."""
    if not model:
        return None
    name, sep, revision = model.rpartition("@")
    return {"id": name, "revision": revision} if sep and name else {"id": model, "revision": None}
