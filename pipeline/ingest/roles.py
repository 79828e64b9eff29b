"""A date glued to the front of a piece's first paragraph, split off as a date line.

"date 2020-10-22 The minister...", "12/03/2022 – The minister...": the
labeller sees one line, a paragraph; :func:`date_prefix` says where its body
starts, so the segmenter (:mod:`~pipeline.ingest.segmenter`) keeps the date
as the piece's date line and the rest as its first paragraph, both halves
carrying the line's number.
"""

from __future__ import annotations

import re

from pipeline.ingest.lines import Vocabulary
from pipeline.text.dates import find_date

_AFTER_DATE = re.compile(r"\s*(?:[–—|:-]\s*)?(?=\S)")


def date_prefix(text: str, vocab: Vocabulary) -> int | None:
    """Where the body starts when `text` opens with a labelled or dash-separated date, else None."""
    label = re.match(rf"\s*(?:(?:{vocab.gazetteer.alternation('date_labels')})\s*:?\s*)?", text, re.IGNORECASE)
    found = find_date(text[:80])
    if not found or label is None or found[1][0] != label.end():
        return None
    end = found[1][1]
    rest = _AFTER_DATE.match(text, end)
    separated = bool(re.match(r"\s*[–—|:-]", text[end:]))
    if rest is None or not (label.end() > 0 or separated) or len(text[rest.end() :].split()) < 5:
        return None
    return rest.end()
