"""Scoring the store's translations against imported reference translations.

References are imported per piece from JSONL (``{"piece_id", "text"}`` or
``{"piece_id", "sentences": [...]}``) into the ``refs`` table; ``piece_id``
is the piece's content id or the id its input gave it (JSONL ``id``). The unit of
scoring is the **piece**: the whole body translation of a piece (its
paragraphs in order, English paragraphs of mixed pieces kept as they are)
against the whole reference (its sentences joined), whitespace collapsed.
Sentence-by-sentence pairing would need the reference split exactly as our
Arabic sentence splitter splits the source, which an outside translator's
reference never is; corpus BLEU/chrF/TER sum n-gram and edit statistics
over segments anyway, so whole pieces give the same kind of corpus score,
and segment-level scores become per-piece scores. Titles are not scored.

Which translations form a "system":

* every system whose translations came with the input (JSONL ``translation``
  with ``model``/``system``) is a system of its own, named as the input named
  it, whichever translation is a piece's current one: one store holds and
  compares several systems' translations of the same pieces;
* the pipeline's own translations: with ``current`` (default), what each
  piece carries now (what the latest run left), one system per model
  (``model@revision``); with ``all``, every model in the translation cache
  that translated all of a piece's sentences, so several models (or
  revisions) can be compared with significance tests on the same pieces.

Systems are compared on the pieces that every one of them translated; the
other pieces are listed in ``skipped`` with the reason.

Which text: translations are stored twice, readable (entities unescaped,
Moses spacing repaired: pipeline/text/readable.py) and raw (as the system
wrote it). ``evaluate.store_text`` says which is scored (readable by
default; raw reproduces scores published on the raw outputs), and the
result says which was (``text_form``). `evaluate` on files scores the
files exactly as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from pipeline.config import Config
from pipeline.errors import ConfigError, InputError, UsageError
from pipeline.evaluate.metrics import evaluate_segments
from pipeline.evaluate.result import EvaluationResult
from pipeline.evaluate.reviewed import post_edits, review_block
from pipeline.evaluate.settings import EvaluateSettings
from pipeline.evaluate.textfiles import read_segments
from pipeline.files import path_text
from pipeline.jsonlines import json_line
from pipeline.progress import QUIET, Reporter
from pipeline.records import Piece
from pipeline.stage import Report, RunContext, SectionStage
from pipeline.store import Store


class NothingToEvaluate(UsageError):
    """The store holds no translated piece with a reference: nothing to score (exit code 2, a usage error)."""


class RefsImportReport(BaseModel):
    path: str
    pieces: int = 0
    sentences: int = 0
    replaced: int = 0  # pieces whose earlier references were replaced
    piece_ids: list[str] = Field(default_factory=list)


def import_refs(store: Store, path: Path) -> RefsImportReport:
    """Import reference translations keyed by piece id; all lines or none.

    Each line is ``{"piece_id": ID, "text": "..."}`` or ``{"piece_id": ID,
    "sentences": ["...", ...]}``; ID is the piece's content id (``id`` in
    pieces.jsonl) or the id its input gave it (``input_id``). A malformed
    line, an empty reference, a piece id the store does not hold, or an input
    id that names several pieces stops the import with the file and line
    named, and nothing is written. Importing a piece again replaces its refs.
    """
    lines = read_segments(path, "references JSONL")
    parsed: dict[str, list[str]] = {}
    line_of: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        piece_id, sentences = _parse_ref_line(path, number, line)
        if piece_id in parsed:
            raise InputError(str(path), f"piece {piece_id} appears twice (first on line {line_of[piece_id]})", number)
        parsed[piece_id], line_of[piece_id] = sentences, number
    if not parsed:
        raise InputError(str(path), "no references in the file")
    known = store.piece_ids()
    by_input = store.pieces_by_input_id([pid for pid in parsed if pid not in known])
    resolved: dict[str, list[str]] = {}
    for given, sentences in parsed.items():
        if given in known:
            piece_id = given
        elif len(by_input.get(given, ())) == 1:
            [piece_id] = by_input[given]
        elif given in by_input:
            names = ", ".join(sorted(by_input[given]))
            raise InputError(
                str(path), f"input id {given} names {len(by_input[given])} pieces ({names}): give the content id", line_of[given]
            )
        else:
            unknown = [pid for pid in parsed if pid not in known and pid not in by_input]
            raise InputError(
                str(path),
                f"piece {given} is not in the store ({len(unknown)} unknown piece id(s)); "
                "ids are the `id` (content id) or `input_id` (the id your input gave) fields of pieces.jsonl",
                line_of[given],
            )
        if piece_id in resolved:
            raise InputError(str(path), f"piece {piece_id} is named twice (as {given} here)", line_of[given])
        resolved[piece_id] = sentences
    parsed = resolved
    report = RefsImportReport(
        path=path_text(path), pieces=len(parsed), sentences=sum(map(len, parsed.values())), piece_ids=list(parsed)
    )
    report.replaced = store.replace_references(parsed)
    return report


def _parse_ref_line(path: Path, number: int, line: str) -> tuple[str, list[str]]:
    obj = json_line(path, number, line)
    if not isinstance(obj, dict) or not isinstance(obj.get("piece_id"), str) or not obj["piece_id"]:
        raise InputError(str(path), 'expected an object with "piece_id" and "text" or "sentences"', number)
    if isinstance(obj.get("sentences"), list):
        sentences = obj["sentences"]
    elif isinstance(obj.get("text"), str):
        sentences = [obj["text"]]
    else:
        raise InputError(str(path), 'needs "text" (a string) or "sentences" (a list of strings)', number)
    if not all(isinstance(s, str) for s in sentences) or not " ".join(sentences).strip():
        raise InputError(str(path), "empty reference (or a sentence that is not a string)", number)
    return obj["piece_id"], [s.strip() for s in sentences if s.strip()]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _references(store: Store) -> dict[str, str]:
    return {k: _flat(" ".join(v)) for k, v in store.references().items()}


def _text(readable: str | None, raw: str | None, form: str) -> str | None:
    return raw if form == "raw" and raw is not None else readable


def _external_systems(pieces: Sequence[Piece], form: str) -> dict[str, dict[str, str]]:
    """Every external system's translation of every piece (not only the current one)."""
    systems: dict[str, dict[str, str]] = {}
    for piece in pieces:
        for external in piece.external_translations:
            text = _text(external.text, external.raw, form)
            if text and text.strip():
                systems.setdefault(external.system, {})[piece.id] = _flat(text)
    return systems


def _current_systems(pieces: Sequence[Piece], form: str) -> dict[str, dict[str, str]]:
    """Each piece's current translation when the pipeline made it, one system per model."""
    systems: dict[str, dict[str, str]] = {}
    for piece in pieces:
        text = _text(piece.translation, piece.translation_raw, form)
        if not piece.external and text and text.strip():
            systems.setdefault(piece.model or "unknown", {})[piece.id] = _flat(text)
    return systems


def _cached_systems(store: Store, pieces: Sequence[Piece], form: str) -> dict[str, dict[str, str]]:
    """Rebuild each piece's body translation from every model in the cache that covers it."""
    systems: dict[str, dict[str, str]] = {}
    body = store.segments([p.id for p in pieces], with_titles=False)
    for piece in pieces:
        segments = [(s.paragraph_index, s.text) for s in body.get(piece.id, [])]
        if not segments:
            continue
        by_model: dict[str, dict[str, str]] = {}
        for t in store.translations_of_sources({text for _, text in segments}):
            # newest settings win
            by_model.setdefault(f"{t.model}@{t.revision}", {})[t.source_text] = _text(t.target_text, t.raw_text, form) or ""
        for name, table in by_model.items():
            if all(text in table for _, text in segments):
                systems.setdefault(name, {})[piece.id] = _flat(_assemble(piece, segments, table))
    return systems


def _assemble(piece: Piece, segments: Sequence[tuple[int, str]], table: dict[str, str]) -> str:
    parts = []
    for paragraph in piece.paragraphs:
        if paragraph.route == "translate":
            parts.append(" ".join(table[text] for idx, text in segments if idx == paragraph.index))
        else:
            parts.append(paragraph.text)
    return " ".join(parts)


class EvaluateReport(Report):
    """The store's translations scored against imported references (and what was imported first)."""

    imported: RefsImportReport | None = None
    result: EvaluationResult

    def summary_block(self) -> dict[str, Any]:
        return self.result.model_dump(mode="json")


class EvaluateStage(SectionStage[EvaluateSettings]):
    """Score the store's translations of pieces that have references; `ctx.inputs` may name a references JSONL to import first."""

    name: ClassVar[str] = "evaluate"
    section: ClassVar[str] = "evaluate"
    settings_type = EvaluateSettings

    def run(self, store: Store, settings: EvaluateSettings, ctx: RunContext) -> EvaluateReport:
        imported = None
        for path in ctx.inputs:
            imported = import_refs(store, path)
            ctx.reporter.info(f"imported references for {imported.pieces} piece(s) ({imported.replaced} replaced)")
        return EvaluateReport(imported=imported, result=score_store(store, settings, ctx.reporter))


def evaluate_store(
    store: Store,
    config: Config,
    baseline: str | None = None,
    systems: str | None = None,
    reporter: Reporter = QUIET,
) -> EvaluationResult:
    """Score the store's translations of pieces that have references (the Python API; see the module docstring)."""
    settings = config.section("evaluate", EvaluateSettings)
    if systems not in (None, "current", "all"):
        raise ConfigError(f"--systems {systems!r}: expected 'current' or 'all'")
    update: dict[str, Any] = {"baseline": baseline} if baseline else {}
    if systems:
        update["store_systems"] = systems
    return score_store(store, settings.model_copy(update=update), reporter)


def score_store(store: Store, settings: EvaluateSettings, reporter: Reporter = QUIET) -> EvaluationResult:
    judgements = store.judgements() if settings.refs == "annotations" else []
    if settings.refs == "annotations":
        refs = {pid: _flat(j.correction or "") for pid, j in post_edits(judgements).items()}
        if not refs:
            raise NothingToEvaluate(
                "no reviewer corrected a translation yet: --refs annotations needs corrections "
                "(pipeline annotations import), or import references with --import-refs REFS.jsonl"
            )
    else:
        refs = _references(store)
    if not refs:
        raise NothingToEvaluate("no references in the store: import them with `pipeline evaluate --import-refs REFS.jsonl`")
    pieces = store.load_pieces(refs)
    text = {p.id: p.text for p in pieces}
    form = settings.store_text
    found = _cached_systems(store, pieces, form) if settings.store_systems == "all" else _current_systems(pieces, form)
    for name, hyps in _external_systems(pieces, form).items():
        found.setdefault(name, {}).update(hyps)
    if not found:
        raise NothingToEvaluate(f"none of the {len(refs)} piece(s) with references has a translation yet")
    found = _chosen(found, settings.systems)
    compared, left_out = _comparable(found, settings.baseline)
    warnings = [
        f"system {name} ({len(found[name])} piece(s)) shares no piece with references with {', '.join(compared)}: "
        f"not scored here; score it alone with --system {name}"
        for name in left_out
    ]
    found = {name: found[name] for name in compared}
    common = [p.id for p in pieces if all(p.id in hyps for hyps in found.values())]  # source order
    skipped = {pid: _why_skipped(pid, found) for pid in refs if pid not in common}
    result = evaluate_segments(
        [[refs[pid] for pid in common]],
        {name: [hyps[pid] for pid in common] for name, hyps in found.items()},
        settings.baseline,
        settings,
        sources=[_flat(text[pid]) for pid in common] if settings.comet_model else None,
        ids=common,
        unit="piece",
        reference_names=["store: reviewers' post-edits" if settings.refs == "annotations" else "store"],
        reporter=reporter,
    )
    result.skipped = skipped
    result.text_form = form
    input_ids = {p.id: p.input_id for p in pieces if p.input_id}
    for system in result.systems:
        for worst in system.worst:
            worst.input_id = input_ids.get(worst.id or "")
    result.warnings += warnings
    if settings.refs == "annotations":
        result.reviews = review_block(store, result, judgements, settings.ter_case_sensitive)
    if skipped:
        result.warnings.append(
            f"{len(skipped)} piece(s) with references not scored (see `skipped`): systems are compared on the pieces "
            "they all translated; --system NAME scores one system on all of its pieces"
        )
    return result


def _chosen(found: dict[str, dict[str, str]], names: list[str] | None) -> dict[str, dict[str, str]]:
    """The systems `evaluate.systems` (--system) names, in that order; every system when it names none."""
    if not names:
        return found
    unknown = [name for name in names if name not in found]
    if unknown:
        raise ConfigError(
            f"--system {unknown[0]!r}: no translation by it of a piece with references; systems here: {', '.join(found)}"
        )
    return {name: found[name] for name in names}


def _comparable(found: dict[str, dict[str, str]], baseline: str | None) -> tuple[list[str], list[str]]:
    """(systems compared together, systems left out): the most covering first, each next one while a piece is shared.

    Scores are compared on the pieces every compared system translated; a
    system sharing no piece with those chosen before it would leave nothing
    to score at all, so it is left out (and named), not everything.
    """
    order = sorted(found, key=lambda name: (name != baseline, -len(found[name]), name))
    compared, shared = [order[0]], set(found[order[0]])
    left_out = []
    for name in order[1:]:
        if shared & found[name].keys():
            compared.append(name)
            shared &= found[name].keys()
        else:
            left_out.append(name)
    return [name for name in found if name in compared], left_out


def _why_skipped(piece_id: str, found: dict[str, dict[str, str]]) -> str:
    missing = [name for name, hyps in found.items() if piece_id not in hyps]
    if len(missing) == len(found):
        return "not translated yet"
    return "not translated by " + ", ".join(missing)
