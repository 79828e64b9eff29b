"""Named features of the lines of a dump: what the line labeller (:mod:`~pipeline.ingest.labeller`) sees.

One function, :func:`sequence_features`, turns a sequence of units (the
non-blank lines of a text dump, or the blocks of an HTML container) into one
dict of named features per unit. Training (:mod:`~pipeline.ingest.training`)
and inference call the same function, and :data:`FEATURE_VERSION` goes into
the model's metadata: a model trained on another version is refused instead
of being fed features it never saw.

Every feature is general, a property of a line's *shape* or of its place in
the dump, never a word of one sample:

* the line alone: length (words, characters), final punctuation, script,
  digit and capital ratios, a quote or bullet at its start, a colon near its
  start, a " | " in it;
* what today's rules say of it, as evidence for the model to weigh, not as
  decisions: date-likeness (:func:`pipeline.text.dates.find_date`, the
  ``date line`` shape), a byline, the metadata kind of
  :attr:`~pipeline.ingest.lines.Unit.meta_kind` (credit, caption, section
  label, bare name...), the kind of page-chrome rule it matches
  (``data/chrome.yaml``), a known outlet's name as the whole line or opening
  it (``data/outlets.yaml``, ``data/datelines.yaml``), headline-shaped or
  paragraph-like;
* its context: blank lines before and after it, how often the line and its
  shape (digits and letters masked) repeat in the window, whether it repeats
  a line just before it, whether it shares content words with its
  neighbours (a headline and its blurb do), a change of script, the number
  of lines since the last wide gap, the HTML tag of its block;
* the same short summary of the two units before and after it.

Values are strings (one-hot, ``name=value``) or 1.0 flags, the shape
python-crfsuite takes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, compress, repeat
from operator import add, itemgetter, mul
from typing import Any

from pipeline.ingest.gazetteer import Gazetteer
from pipeline.ingest.lines import CLOSERS, Unit
from pipeline.ingest.metadata import opens_like_a_dateline
from pipeline.text.dates import find_date

FEATURE_VERSION = 6

Features = dict[str, str | float]

_SHAPE_DIGITS = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]+")
_SHAPE_WORD = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")
_URL = re.compile(r"https?://|www\.|\.(?:com|net|org)\b", re.IGNORECASE)
_QUOTES = "\"'“”‘’«»„"
_BULLETS = "•·*-–—►▶◦"


def _bucket(value: float, edges: Sequence[float]) -> str:
    for edge in edges:
        if value <= edge:
            return str(edge)
    return f">{edges[-1]}"


def shape(text: str) -> str:
    """The line with digits and words masked ("W140 Full Story" → "A0 Aa Aa"): repeats of furniture with counters."""
    masked = _SHAPE_DIGITS.sub("0", text)
    return _SHAPE_WORD.sub(lambda m: "A" + ("a" if m.group().lower() == m.group() or not m.group().isascii() else ""), masked)


_ELLIPSIS = re.compile(r"(?:\.\.\.|…|\[\s*(?:…|\.\.\.)\s*\]|\[…\])\s*$")


def _end_class(text: str) -> str:
    stripped = text.rstrip(CLOSERS + " ")
    ended = text.rstrip()  # ends in a non-space: a match of _ELLIPSIS ends in one of its last marks, so only those search
    if (ended.endswith((".", "…", "]")) and _ELLIPSIS.search(ended)) or stripped.endswith(("...", "…")):
        return "ellipsis"  # a truncated blurb ("... the r...", "[…]"): a teaser's, or an excerpt's end
    end = stripped[-1:]
    if not end:
        return "none"
    if end in ".!?؟:,;،؛…":
        return {"؟": "?", "،": ",", "؛": ";"}.get(end, end)
    if end.isdigit() or "\u0660" <= end <= "\u0669":
        return "digit"
    if end.isalpha():
        return "alpha"
    return "other"


def _own(unit: Unit, gazetteer: Gazetteer) -> Features:
    """Features of a line on its own."""
    text = unit.text
    words = unit.words
    chars = len(text)
    out: Features = {
        "w": _bucket(words, (1, 2, 3, 5, 8, 12, 20, 30, 60)),
        "c": _bucket(chars, (10, 20, 40, 80, 160, 320, 640)),
        "end": _end_class(text),
        "script": unit.script,
    }
    sample = text[:200]
    tokens = sample.split()
    non_space = sum(map(len, tokens)) or 1
    digits = len(_DIGIT.findall(sample))
    out["digits"] = _bucket(digits / non_space, (0.0, 0.1, 0.3, 0.6))
    if unit.script == "latin":
        words_ = list(compress(tokens, map(str.isalpha, map(itemgetter(0), tokens))))  # tokens opening with a letter
        if words_:
            capital = sum(map(str.isupper, map(itemgetter(0), words_))) / len(words_)  # the share of them capitalised
            out["caps"] = _bucket(capital, (0.0, 0.3, 0.6, 0.9))
            if len(words_) >= 2 and all(map(str.isupper, words_)):
                out["upper"] = 1.0
    if text[:1] in _QUOTES:
        out["quote_start"] = 1.0
    if text[:1] in _BULLETS:
        out["bullet"] = 1.0
    if ":" in text[:40] or "：" in text[:40]:
        out["colon_head"] = 1.0
    if " | " in text:
        out["pipe"] = 1.0
    if _URL.search(sample):
        out["url"] = 1.0
    elif "/" in text[-40:] and words >= 4:
        out["slash_tail"] = 1.0  # "... Agency/Photographer": a photo credit
    if unit.date:
        out["date_line"] = 1.0
    elif words <= 60 and digits and find_date(sample):
        out["has_date"] = 1.0
    if unit.byline:
        out["byline"] = 1.0
    kind = unit.meta_kind
    if kind:
        out["meta"] = kind
    if unit.chrome is not None:
        out["chrome"] = unit.chrome.kind
    if words <= 6 and gazetteer.canonical(text):
        out["outlet_line"] = 1.0
    elif opens_like_a_dateline(text[:120], gazetteer):
        out["outlet_opener"] = 1.0
    if unit.title_shaped:
        out["title_shaped"] = 1.0
    if unit.opens_continuation:
        out["cont"] = 1.0
    if unit.body_like:
        out["body_like"] = 1.0
    if unit.tag:
        out["tag"] = unit.tag
    return out


def _own_cached(unit: Unit, gazetteer: Gazetteer) -> Features:
    """:func:`_own`, kept with the unit's lazily computed facts (shared by the units of one text in a dump,
    :class:`~pipeline.ingest.lines.SharedFacts`); never changed once made."""
    key = ("own", id(gazetteer), unit.chrome.kind if unit.chrome is not None else None, unit.tag)
    facts: dict[Any, Any] = unit.__dict__
    found = facts.get(key)
    if found is None:
        found = facts[key] = _own(unit, gazetteer)
    return found


_NEIGHBOUR_KEYS = (
    "w",
    "end",
    "script",
    "meta",
    "chrome",
    "date_line",
    "title_shaped",
    "body_like",
    "tag",
    "outlet_line",
    "outlet_opener",
    "cont",
)
_NEIGHBOURS = ((-2, "p2"), (-1, "p1"), (1, "n1"), (2, "n2"))
_NEIGHBOUR_NAMES = {name: {key: f"{name}:{key}" for key in _NEIGHBOUR_KEYS} for _, name in _NEIGHBOURS}


Summary = dict[str, list[tuple[str, str | float]]]
_SUMMARIES: dict[tuple[str | float | None, ...], Summary] = {}
SUMMARIES_KEPT = 4_096  # distinct neighbour views kept (a few hundred occur: buckets, kinds and flags)


def _summary(own: Features) -> Summary:
    """A unit's features as its neighbours see them, per neighbour position (names made once, not per neighbour).

    Made once per distinct combination of the summarised values and shared
    (never changed: the features copy them with ``dict.update``): on a dump,
    building these small lists per unit was a tenth of the feature time.
    """
    values = tuple(map(own.get, _NEIGHBOUR_KEYS))
    found = _SUMMARIES.get(values)
    if found is None:
        present = [(key, value) for key, value in zip(_NEIGHBOUR_KEYS, values, strict=True) if value is not None]
        found = {name: [(names[key], value) for key, value in present] for name, names in _NEIGHBOUR_NAMES.items()}
        if len(_SUMMARIES) >= SUMMARIES_KEPT:
            _SUMMARIES.clear()
        _SUMMARIES[values] = found
    return found


COHESION_EDGES = (0.0, 0.03, 0.06, 0.1, 0.18)
RARE_GAP_SHARE = 0.2
TEXT_WORDS = 8  # a unit this long is text the cohesion of a window is measured on
COMMON_SHARE = 0.25  # a word in more than this share of a window's text units is too common to tell pieces apart


def _cohesion(units: Sequence[Unit], span: int = 2) -> tuple[list[str | None], list[str | None]]:
    """Per unit: how much the text before it and the text from it on talk of the same things, and it with the paragraph before.

    A new piece talks of other things than the one before it. The words of
    up to `span` text units before a unit and of `span` units from it on are
    compared as tf-idf vectors (the idf over the window's text units, so the
    words every piece of the window uses weigh little): their cosine is low
    at a boundary and higher inside an article. Bucketed; None where one
    side has no text.
    """
    texts = [i for i, u in enumerate(units) if u.words >= TEXT_WORDS and u.chrome is None]
    bags = [units[i].bag for i in texts]
    frequency = Counter(chain.from_iterable(bags))
    weight = {n: math.log((len(bags) + 1) / (n + 0.5)) for n in set(frequency.values())}  # one log per distinct count
    idf = dict(zip(frequency, map(weight.__getitem__, frequency.values())))
    vectors = [dict(zip(bag, map(mul, bag.values(), map(idf.__getitem__, bag)))) for bag in bags]  # {w: c * idf[w]}, in C
    window: list[str | None] = []
    previous: list[str | None] = []
    by_position: dict[int, str | None] = {}  # the units between two text units share their window
    sums: dict[tuple[int, int], tuple[dict[str, float], float]] = {}  # a run of vectors is a left side once, a right one once

    def side(start: int, end: int) -> tuple[dict[str, float], float]:
        key = (max(0, start), min(len(vectors), end))
        found = sums.get(key)
        if found is None:
            vector = _summed(vectors[key[0] : key[1]])
            found = sums[key] = (vector, _dot(vector.values(), vector.values()))
        return found

    at = 0
    for index in range(len(units)):
        while at < len(texts) and texts[at] < index:
            at += 1
        if at not in by_position:
            by_position[at] = _cosine(side(at - span, at), side(at, at + span))
        window.append(by_position[at])
        if at < len(texts) and texts[at] == index and at > 0:
            previous.append(_cosine(side(at - 1, at), side(at, at + 1)) or "none")
        else:
            previous.append(None)
    return window, previous


def _cosine(left: tuple[dict[str, float], float], right: tuple[dict[str, float], float]) -> str | None:
    """The bucketed cosine of two summed vectors, each with its squared norm."""
    (a, a2), (b, b2) = left, right
    if not a or not b:
        return None
    norm = math.sqrt(a2 * b2)
    if not norm:
        return None
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return _bucket(_dot(small.values(), map(large.get, small, repeat(0.0))) / norm, COHESION_EDGES)


def _dot(xs: Iterable[float], ys: Iterable[float]) -> float:
    """sum(x * y for x, y in zip(xs, ys)) run in C: the same products added in the same order, so the same float."""
    return sum(map(mul, xs, ys))


def _summed(vectors: list[dict[str, float]]) -> dict[str, float]:
    """The sum of a few tf-idf vectors, its keys in first-seen order (as Counter.update would add them, without its cost)."""
    if not vectors:
        return {}
    if len(vectors) == 1:
        return vectors[0]
    total = dict(vectors[0])
    for vector in vectors[1:]:
        # total[word] = x + total.get(word, 0.0) for each word of the vector in turn, run in C (its words are distinct, so
        # reading total lazily while it is updated sees what the loop would)
        total.update(zip(vector, map(add, vector.values(), map(total.get, vector, repeat(0.0)))))
    return total


def _signature(unit: Unit) -> tuple[bool, int, str]:
    end = unit.terminal
    return unit.words <= 20, min(unit.blank_before, 2), "." if end in ".!?؟" else ("" if end.isalnum() else "x")


def _periods(units: Sequence[Unit], longest: int = 6) -> list[int]:
    """Per unit: the shortest period (2..longest) with which the shapes of the units up to it repeat twice (0: none).

    A list page repeats the same few lines (headline, date, blurb, link)
    item after item; a run of articles does not.
    """
    shapes = [_signature(u) for u in units]
    out = []
    for index in range(len(units)):
        period = 0
        for k in range(2, longest + 1):
            # the last k shapes equal the k before them (compared as two slices, in C)
            if index - 2 * k + 1 >= 0 and shapes[index - k + 1 : index + 1] == shapes[index - 2 * k + 1 : index - k + 1]:
                period = k
                break
        out.append(period)
    return out


def _headline_with_blurb(units: Sequence[Unit]) -> list[bool]:
    """For each unit: a headline followed by one short paragraph that shares a content word with it (a teaser's shape)."""
    out = []
    for index, unit in enumerate(units):
        nxt = units[index + 1] if index + 1 < len(units) else None
        out.append(
            nxt is not None
            and unit.headline_candidate
            and unit.words >= 3
            and not nxt.title_shaped
            and nxt.words <= 80
            and unit.shares_words(nxt)
        )
    return out


def _anchored_headlines(units: Sequence[Unit]) -> list[bool]:
    """A headline followed, across metadata lines only, by a date line, a byline or its own repeat (today's 'headline' rule)."""
    out = []
    for index, unit in enumerate(units):
        found = False
        if unit.headline_candidate:
            for offset, nxt in enumerate(units[index + 1 : index + 5]):
                if nxt.chrome is not None:
                    continue
                if nxt.meta_kind in ("date", "byline") or (offset <= 1 and nxt.repeats(unit)):
                    found = True
                    break
                if nxt.meta_kind is None:
                    break
        out.append(found)
    return out


def _script_switches(units: Sequence[Unit], words_needed: int = 30) -> tuple[list[bool], list[bool]]:
    """Per unit: its script differs from the last paragraph's; and the text goes on in that script for `words_needed` words.

    Only paragraphs (15 words or more) set the script a change is measured
    from: a short quote or a name in the other script inside an article is
    no change, and the article after it is no new piece.
    """
    out, changed = [], []
    before = "none"
    for index, unit in enumerate(units):
        switch = False
        changed.append(unit.script != "none" and before not in ("none", unit.script))
        if changed[-1]:
            words = 0
            for nxt in units[index : index + 6]:
                if nxt.script == "none":
                    continue
                if nxt.script != unit.script:
                    break
                words += nxt.words
            switch = words >= words_needed
        out.append(switch)
        if unit.script != "none" and unit.words >= 15:
            before = unit.script
    return changed, out


def _since_text(units: Sequence[Unit]) -> tuple[list[int], list[bool]]:
    """Per unit: units since the last paragraph (body-like) before it, and whether a headline stands between them.

    The first paragraph of a headed piece follows its headline, often across
    a caption, a byline or a date line; a paragraph that follows other
    paragraphs across only furniture ("Read more", a share bar) is either
    the same piece going on or a piece without a headline. A CRF sees two
    units either side; these carry what stands further up.
    """
    since: list[int] = []
    headed: list[bool] = []
    last = -1
    head = False
    for index, unit in enumerate(units):
        since.append(index - last if last >= 0 else 99)
        headed.append(head)
        if unit.body_like and unit.chrome is None:
            last, head = index, False
        elif unit.headline_candidate and unit.chrome is None and unit.words >= 3:
            head = True
    return since, headed


def _repeats_any(unit: Unit, others: Sequence[Unit]) -> bool:
    """any(unit.repeats(o) for o in others), with a short way for a line that is no headline (only an equal line repeats it)."""
    if not unit.title_shaped:
        norm = unit.norm
        return bool(norm) and any(other.norm == norm for other in others)
    return any(unit.repeats(other) for other in others)


def sequence_features(units: Sequence[Unit], gazetteer: Gazetteer, before: Sequence[Unit] = ()) -> list[Features]:
    """One feature dict per unit of `units` (a window of a dump); `before`: the units just before the window, as context."""
    everything = [*before, *units]
    offset = len(before)
    own = [_own_cached(unit, gazetteer) for unit in everything]
    blanks = Counter(unit.blank_before for unit in everything)
    usual_gap = blanks.most_common(1)[0][0] if blanks else 0
    widest_gap = max(blanks) if blanks else 0
    at_least = {gap: sum(n for g, n in blanks.items() if g >= gap) for gap in blanks}
    teaser = _headline_with_blurb(everything)
    anchored = _anchored_headlines(everything)
    changes, switches = _script_switches(everything)
    cohesion, with_previous = _cohesion(everything)
    since_text, headed = _since_text(everything)
    periods = _periods(everything)
    norms = Counter(unit.norm for unit in everything)
    shapes = [shape(unit.text) if unit.words <= 8 else "" for unit in everything]
    shape_counts = Counter(s for s in shapes if s)
    summaries: list[Summary | None] = [None] * len(everything)
    since_gap = 0
    result: list[Features] = []
    for index in range(len(everything)):
        unit = everything[index]
        if unit.blank_before >= 2 or index == 0:
            since_gap = 0
        else:
            since_gap += 1
        if index < offset:
            continue
        f: Features = {"bias": 1.0, **own[index]}
        f["blank"] = _bucket(unit.blank_before, (0, 1))
        if unit.blank_before > usual_gap:
            f["gap_wider"] = 1.0  # wider than the window's usual gap between lines
            if unit.blank_before == widest_gap:
                f["gap_widest"] = 1.0
            if at_least[unit.blank_before] <= RARE_GAP_SHARE * len(everything):
                f["gap_rare"] = 1.0  # few gaps in the window are this wide: the dump marks something with them
        if anchored[index]:
            f["headline+anchor"] = 1.0
        f["coh"] = cohesion[index] or "none"
        if with_previous[index] is not None:
            f["coh_prev"] = with_previous[index] or "none"
        if periods[index]:
            f["period"] = str(periods[index])
        f["since_text"] = _bucket(since_text[index], (1, 2, 3, 5))
        if headed[index]:
            f["headed"] = 1.0
            f[f"headed*body={'body_like' in f}"] = 1.0
        if switches[index]:
            f["script_switch_run"] = 1.0
        if teaser[index]:
            f["headline+blurb"] = 1.0
            if any(teaser[j] for j in range(max(0, index - 4), min(len(everything), index + 5)) if j != index):
                f["teaser_run"] = 1.0
        nxt = everything[index + 1] if index + 1 < len(everything) else None
        f["blank_after"] = _bucket(nxt.blank_before, (0, 1)) if nxt is not None else "end"
        f["since_gap"] = _bucket(since_gap, (0, 1, 2, 3, 6))
        f["rep"] = _bucket(norms[unit.norm], (1, 2))
        if shapes[index]:
            f["shape_rep"] = _bucket(shape_counts[shapes[index]], (1, 2, 4))
        recent = everything[max(0, index - 8) : index]
        if _repeats_any(unit, recent):
            f["repeats_recent"] = 1.0
        if unit.words <= 40:
            if _repeats_any(unit, everything[index + 1 : index + 4]):
                f["repeated_next"] = 1.0  # a headline printed again right below (a caption, a share card): this is the first
            following = [u for u in everything[index + 1 : index + 6] if u.words >= TEXT_WORDS][:3]
            if following and unit.content:
                shared = len(unit.content & frozenset().union(*(u.content for u in following)))
                f["lede_overlap"] = _bucket(shared / len(unit.content), (0.0, 0.2, 0.4))
        prev = everything[index - 1] if index > 0 else None
        if changes[index]:
            f["script_change"] = 1.0
        if prev is None:
            f["first"] = 1.0
        else:
            if unit.words <= 40 and unit.shares_words(prev):
                f["shares_prev"] = 1.0
        if nxt is None:
            f["last"] = 1.0
        elif unit.words <= 40 and unit.shares_words(nxt):
            f["shares_next"] = 1.0
        f[f"blank*w={f['blank']}|{f['w']}"] = 1.0
        if "script_change" in f:
            f[f"script_change*gap={'gap_wider' in f}"] = 1.0
        f[f"blank*title={f['blank']}|{'title_shaped' in f}"] = 1.0
        for delta, name in _NEIGHBOURS:
            at = index + delta
            if 0 <= at < len(everything):
                if summaries[at] is None:
                    summaries[at] = _summary(own[at])
                f.update(summaries[at][name])  # type: ignore[index]
                f[f"{name}:blank"] = _bucket(everything[at].blank_before, (0, 1))
                if abs(delta) == 1:
                    f[f"{name}:coh"] = cohesion[at] or "none"
            else:
                f[f"{name}:none"] = 1.0
        result.append(f)
    return result
