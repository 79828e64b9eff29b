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

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.align import entities as ents
from pipeline.align.eventtime import HEAD_LINES, LEAD_SENTENCES, EventTime, event_time, original_lead
from pipeline.align.text import Background, is_fact, is_fact_word, is_ordinal, is_year, quantities, stem

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
    lead_total: float = 0.0  # Σ lead weights
    lead_words_total: float = 0.0  # Σ lead_words weights
    lead_norm: float = 0.0  # sqrt of it

    def __post_init__(self) -> None:
        self.lead_total = sum(self.lead.values())
        self.lead_words_total = sum(self.lead_words.values())
        self.lead_norm = math.sqrt(self.lead_words_total)


def significant(values: frozenset[str]) -> frozenset[str]:
    """Quantities that are evidence: ordinals (a term, a round, the n-th time), and counts of at least SIGNIFICANT."""
    return frozenset(v for v in values if is_ordinal(v) or (not is_year(v) and float(v) >= SIGNIFICANT))


def build(
    sentences: list[str],
    title: str | None,
    published: str | None,
    original_title: str | None = None,
    original_text: str | None = None,
    stated: list[frozenset[str]] | None = None,
    fact: list[bool] | None = None,
    stems: frozenset[str] | None = None,
) -> Profile:
    """The profile of a piece from its English sentences (a translation's or an English piece's) and title.

    `original_title` / `original_text` are a translated piece's own words:
    they are read for dates too (a literal translation may garble "the day
    before yesterday"). What the caller has computed already is passed on:
    `stated`, the quantities of each sentence; `fact`, whether each sentence
    can state a fact (:func:`~pipeline.align.text.is_fact`); `stems`, the
    stems of all its words.
    """
    offset = 1 if title else 0
    names = ents.extract(([title] if title else []) + sentences)  # text 0 is the title, when there is one
    first = _first_facts(sentences, fact, LEAD_SENTENCES)
    lead = ([title] if title else []) + [sentences[k] for k in first]
    in_lead = ({0} if title else set()) | {k + offset for k in first}
    heading = {0} if title else {first[0]} if first else set()
    weights = {k: e.weight for k, e in names.entities.items() if e.weight > 0 and e.texts & in_lead}
    main = max(
        ((e.weight, -n, k) for n, (k, e) in enumerate(names.entities.items()) if e.weight > 0 and e.texts & heading),
        default=None,
    )
    per_sentence = stated if stated is not None else [quantities(s) if s else frozenset() for s in sentences]
    numbers = significant(frozenset().union(*per_sentence))
    lead_numbers = significant(frozenset().union(*(per_sentence[k] for k in first), quantities(title) if title else ()))
    head = [s for s in sentences if s][:HEAD_LINES] + (original_text or "").splitlines()[:HEAD_LINES]
    when = event_time(published, head, lead + original_lead(original_title, original_text))
    lead_words = _common_words(lead)
    words = (stems if stems is not None else frozenset(_common_words(sentences))) | frozenset(lead_words)
    return Profile(names, weights, main[2] if main else None, numbers, lead_numbers, lead_words, words, when)


def _first_facts(sentences: list[str], fact: list[bool] | None, n: int) -> list[int]:
    """The indices of the first `n` sentences that can state a fact."""
    out: list[int] = []
    for k, sentence in enumerate(sentences):
        if len(out) == n:
            break
        if fact[k] if fact is not None else bool(sentence) and is_fact(sentence):
            out.append(k)
    return out


def _common_words(texts: list[str]) -> dict[str, float]:
    """Stems of the lower-case fact words of `texts` (not names, figures or dates) with their background weights."""
    out: dict[str, float] = {}
    for text in texts:
        for token in _LOWER_WORD.findall(text):
            known = _common_word(token)
            if known is not None:
                out.setdefault(*known)
    return out


@lru_cache(maxsize=200_000)
def _common_word(token: str) -> tuple[str, float] | None:
    """(stem, background weight) of a lower-case word that can carry a fact, else None."""
    return (stem(token), Background.get().word(token)) if is_fact_word(token) else None
