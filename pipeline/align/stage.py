"""The align stage over the store (`align_store`) and over JSONL files (`align_jsonl`).

Both read pieces, call :func:`~pipeline.align.matcher.align_pieces` and write
one record per translated piece: its matches, or why it has none. Store mode
replaces the previous results of the pieces it aligns in one transaction, so
an interrupted run leaves the old results intact.
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError

from pipeline.align.labels import calibrate, describe
from pipeline.align.matcher import AlignResult, AlignSettings, align_pieces
from pipeline.align.reviewed import reviewed_matches
from pipeline.annotations.reviews import pair_reviews
from pipeline.config import Config
from pipeline.errors import InputError, StorageError
from pipeline.evaluate.similarity import match_similarity
from pipeline.files import open_regular, path_text
from pipeline.jsonlines import json_line, system_field, translation_field, translation_text
from pipeline.progress import QUIET, Reporter
from pipeline.records import Alignment, Match, Piece, content_id
from pipeline.stage import Report, RunContext, SectionStage
from pipeline.store import Store


class AlignReport(Report):
    """What an align run did; goes into summary.json."""

    translated: int = 0
    english: int = 0
    english_duplicates: int = 0  # identical English pieces collapsed onto one
    matched: int = 0
    matches: int = 0
    related: int = 0  # related coverage: English pieces on the same story thread, another event (not matches)
    no_coverage: int = 0
    untranslated: int = 0  # non-English pieces with no translation yet (status 'pending')
    scored_pairs: int = 0
    seconds: float = 0.0
    files: list[str] = Field(default_factory=list)
    reasons: dict[str, int] = Field(default_factory=dict)  # abstention kind (matcher.AbstentionKind) -> count
    reviewed_matches: int = 0  # pairs reviewers judged the same event that the aligner did not match, kept as matches
    calibration: dict[str, Any] | None = None  # the operating point fitted on judged pairs (align.calibration: annotations)


def _report(result: AlignResult, n_src: int, n_en: int, seconds: float, untranslated: int = 0) -> AlignReport:
    matched = {m.source_id for m in result.matches}
    reasons = dict(sorted(Counter(result.kinds.values()).items()))
    return AlignReport(
        translated=n_src,
        english=n_en,
        english_duplicates=sum(len(v) for v in result.duplicates.values()),
        matched=len(matched),
        matches=len(result.matches),
        related=len(result.related),
        no_coverage=len(result.abstentions),
        untranslated=untranslated,
        scored_pairs=result.scored_pairs,
        seconds=round(seconds, 3),
        reasons=reasons,
    )


def _alignment(piece_id: str, result: AlignResult) -> Alignment:
    """The piece's status line: matched (how often, how well), or no coverage with its reason and nearest miss."""
    mine = [m for m in result.matches if m.source_id == piece_id]
    if mine:
        best = max(mine, key=lambda m: m.score)
        reason = f"{len(mine)} match{'es' if len(mine) > 1 else ''}; best {best.target_id} at {best.score:.3f}"
        return Alignment(piece_id=piece_id, status="matched", reason=reason)
    near = result.nearest.get(piece_id)
    return Alignment(
        piece_id=piece_id,
        status="no_coverage",
        reason=result.abstentions.get(piece_id, "no English coverage found"),
        candidate_id=near.target_id if near else None,
        candidate_score=near.score if near else None,
        threshold=near.threshold if near else None,
    )


class AlignStage(SectionStage[AlignSettings]):
    """Translated pieces × English pieces in the store → matches, or the reason there is none."""

    name: ClassVar[str] = "align"
    section: ClassVar[str] = "align"
    settings_type = AlignSettings

    def run(self, store: Store, settings: AlignSettings, ctx: RunContext) -> AlignReport:
        """Align every translated piece in the store against every English piece in it.

        Translated pieces are the non-English pieces with a translation (from
        this pipeline's segments or an external one); for pipeline translations
        the sentence indices of `sentence_pairs.source` are the piece's body
        segments in reading order. Non-English pieces without a translation are
        recorded with status 'pending'. Earlier results of these pieces are
        replaced in one transaction, so an interrupted run leaves them intact.
        """
        start = time.perf_counter()
        pieces = store.load_pieces()
        english = [p for p in pieces if p.lang == "en"]
        others = [p for p in pieces if p.lang != "en"]
        translated = [p for p in others if p.translation and p.translation.strip()]
        untranslated = [p for p in others if not (p.translation and p.translation.strip())]
        ours = [p.id for p in translated if not p.external]
        sentences: dict[str, list[str]] = {}
        flagged: dict[str, list[int]] = {}
        excluding = set(settings.exclude_flags)
        for piece_id, segments in store.segments(ours, with_titles=False).items():
            if segments and all(s.translation is not None for s in segments):
                sentences[piece_id] = [s.translation or "" for s in segments]
                flagged[piece_id] = [i for i, s in enumerate(segments) if excluding & set(_flags(s.diagnostics))]
        fitted, point = None, None
        judgements = store.judgements()
        if settings.calibration == "annotations":
            fitted = calibrate(store, settings, judgements)
            store.save_calibration(fitted, ctx.run_id)
            for line in describe(fitted):
                ctx.reporter.info(line)
            settings = settings.model_copy(update={"threshold": fitted.threshold})
            point = f"calibrated on {fitted.figures.get('labels')} judged pairs for max_false_match_rate {fitted.max_false_match_rate:g}"
        ctx.reporter.info(f"aligning {len(translated)} translated pieces against {len(english)} English pieces")
        if translated and not english:
            ctx.reporter.info(NO_ENGLISH)
        result = align_pieces(translated, english, settings, sentences, ctx.reporter, flagged=flagged, point=point)
        _measure_similarity(result.matches, translated, english)
        for kept, dropped in result.duplicates.items():
            ctx.reporter.info(f"English pieces {', '.join(dropped)} are identical to {kept}; matched as {kept}")
        alignments = [_alignment(p.id, result) for p in translated]
        alignments += [
            Alignment(piece_id=p.id, status="pending", reason=f"no translation yet (piece status '{p.status}')")
            for p in untranslated
        ]
        confirmed = {pair: r.verdicts for pair, r in pair_reviews(judgements).items() if r.state == "confirmed"}
        with store.transaction():  # a realignment never drops a match reviewers made
            store.replace_alignments([*result.matches, *result.related], alignments, ctx.run_id)
            added = store.add_reviewed_matches(reviewed_matches(store, settings, confirmed), ctx.run_id)
        report = _report(result, len(translated), len(english), time.perf_counter() - start, len(untranslated))
        report.reviewed_matches = added
        report.calibration = fitted.model_dump(mode="json", exclude={"created_at", "run_id"}) if fitted else None
        return report


NO_ENGLISH = (
    "no English pieces in the store, so every translation is recorded as without coverage: give English coverage with "
    '`pipeline ingest ENGLISH...` (dumps, or JSONL with "lang": "en"; docs/input-formats.md) or '
    "`pipeline run INPUT... --english ENGLISH...`, then `pipeline align` again"
)


def _measure_similarity(matches: list[Match], translated: list[Piece], english: list[Piece]) -> None:
    """Each match's chrF similarity (translation against the English piece), kept with the match so exports read it."""
    by_id = {p.id: p for p in translated} | {p.id: p for p in english}
    for match in matches:
        source, target = by_id.get(match.source_id), by_id.get(match.target_id)
        if source is not None and target is not None:
            match.similarity = match_similarity(source, target)


def _flags(diagnostics: dict[str, Any] | None) -> list[str]:
    flags = (diagnostics or {}).get("flags")
    return [str(f) for f in flags] if isinstance(flags, list) else []


def align_store(store: Store, config: Config, reporter: Reporter = QUIET, run_id: int | None = None) -> AlignReport:
    """The align stage over `store` (the Python API)."""
    stage = AlignStage()
    return stage.run(store, stage.settings(config), RunContext(config, reporter, run_id))


# -- JSONL mode -------------------------------------------------------------------


def read_pieces_jsonl(path: Path, default_lang: str | None) -> list[Piece]:
    """Pieces from a JSONL file (the pieces.jsonl contract, or any objects with text/translation).

    Only a regular file is read (a FIFO is refused, never waited on); a line
    that is not UTF-8, nested too deeply, holds a lone surrogate or a field of
    the wrong type fails the file with the line number, never a traceback.
    """
    try:
        raw = open_regular(path)
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    pieces: list[Piece] = []
    number = 0
    try:
        with io.TextIOWrapper(raw, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    pieces.append(_jsonl_piece(path, number, line, default_lang))
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 ({exc.reason})", number + 1) from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}", number + 1) from None
    return pieces


def _jsonl_piece(path: Path, number: int, line: str, default_lang: str | None) -> Piece:
    obj = json_line(path, number, line)
    if not isinstance(obj, dict):
        raise InputError(str(path), "each line must be a JSON object", number)
    text = obj.get("text") or ""
    if not isinstance(text, str):
        raise InputError(str(path), "'text' must be a string", number)
    try:  # as ingest reads it: text, or one string per paragraph
        given = translation_field(obj.get("translation"))
    except ValueError as exc:
        raise InputError(str(path), str(exc), number) from None
    translation = translation_text(given) if given is not None else None
    if not text and not translation:
        raise InputError(str(path), "piece has neither 'text' nor 'translation'", number)
    try:
        return Piece(
            id=str(obj.get("id") or content_id(text or translation or "")),
            source=str(obj.get("source") or path_text(path)),
            title=obj.get("title"),
            title_translation=obj.get("title_translation"),
            date=obj.get("date"),
            outlet=obj.get("outlet"),
            author=obj.get("author"),
            lang=obj.get("lang") or default_lang,
            text=text or translation or "",
            translation=translation,
            model=system_field(obj),
            kind="teaser" if obj.get("kind") == "teaser" else "article",
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise InputError(str(path), f"field '{'.'.join(map(str, first['loc']))}': {first['msg']}", number) from None


def align_jsonl(source_path: Path, target_path: Path, out_dir: Path, config: Config, reporter: Reporter = QUIET) -> AlignReport:
    """Align JSONL pieces carrying a `translation` against English JSONL pieces.

    Writes ``matches.jsonl`` (the output contract: source_id, target_id, score,
    evidence, sentence_pairs, relation "same_event"), ``related.jsonl`` (the
    same fields for related coverage: the same story thread, another event)
    and ``alignments.jsonl`` (one status line per source piece: matched /
    no_coverage with its reason) into `out_dir`.
    """
    settings = config.section("align", AlignSettings)
    start = time.perf_counter()
    sources = read_pieces_jsonl(Path(source_path), None)
    targets = read_pieces_jsonl(Path(target_path), "en")
    english = [p for p in targets if p.lang in (None, "en")]
    translated = [p for p in sources if p.translation is not None]
    missing = [p for p in sources if p.translation is None]
    result = align_pieces(translated, english, settings, None, reporter)
    _measure_similarity(result.matches, translated, english)
    for p in missing:
        result.abstain(p.id, "no translation", "piece carries no 'translation'")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        match_path, related_path, status_path = out / "matches.jsonl", out / "related.jsonl", out / "alignments.jsonl"
        _write_jsonl(
            match_path, [_match_json(m) for m in sorted(result.matches, key=lambda m: (m.source_id, -m.score, m.target_id))]
        )
        _write_jsonl(related_path, [_match_json(m) for m in sorted(result.related, key=_by_relatedness)])
        statuses = [_alignment(p.id, result).model_dump(exclude_none=True) for p in translated]
        statuses += [{"piece_id": p.id, "status": "no_translation", "reason": result.abstentions[p.id]} for p in missing]
        _write_jsonl(status_path, statuses)
    except OSError as exc:
        raise StorageError(f"{out}: cannot write the alignment output: {exc}") from exc
    report = _report(result, len(translated), len(english), time.perf_counter() - start)
    report.files = [str(match_path), str(related_path), str(status_path)]
    return report


def _match_json(m: Match) -> dict[str, Any]:
    return {
        "source_id": m.source_id,
        "target_id": m.target_id,
        "score": m.score,
        "relation": m.relation,
        "evidence": m.evidence,
        "sentence_pairs": [p.model_dump() for p in m.sentence_pairs],
        "coverage_chrf_similarity": m.similarity,
    }


def _by_relatedness(m: Match) -> tuple[str, float, str]:
    """Related coverage of a piece, most likely first."""
    return m.source_id, -float((m.evidence.get("probabilities") or {}).get("related", 0.0)), m.target_id


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)
