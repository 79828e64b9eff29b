"""Align stage: pair each translated piece with English coverage of the same event.

Public API:

* :func:`align_pieces` — pure: translated pieces × English pieces → :class:`AlignResult`
  (matches with evidence and sentence pairs, abstentions with reasons);
* :func:`align_store` — the stage over the store (tables ``matches`` and ``alignments``);
* :func:`align_jsonl` — the stage over JSONL files (writes ``matches.jsonl``).

How it works is told module by module: :mod:`.text` (sentences, tokens,
fixed weights, quantities), :mod:`.vectors`, :mod:`.candidates`
(sub-quadratic candidate generation), :mod:`.entities`
(transliteration-tolerant names), :mod:`.eventtime` (when the event
happened), :mod:`.profile` (a piece's lead, figures and event time),
:mod:`.scoring` (shared facts and today's components), :mod:`.features`
(a pair's named features), :mod:`.pairmodel` (same event / related / none,
with probabilities), :mod:`.bounds` (which candidates can matter),
:mod:`.sentences` (sentence pairs), :mod:`.training` (fitting the pair
model on real comparable news, leave one story out).
"""

from pipeline.align.matcher import AlignResult, AlignSettings, align_pieces
from pipeline.align.stage import AlignReport, align_jsonl, align_store

__all__ = ["AlignReport", "AlignResult", "AlignSettings", "align_jsonl", "align_pieces", "align_store"]
