"""`pipeline annotations import FILE...`: reviewers' judgements into the store, checked record by record.

Every record is checked against the store before anything of it is kept:
it must be a task this pipeline exported (``store_id`` and ``task_key``
present: tasks from another project have neither), from this store (its
``store_id``), with its ids as exported (the ``task_key`` over kind, pieces
and system; an id edited by hand no longer matches), naming pieces the store
holds. A record that fails is named with its reason (``error: FILE: task 12,
annotation 3: reason``) and the others are imported: exit code 3 says some
were not. Each file's good judgements are stored in one transaction; a
judgement already stored (the same export imported again) is not stored
twice, and a later judgement of the same item by the same reviewer
supersedes the earlier one, which is kept. Pairs reviewers confirmed that
the aligner did not match become reviewed matches at once.
"""

from __future__ import annotations

import hmac
from collections import Counter
from typing import ClassVar

from pydantic import Field

from pipeline.align.matcher import AlignSettings
from pipeline.align.reviewed import reviewed_matches
from pipeline.annotations.identity import task_key
from pipeline.annotations.readers import Found, read_export
from pipeline.annotations.reviews import agreement, pair_reviews
from pipeline.config import Settings
from pipeline.errors import EXIT_INPUT_ERRORS, EXIT_OK, InputError
from pipeline.files import path_text
from pipeline.records import StoreIdentity
from pipeline.stage import Report, RunContext, SectionStage
from pipeline.store import Store


class AnnotationSettings(Settings):
    """`pipeline annotations import`: reading reviewers' judgements back from Label Studio and doccano."""

    doccano_annotator: str | None = None
    """Who reviewed a doccano file (`--annotator`); null: the file's name, as doccano names each reviewer's file."""


class FileImport(Report):
    path: str
    records: int = 0
    imported: int = 0  # new judgements stored
    already: int = 0  # judgements this store held already (the same export again)
    skipped: int = 0  # cancelled or empty annotations
    refused: list[str] = Field(default_factory=list)  # 'WHERE: reason', one per bad record


class AnnotationsReport(Report):
    """What an import did: per file, the judgements stored and the records refused, and the store's totals after it."""

    files: list[FileImport] = Field(default_factory=list)
    reviewed_matches_added: int = 0
    judgements: int = 0  # every version stored
    current: int = 0  # each reviewer's latest of each item
    pairs: dict[str, int] = Field(default_factory=dict)  # review state -> pairs
    agreement: dict[str, object] = Field(default_factory=dict)

    def exit_code(self) -> int:
        return EXIT_INPUT_ERRORS if any(f.refused for f in self.files) else EXIT_OK

    def messages(self) -> list[str]:
        return [problem for f in self.files for problem in f.refused]


def check(found: Found, identity: StoreIdentity | None, pieces: set[str]) -> str | None:
    """Why this record cannot be imported into this store, or None when it can."""
    if found.problem:
        return found.problem
    task = found.task
    if not task.get("store_id") or not task.get("task_key"):
        return "not a task this pipeline exported (no store_id or task_key): tasks from another project, or an export older than annotations"
    if identity is None:
        return "this store has never exported tasks (no identity yet): import into the store the tasks came from"
    if task["store_id"] != identity.store_id:
        return f"exported from another store (store_id {task['store_id']}; this store is {identity.store_id}): import into that store"
    expected = task_key(
        identity, str(task.get("kind") or ""), str(task.get("source_id") or ""), task.get("target_id"), task.get("system")
    )
    if not hmac.compare_digest(expected, str(task["task_key"])):
        return "the task's ids were edited (kind, source_id, target_id or system no longer match its task_key); export the tasks again"
    for key in ("source_id", "target_id"):
        if task.get(key) and task[key] not in pieces:
            return f"{key} {task[key]} is not a piece of this store"
    return None


class AnnotationsStage(SectionStage[AnnotationSettings]):
    """Reviewers' judgements from annotation tools' exports (`ctx.inputs`) into the store."""

    name: ClassVar[str] = "annotations"
    section: ClassVar[str] = "annotations"
    settings_type = AnnotationSettings

    def run(self, store: Store, settings: AnnotationSettings, ctx: RunContext) -> AnnotationsReport:
        report = AnnotationsReport()
        identity, pieces = store.identity(), store.piece_ids()
        for path in ctx.inputs:
            result = FileImport(path=path_text(path))
            report.files.append(result)
            try:
                found = read_export(path, settings.doccano_annotator)
            except InputError as exc:
                result.refused.append(str(exc))
                continue
            good = []
            for record in found:
                result.records += 1
                if record.skipped:
                    result.skipped += 1
                    continue
                why = check(record, identity, pieces)
                if why is not None or record.judgement is None:
                    result.refused.append(f"{record.where}: {why or 'no judgement'}")
                else:
                    good.append(record.judgement)
            result.imported = store.save_judgements(good, result.path, ctx.run_id)
            result.already = len(good) - result.imported
        current = store.judgements()
        reviews = pair_reviews(current)
        confirmed = {pair: r.verdicts for pair, r in reviews.items() if r.state == "confirmed"}
        added = reviewed_matches(store, ctx.config.section("align", AlignSettings), confirmed)
        report.reviewed_matches_added = store.add_reviewed_matches(added, ctx.run_id)
        report.judgements = len(store.judgements(current=False))
        report.current = len(current)
        report.pairs = dict(sorted(Counter(r.state for r in reviews.values()).items()))
        report.agreement = agreement(current)
        return report
