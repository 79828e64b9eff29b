"""The pair features: one function turns a candidate pair into named numbers, for training and for matching alike.

Same event, not same topic. Two pieces on one story thread share people,
places, figures and background sentences whether they report the same event
or the eve and the vote; what tells them apart is *who* leads each piece,
*when* each says its event happened, and *which figures* each leads with.
So besides the evidence of shared facts (today's components: shared
sentences, whole-piece similarity, shared names, publication dates) a pair
is described by:

===================  ==========================================================================
feature              what it measures (each in 0..1)
===================  ==========================================================================
sentences            shared facts: soft one-to-one sentence links (:mod:`~pipeline.align.scoring`)
facts                links at or above the sentence threshold, up to 4, / 4
lead_link            the closest pair of lead sentences (the first two that state a fact on each side)
lead_found           each piece's first fact found anywhere in the other (best similarity, mean of both)
lexical              whole-piece cosine of stems and character n-grams
names                summed rarity of shared names, saturating
lead_words           weighted cosine of the leads' common words (no names, figures, dates): what happened
lead_words_found     share (by weight) of each lead's common words found anywhere in the other, the lower of two
lead_names           share (by weight) of each lead's names found anywhere in the other piece
main_actor           each piece's main actor (heaviest name of its title) found in the other (mean)
no_lead_names        neither lead names a rare enough name (the two above say nothing)
numbers              shared significant figures (quantities, not years), saturating
lead_numbers         share of each lead's figures stated by the other (pieces whose leads state some)
lead_numbers_missed  1 - lead_numbers when a lead states figures (evidence against: 99 votes vs 84)
event_same           both event dates (or days and months) known and at most a day apart
event_apart          both known and further apart: log(1 + gap days) / log(31), capped at 1
weekday_agree        both leads name the event's weekday, the same one
weekday_conflict     both name one, and neither names the other's
pub_near             both publication dates known: exp(-gap / date_scale_days)
preview              one piece looks ahead to the day the other reports, or only one only looks ahead
tense_differs        one lead speaks of what will happen ("will meet", "is expected to"), the other not
short                the translated piece is short (a teaser, one or two sentences)
===================  ==========================================================================

An unknown date is no feature at all (every date feature is 0): it gets
no agreement bonus, so it makes the aligner stricter, never more lenient.
:data:`FEATURE_VERSION` names this list; a model fitted on another version
is refused (:mod:`pipeline.align.pairmodel`) instead of being misread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from pipeline.align.entities import EntityMatch
from pipeline.align.eventtime import EventTime
from pipeline.align.profile import Profile

FEATURE_VERSION = "pair-features-1"
FEATURES = (
    "sentences",
    "facts",
    "lead_link",
    "lead_found",
    "lexical",
    "lead_words",
    "lead_words_found",
    "names",
    "lead_names",
    "main_actor",
    "no_lead_names",
    "numbers",
    "lead_numbers",
    "lead_numbers_missed",
    "event_same",
    "event_apart",
    "weekday_agree",
    "weekday_conflict",
    "pub_near",
    "weekday_by_date",
    "weekday_off_date",
    "preview",
    "tense_differs",
    "short",
)
# Features computed from sentence links or name matching: scoring bounds them (pipeline/align/bounds.py)
LINK_FEATURES = ("sentences", "facts")  # from the greedy one-to-one links: bounded before they are computed (bounds.py)
READ_OFF_LINKS = ("lead_link", "lead_found")  # read off the link matrices directly: exact for every candidate
MAX_FACTS = 4
NUMBER_SCALE = 2.0  # shared figures at which `numbers` reaches 63%
GAP_CAP_DAYS = 30


def pair_values(
    a: Profile,
    b: Profile,
    *,
    sentences: float,
    facts: float,
    read: Mapping[str, float],
    lexical: float,
    names: float,
    shared: list[EntityMatch],
    short: bool,
    date_scale_days: float,
) -> tuple[float, ...]:
    """The features of translated piece `a` against English piece `b`, in the order of FEATURES (see the module
    docstring). A tuple, not a dict: the matcher computes them for every candidate (~18 a piece) but names them
    only for those it scores (:func:`named`).

    `read` holds the features read off the sentence-link matrices (READ_OFF_LINKS).
    """
    lead_names, main_actor, no_lead_names = name_features(a, b, shared)
    numbers, lead_numbers, lead_numbers_missed = number_features(a, b)
    event_same, event_apart, weekday_agree, weekday_conflict, pub_near, preview, tense = time_features(a, b, date_scale_days)
    by_date, off_date = weekday_by_date(a.when, b.when)
    values = (
        sentences,
        min(facts, MAX_FACTS) / MAX_FACTS,
        read["lead_link"],
        read["lead_found"],
        lexical,
        _cosine(a.lead_words, a.lead_norm, b.lead_words, b.lead_norm),
        min(_found(a.lead_words, a.lead_words_total, b.words), _found(b.lead_words, b.lead_words_total, a.words)),
        names,
        lead_names,
        main_actor,
        no_lead_names,
        numbers,
        lead_numbers,
        lead_numbers_missed,
        event_same,
        event_apart,
        weekday_agree,
        weekday_conflict,
        pub_near,
        by_date,
        off_date,
        preview,
        tense,
        float(short),
    )
    return values


def named(values: tuple[float, ...]) -> dict[str, float]:
    """Feature values (in the order of FEATURES) by name."""
    return dict(zip(FEATURES, values))


def name_features(a: Profile, b: Profile, shared: list[EntityMatch]) -> tuple[float, float, float]:
    """(lead_names, main_actor, no_lead_names) from the name matches of `a`'s names against `b`'s."""
    found_in_b = {m.source_key for m in shared}  # names of a with a counterpart in b
    found_in_a = {m.target_key for m in shared}  # names of b some name of a matched
    shares, mains = [], []
    for p, found in ((a, found_in_b), (b, found_in_a)):
        if p.lead_total > 0:
            shares.append(sum(w for k, w in p.lead.items() if k in found) / p.lead_total)  # in dict order: reproducible
        if p.main is not None:
            mains.append(float(p.main in found))
    return (min(shares) if shares else 0.0, min(mains) if mains else 0.0, float(not shares))


def number_features(a: Profile, b: Profile) -> tuple[float, float, float]:
    """(numbers, lead_numbers, lead_numbers_missed)."""
    shared = len(a.numbers & b.numbers)
    shares = [len(lead & other) / len(lead) for lead, other in ((a.lead_numbers, b.numbers), (b.lead_numbers, a.numbers)) if lead]
    found = sum(shares) / len(shares) if shares else 0.0
    return 1.0 - math.exp(-shared / NUMBER_SCALE), found, 1.0 - found if shares else 0.0


def _month_day_gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Days between two (month, day)s of one (leap) year, the shorter way round the year."""
    gap = abs((date(2000, *a) - date(2000, *b)).days)
    return min(gap, 366 - gap)


def time_features(a: Profile, b: Profile, date_scale_days: float) -> tuple[float, float, float, float, float, float, float]:
    """(event_same, event_apart, weekday_agree, weekday_conflict, pub_near, preview, tense_differs); 0 where unknown."""
    ta, tb = a.when, b.when
    event_same = event_apart = weekday_agree = weekday_conflict = pub_near = 0.0
    gap: int | None = None
    if ta.event is not None and tb.event is not None:
        gap = abs((ta.event - tb.event).days)
    elif ta.event_md is not None and tb.event_md is not None:  # a year unknown: "on 23 February" in one story thread
        gap = _month_day_gap(ta.event_md, tb.event_md)
    if gap is not None:
        event_same = float(gap <= 1)
        event_apart = 0.0 if gap <= 1 else min(1.0, math.log1p(gap) / math.log1p(GAP_CAP_DAYS))
    if ta.weekday is not None and tb.weekday is not None:
        weekday_agree = float(ta.weekday == tb.weekday)
        weekday_conflict = float(ta.weekday not in tb.weekdays and tb.weekday not in ta.weekdays)
    if ta.published is not None and tb.published is not None:
        pub_near = math.exp(-abs((ta.published - tb.published).days) / date_scale_days)
    preview = float(_looks_ahead_to(ta, tb) or _looks_ahead_to(tb, ta) or ta.ahead_only != tb.ahead_only)
    return event_same, event_apart, weekday_agree, weekday_conflict, pub_near, preview, float(ta.looks_ahead != tb.looks_ahead)


def weekday_by_date(ta: EventTime, tb: EventTime) -> tuple[float, float]:
    """When only one piece names its event's weekday and the other only has a date: (on that date or the day before,
    on another day). A morning paper reports yesterday's event; a wire, today's."""
    for x, y in ((ta, tb), (tb, ta)):
        if x.weekday is not None and y.weekday is None and y.published is not None:
            days = {y.published.weekday(), (y.published.weekday() - 1) % 7}
            return (1.0, 0.0) if x.weekday in days else (0.0, 1.0)
    return 0.0, 0.0


def _looks_ahead_to(x: EventTime, y: EventTime) -> bool:
    """Whether `x` looks ahead to the day `y` reports (by date, by day and month, or by weekday)."""
    if x.ahead is not None and x.ahead == y.event:
        return True
    if y.event_md is not None and y.event_md in x.ahead_md:
        return True
    return y.weekday is not None and y.weekday in x.ahead_weekdays and y.weekday not in x.weekdays


def _found(lead: dict[str, float], total: float, words: frozenset[str]) -> float:
    return sum(w for k, w in lead.items() if k in words) / total if total else 0.0


def _cosine(a: dict[str, float], norm_a: float, b: dict[str, float], norm_b: float) -> float:
    """Weighted cosine of two sets of words with their weights (each word counted once); norm = sqrt(Σ weights)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return sum(w for k, w in small.items() if k in large) / (norm_a * norm_b)


def vector(f: dict[str, float]) -> list[float]:
    """The features in the order of FEATURES."""
    return [float(f[name]) for name in FEATURES]
