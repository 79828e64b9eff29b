"""Page chrome: the lines of a scraped page that are not part of any article.

A line is chrome when the *whole line* (stripped) matches one of the rules
of ``data/chrome.yaml`` (rules are data: this module is the mechanism); nothing is cut out of the middle of a line, so a piece's text is
always made of whole input lines and the removed lines can be listed and
counted (``SegmentResult.removed_lines``).

A matching line is always removed (so a user's ``ingest.extra_chrome``
pattern does what it says), and the rule's ``kind`` is a feature the line
labeller (:mod:`~pipeline.ingest.features`) weighs with the lines around it:

``end``
    closes an article: "Related News", "Related Stories", "مقالات مرتبطة",
    "Read more:", "LATEST NEWS", "Leave a Reply"... (removed as a
    ``separator``).
``post``
    a forum post ends here ("Link to comment", "Share on other sites").
``thread``
    "Recommended Posts": the posts of a forum thread start here.
``image``
    an image placeholder ("Visual search query image").
``plain``
    everything else: share buttons, reaction counters, sign-in and cookie
    banners, image file names, bare URLs, comment forms.

Users add their own full-line patterns with the ``ingest.extra_chrome``
setting (regular expressions, case-insensitive), or rules with a kind in a
``chrome:`` list of their ``ingest.gazetteer`` file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pipeline.errors import ConfigError
from pipeline.ingest.gazetteer import DEFAULT, Gazetteer

ChromeKind = Literal["plain", "end", "post", "thread", "image"]
KINDS = ("plain", "end", "post", "thread", "image")


@dataclass(frozen=True)
class ChromeRule:
    name: str
    pattern: re.Pattern[str]
    kind: ChromeKind = "plain"


def _compile(spec: dict[str, Any]) -> ChromeRule:
    name, kind = str(spec.get("name", "?")), spec.get("kind", "plain")
    if kind not in KINDS:
        raise ConfigError(f"chrome rule {name!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
    try:
        pattern = re.compile(str(spec["pattern"]), 0 if spec.get("case_sensitive") else re.IGNORECASE)
    except (KeyError, re.error) as exc:
        raise ConfigError(f"chrome rule {name!r}: bad or missing pattern: {exc}") from exc
    return ChromeRule(name, pattern, kind)


@dataclass(frozen=True)
class ChromeMatch:
    rule: str
    kind: ChromeKind


class ChromeFilter:
    """Decides whether a stripped line is chrome; built once per ingest call."""

    def __init__(self, extra_patterns: Iterable[str] = (), builtin: bool = True, gazetteer: Gazetteer = DEFAULT):
        self.rules = ([_compile(spec) for spec in gazetteer.chrome_rules] if builtin else []) + [
            ChromeRule(f"extra:{p}", re.compile(p, re.IGNORECASE), "plain") for p in extra_patterns
        ]

    def match(self, line: str) -> ChromeMatch | None:
        text = line.strip()
        if not text or len(text) > 400:  # chrome is short; long lines are never chrome
            return None
        for rule in self.rules:
            if rule.pattern.fullmatch(text):
                return ChromeMatch(rule.name, rule.kind)
        return None


DEFAULT_FILTER = ChromeFilter()
