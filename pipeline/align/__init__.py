"""Align stage: pair each translated piece with English coverage of the same event.

Public API:

* :func:`align_pieces` — pure: translated pieces × English pieces → :class:`AlignResult`
  (matches with evidence and sentence pairs, abstentions with reasons);
* :func:`align_store` — the stage over the store (tables ``matches`` and ``alignments``);
* :func:`align_jsonl` — the stage over JSONL files (writes ``matches.jsonl``).

How it works is told module by module: :mod:`.text` (sentences, tokens,
fixed weights), :mod:`.vectors`, :mod:`.candidates` (sub-quadratic candidate
generation), :mod:`.entities` (transliteration-tolerant names),
:mod:`.scoring` (the absolute 0..1 score), :mod:`.sentences` (sentence pairs).
"""

from pipeline.align.matcher import AlignResult, AlignSettings, ScoreWeights, align_pieces
from pipeline.align.stage import AlignReport, align_jsonl, align_store

__all__ = ["AlignReport", "AlignResult", "AlignSettings", "ScoreWeights", "align_jsonl", "align_pieces", "align_store"]
