"""What a piece brings to a comparison besides its sentences: who is in its lead, which figures it states, when.

Built once per piece (a translation meets 20 English candidates, an English
piece many translations) and read by :mod:`pipeline.align.features`:

* ``names`` — every name of the piece (title included), transliteration
  tolerant (:mod:`pipeline.align.entities`);
* ``lead`` — the names of the title and the first sentences that state a
  fact, with their weights: a story's actors are named there, while the
  body also names the background (the previous prime minister, the
  earlier attack). ``main`` is the heaviest name of the title (or, without
  one, of the first sentence): the piece's main actor;
* ``numbers`` / ``lead_numbers`` — the figures it states, as quantities
  (:func:`~pipeline.align.text.quantities`), without years and without
  numbers under :data:`SIGNIFICANT`, which every text has;
* ``lead_words`` — the lead's common words (lower case, not figures or
  dates), which say what happened: "approves", "withdraws", "elected";
* ``when`` — its event time (:mod:`pipeline.align.eventtime`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.align import entities as ents
from pipeline.align.eventtime import HEAD_LINES, EventTime, event_time, lead_texts, original_lead
from pipeline.align.text import Background, is_fact, is_fact_word, is_year, quantities, stem
from pipeline.text.normalise import fold_typography

_LOWER_WORD = re.compile(r"(?<![\w'-])[a-z][a-z'-]*[a-z]")  # a word written in lower case: not a name
SIGNIFICANT = 10.0  # figures below this ("two ministers", "3 days") are too common to be evidence
Key = tuple[str, ...]


@dataclass
class Profile:
    names: ents.EntitySet
    lead: dict[Key, float] = field(default_factory=dict)  # key -> weight of the lead's names (weight > 0)
    main: Key | None = None
    numbers: frozenset[str] = frozenset()
    lead_numbers: frozenset[str] = frozenset()
    lead_words: dict[str, float] = field(default_factory=dict)  # stem -> background weight of the lead's common words
    words: frozenset[str] = frozenset()  # stems of all its common words
    when: EventTime = field(default_factory=lambda: EventTime(None, None))


def significant(values: frozenset[str]) -> frozenset[str]:
    """Quantities that are evidence: not years, at least SIGNIFICANT."""
    return frozenset(v for v in values if not is_year(v) and float(v) >= SIGNIFICANT)


def build(
    sentences: list[str],
    title: str | None,
    published: str | None,
    original_title: str | None = None,
    original_text: str | None = None,
    stated: list[frozenset[str]] | None = None,
) -> Profile:
    """The profile of a piece from its English sentences (a translation's or an English piece's) and title.

    `original_title` / `original_text` are a translated piece's own words:
    they are read for dates too (a literal translation may garble "the day
    before yesterday"). `stated` holds the quantities of each sentence when
    the caller has them already.
    """
    names = ents.extract(sentences + ([title] if title else []))
    lead = lead_texts(title, sentences)
    lead_names = ents.extract(lead)
    weights = {k: e.weight for k, e in lead_names.entities.items() if e.weight > 0}
    heading = [title] if title else [s for s in sentences if s and is_fact(s)][:1]
    in_heading = ents.extract(heading).entities.values()
    main = max(((e.weight, -k, e.key) for k, e in enumerate(in_heading) if e.weight > 0), default=None)
    per_sentence = stated if stated is not None else [quantities(s) if s else frozenset() for s in sentences]
    numbers = significant(frozenset().union(*per_sentence))
    lead_numbers = significant(frozenset().union(*(quantities(s) for s in lead)))
    head = [s for s in sentences if s][:HEAD_LINES] + (original_text or "").splitlines()[:HEAD_LINES]
    when = event_time(published, head, lead + original_lead(original_title, original_text))
    lead_words = _common_words(lead)
    words = frozenset(_common_words(sentences)) | frozenset(lead_words)
    return Profile(names, weights, main[2] if main else None, numbers, lead_numbers, lead_words, words, when)


def _common_words(texts: list[str]) -> dict[str, float]:
    """Stems of the lower-case fact words of `texts` (not names, figures or dates) with their background weights."""
    bg = Background.get()
    out: dict[str, float] = {}
    for text in texts:
        for token in _LOWER_WORD.findall(fold_typography(text)):
            if is_fact_word(token):
                out.setdefault(stem(token), bg.word(token))
    return out
