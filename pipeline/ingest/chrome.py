"""Page chrome: the lines of a scraped page that are not part of any article.

A line is chrome when the *whole line* (stripped) matches one of the rules
below; nothing is cut out of the middle of a line, so a piece's text is
always made of whole input lines and the removed lines can be listed and
counted (``SegmentResult.removed_lines``).

Some chrome also tells the segmenter something, which is what ``kind`` is for:

``end``
    closes an article: "Related News", "Related Stories", "مقالات مرتبطة",
    "Read more:", "LATEST NEWS", "Leave a Reply"... The next headline-shaped
    line starts a new piece.
``post``
    a forum post ends here ("Link to comment", "Share on other sites"): the
    next content line starts a new piece, whatever it looks like.
``thread``
    "Recommended Posts": the posts of a forum thread start here, so what came
    before it on the page (topic title, user name, ads) is page header.
``image``
    an image placeholder ("Visual search query image"): the short line after
    it is the image's caption, kept as metadata, not body text.
``plain``
    everything else: share buttons, reaction counters, sign-in and cookie
    banners, image file names, bare URLs, comment forms.

Users add their own full-line patterns with the ``ingest.extra_chrome``
setting (regular expressions, case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ChromeKind = Literal["plain", "end", "post", "thread", "image"]


@dataclass(frozen=True)
class ChromeRule:
    name: str
    pattern: re.Pattern[str]
    kind: ChromeKind = "plain"


def _rule(name: str, regex: str, kind: ChromeKind = "plain", flags: int = re.IGNORECASE) -> ChromeRule:
    return ChromeRule(name, re.compile(regex, flags), kind)


_IMAGE_EXT = r"(?:jpe?g|png|gif|webp|bmp|svg|avif|tiff?)"

RULES: tuple[ChromeRule, ...] = (
    # Blocks that end an article (what follows is another article or page furniture).
    _rule("related", r"related(?: (?:news|videos?|stories|articles|posts|topics|content|links|reading))?\s*:?", "end"),
    _rule("related-ar", r"(?:مقالات|مواضيع|أخبار|اخبار) (?:مرتبطة|ذات صلة|متعلقة)\s*:?", "end"),
    _rule("read-more", r"(?:read (?:more|also)|see also|more (?:news|stories) ?(?:from .{1,40})?)\s*:?", "end"),
    _rule("read-more-ar", r"(?:اقرأ|إقرأ|اقرا) (?:أيضاً|أيضا|ايضا|المزيد)\s*:?", "end"),
    _rule("latest-news", r"(?:latest|top|most read|trending|popular) (?:news|stories|articles|posts)\s*:?", "end"),
    _rule("share-article", r"share (?:this|the) (?:article|story|post)\s*:?", "end"),
    _rule("comment-form", r"(?:leave a (?:reply|comment)|join the conversation|add a comment|post a comment)\s*:?", "end"),
    # Forum structure (Invision-style boards).
    _rule("forum-post-end", r"(?:link to comment|share on other sites)", "post"),
    _rule("forum-thread-start", r"recommended posts", "thread"),
    _rule("forum-reaction", r"(?:•\s*)?(?:thanks|upvote|downvote|like|likes|haha|sad|pow!|wow|confused|love|angry|thumbs up|insightful)\s+\d+"),
    _rule("forum-time-gap", r"(?:•\s*)?\d+ (?:minutes?|hours?|days?|weeks?|months?|years?) later\.*"),
    _rule("forum-banner", r"(?:guest views are now limited|you can post now and register later|note: your post will require moderator approval"
          r"|your (?:link|previous content) has been|you cannot paste images|pasted as rich text|only \d+ emoji are allowed"
          r"|(?:•\s*)?recently browsing|(?:•\s*)?no registered users viewing|reply to this topic).*"),
    _rule("forum-furniture", r"(?:jump to content|guest|loading\.*|(?:•\s*)?create new\.*|important information|×.*|sign in to follow this|followers?\s*\d*)"),
    # Share / social / print buttons and small furniture.
    _rule("share-button", r"(?:share|tweet|print|email|e-mail|whatsapp|telegram|facebook|twitter|linkedin|reddit|copy link|pin it|save)\s*:?"),
    _rule("font-size", r"A\s*-\s*A\s*A\s*\+"),
    _rule("comments-count", r"\d+\s+comments?"),
    _rule("advertisement", r"(?:advertisement|sponsored|ad)(?:\s*[-–—]\s*(?:story|article) continues(?: below)?)?\s*:?"),
    _rule("related-link", r"related:\s+.{1,200}"),
    _rule("label-only", r"(?:source|sources|description|author|authors|tags|topics|categories|category|keywords|caption)\s*:?"),
    _rule("donation", r"\(?\s*important note: please help us.*|.{0,80}help us keep producing.*|(?:donate|support us)(?: now)?\s*!?"),
    _rule("newsletter", r"(?:subscribe|sign up) (?:to|for) (?:our|the) (?:newsletter|mailing list).*"),
    # Cookie and sign-in banners.
    _rule("cookie-banner", r".{0,80}\b(?:we use cookies|this (?:web)?site uses cookies|accept (?:all )?cookies|cookie (?:policy|settings|preferences)).{0,200}"),
    _rule("sign-in", r"(?:sign in|log in|login|register|create an account)(?: (?:now|here|to (?:comment|continue|reply)))?\s*[.!]?"),
    _rule("wordpress-comment-form", r"(?:fill in your details below.*|you are commenting using your .*|connecting to %s|notify me of (?:new|follow-up) .*"
          r"|(?:google|twitter|facebook|wordpress\.com) (?:photo|picture|account)|(?:post|cancel) reply|log out\s*/.*)"),
    # Images, URLs, slugs.
    _rule("image-placeholder", r"(?:visual search query image|see the source image|image source|click to enlarge|view image)", "image"),
    _rule("image-file", r"\S+\." + _IMAGE_EXT + r"(?:\?\S*)?(?:\s.{0,200})?"),
    _rule("url", r"(?:https?://|www\.)\S+(?:\s.*)?"),
    _rule("labelled-url", r"[^:]{1,40}:\s*(?:https?://|www\.)\S+"),
    _rule("bare-domain", r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|ir|uk|co|info|news|tv|lb|iq|sy)(?:/\S*)?"),
    _rule("pic-twitter", r"pic\.twitter\.com/\S+"),
    _rule("slug", r"[a-z0-9]+(?:-[a-z0-9]+){3,}", flags=0),
    _rule("press-tv-mirrors", r"press tv.s website can also be accessed.*"),
    _rule("page-furniture-ar", r"(?:شارك|مشاركة|طباعة|تغريد|أرسل|ارسل)(?: (?:المقال|الخبر))?\s*:?"),
)


@dataclass(frozen=True)
class ChromeMatch:
    rule: str
    kind: ChromeKind


class ChromeFilter:
    """Decides whether a stripped line is chrome; built once per ingest call."""

    def __init__(self, extra_patterns: Iterable[str] = (), builtin: bool = True):
        self.rules = (list(RULES) if builtin else []) + [
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
