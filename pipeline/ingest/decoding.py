"""Where a piece may and must start: layout priors learned from the training dumps, applied to the labeller's output.

The CRF (:mod:`~pipeline.ingest.labeller`) weighs many weak signals line by
line and sees two lines either side; now and then its best label sequence
cuts an article between two ordinary paragraphs, or runs two pages together
across a change of language. Two kinds of evidence are stronger than any
one line's features, and both are measured on the training dumps, not
written as rules:

* **Where a start is (almost) never.** Every unit is put in a coarse
  *context* (:func:`context`: a paragraph right after a paragraph in the
  same script with no wider gap than the window's usual one, whether it
  opens with a connective that refers back, how the paragraph before it
  ends, and whether a gap as wide already lay between two paragraphs of
  the piece open before it: a layout that puts wide gaps inside its
  articles says nothing by one more). Training counts, per context, how often a piece starts there
  (:func:`start_priors`); a context seen at least :data:`MIN_SUPPORT` times
  with a start rate at most :data:`NEVER` is one where the labeller's start
  is dropped (the unit keeps its role and continues the piece before).
* **Where a start must be.** A change of script that lasts (a paragraph
  run of at least :data:`SWITCH_WORDS` words in one script, then one as
  long in the other) opens a new piece in nearly every training dump; the
  rate is measured (:func:`switch_rate`) and, when it is at least
  :data:`ALWAYS`, a switch the labeller did not cut is cut where the
  model's own probability of a start is highest, between the last
  paragraph of the old script and the second unit of the new one.

Both tables live in the model's metadata record (``segmenter.json``,
``decoding``), so a model and the priors of its training data travel
together, and a leave-one-dump-out model never sees its held-out dump's
counts.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pipeline.ingest.lines import SENTENCE_END, Unit

MIN_SUPPORT = 40  # a context seen fewer times in training decides nothing
NEVER = 0.02  # a start rate at most this: the labeller's start is dropped there
ALWAYS = 0.9  # a lasting script change that opens a piece at least this often in training: one is cut there
SWITCH_WORDS = 60
SWITCH_REACH = 2  # units after the first paragraph of the new script where the start may still be


_TRAILING = "\"'”’»)] "  # closing quotes and brackets after a paragraph's last mark


def _end(unit: Unit) -> str:
    text = unit.text.rstrip(_TRAILING)
    if text.endswith(("...", "…", "…]", "[…]")):
        return "ellipsis"
    if text.endswith(SENTENCE_END):
        return "stop"
    if text.endswith((":", "：")):
        return "colon"
    return "open"


def usual_gap(units: Sequence[Unit]) -> int:
    blanks = Counter(u.blank_before for u in units)
    return blanks.most_common(1)[0][0] if blanks else 0


def context(units: Sequence[Unit], index: int, usual: int, widest: int = -1) -> str | None:
    """The coarse layout context of unit `index` (None where no prior applies: not a paragraph after a paragraph).

    `widest`: the widest gap wider than the usual one already seen before a
    paragraph of the open piece (:func:`widest_gap`); a wider gap no wider
    than that one is "again" a gap this piece's layout has inside it.
    """
    if index == 0:
        return None
    unit, before = units[index], units[index - 1]
    if not (unit.body_like and before.body_like) or unit.chrome is not None or before.chrome is not None:
        return None
    if unit.script != before.script:
        return None
    gap = "usual" if unit.blank_before <= usual else ("wider-again" if unit.blank_before <= widest else "wider")
    return f"para>para|{gap}|cont={unit.opens_continuation}|before={_end(before)}"


def widest_gap(widest: int, unit: Unit, label: str, usual: int, key: str | None) -> int:
    """`widest` after `unit` labelled `label` in context `key`: reset where a piece starts, widened by a wider gap
    between two paragraphs of the piece (not the gap under its headline: `key` is None there)."""
    if label.startswith("B-"):
        return -1
    if key is not None and label == "body" and unit.blank_before > usual:
        return max(widest, unit.blank_before)
    return widest


def start_priors(sequences: Iterable[tuple[Sequence[Unit], Sequence[str]]]) -> dict[str, list[int]]:
    """Per context: [units seen, piece starts], counted on labelled sequences."""
    table: dict[str, list[int]] = {}
    for units, labels in sequences:
        usual = usual_gap(units)
        widest = -1
        for index in range(len(units)):
            key = context(units, index, usual, widest)
            if key is not None:
                row = table.setdefault(key, [0, 0])
                row[0] += 1
                row[1] += labels[index].startswith("B-")
            widest = widest_gap(widest, units[index], labels[index], usual, key)
    return dict(sorted(table.items()))


def lasting_switches(units: Sequence[Unit]) -> list[tuple[int, int]]:
    """(last paragraph of the old script, first paragraph of the new one) for every lasting change of script."""
    paragraphs = [i for i, u in enumerate(units) if u.words >= 15 and u.script != "none" and u.chrome is None]
    runs: list[tuple[str, int, int, int]] = []  # script, first index, last index, words
    for i in paragraphs:
        script = units[i].script
        if runs and runs[-1][0] == script:
            s, first, _, words = runs[-1]
            runs[-1] = (s, first, i, words + units[i].words)
        else:
            runs.append((script, i, i, units[i].words))
    return [(old[2], new[1]) for old, new in itertools.pairwise(runs) if old[3] >= SWITCH_WORDS and new[3] >= SWITCH_WORDS]


def switch_rate(sequences: Iterable[tuple[Sequence[Unit], Sequence[str]]]) -> list[int]:
    """[lasting switches seen, switches with a piece start in their reach], counted on labelled sequences."""
    seen = cut = 0
    for units, labels in sequences:
        for last, first in lasting_switches(units):
            seen += 1
            cut += any(label.startswith("B-") for label in labels[last + 1 : first + SWITCH_REACH + 1])
    return [seen, cut]


def learn(sequences: Sequence[tuple[Sequence[Unit], Sequence[str]]]) -> dict[str, Any]:
    """The decoding record of a model: both tables, from its labelled training sequences (augmented ones excluded)."""
    return {"start_priors": start_priors(sequences), "script_switch": switch_rate(sequences)}


class Decoder:
    """Applies a model's decoding record to the labels of one window (see the module docstring)."""

    def __init__(self, record: dict[str, Any] | None):
        record = record or {}
        self.never = {
            key
            for key, (seen, starts) in record.get("start_priors", {}).items()
            if seen >= MIN_SUPPORT and starts <= NEVER * seen
        }
        seen, cut = record.get("script_switch", [0, 0])
        self.cut_switches = seen >= MIN_SUPPORT // 4 and cut >= ALWAYS * seen

    def starts(
        self, units: Sequence[Unit], labels: list[str], start_p: Callable[[int], float], before: Sequence[Unit] = ()
    ) -> list[str]:
        """`labels` with the starts the priors rule out dropped and the starts they require added."""
        everything = [*before, *units]
        offset = len(before)
        usual = usual_gap(everything)
        out = list(labels)
        widest = -1  # the open piece's widest inner gap (a piece open before the window is not looked at)
        for index, label in enumerate(out):
            looked_at = label.startswith("B-") or (label == "body" and units[index].blank_before > usual)
            key = context(everything, index + offset, usual, widest) if looked_at else None  # only where it counts
            if label.startswith("B-") and key in self.never:
                out[index] = label.removeprefix("B-")
            widest = widest_gap(widest, units[index], out[index], usual, key)
        if self.cut_switches:
            for last, first in lasting_switches(units):
                span = range(last + 1, min(len(out), first + SWITCH_REACH + 1))
                if any(out[i].startswith("B-") for i in span):
                    continue
                candidates = [i for i in span if out[i] not in ("chrome", "separator")]
                if candidates:
                    best = max(candidates, key=start_p)
                    out[best] = "B-" + out[best]
        return out
