"""Annotations come back: reviewers' judgements from Label Studio and doccano, into the store and put to use.

The exports (pipeline/export/labelstudio.py, doccano.py) send out one task
per match, per near miss and per translation, each carrying the store's id
and a key over its ids (:mod:`.identity`). ``pipeline annotations import``
reads what the tools export back (:mod:`.readers`), checks every record
against the store (:mod:`.stage`) and stores each judgement as a
:class:`~pipeline.records.Judgement`, every version kept. What follows from
them is computed from the stored judgements, never copied into other tables:
which matches reviewers confirmed, rejected or added, and how far reviewers
agree (:mod:`.reviews`); the aligner's operating point refitted on the
judged pairs (pipeline/align/labels.py); the corrections as references
(pipeline/evaluate/reviewed.py).
"""
