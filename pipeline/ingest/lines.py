"""Line features: what one line (or hard-wrapped block) of a dump looks like on its own.

The line labeller sees these shapes as features (:mod:`~pipeline.ingest.features`),
beside a line's place in its dump; none of them decides alone:

* *title-shaped*: 2–30 words, at most 250 characters, not ending like a
  sentence or clause (. ! , ; :), not a date or byline;
* *body-like*: a paragraph (25+ words, or 8+ ending a sentence);
* *metadata kind* on its own (:attr:`Unit.meta_kind`): a date line, a
  byline, a credit, a dateline, a caption, a disclaimer, a tag list, a
  section label or a bare personal name. The words these shapes are made of ("By", «بقلم», "Photo:",
  photo agencies, date labels...) come from ``data/lines.yaml`` through
  :class:`Vocabulary`, not from this module.

Reading a dump into units (:func:`iter_units`) also decides whether its
paragraphs are hard-wrapped (:func:`looks_hard_wrapped`).
"""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar, overload

from pipeline.ingest.chrome import DEFAULT_FILTER, ChromeFilter, ChromeMatch
from pipeline.ingest.gazetteer import DEFAULT, Gazetteer
from pipeline.ingest.script import letter_counts
from pipeline.text.dates import DATE_RE, DIGITS, find_date

CLOSERS = "\"'”’»)]»›"
SENTENCE_END = tuple(".!?؟…")
_NOT_TITLE_END = tuple(".!,;:،؛")
_AR_WORD = r"[\u0621-\u064A\u0640\u064B-\u0652]+"
_PHRASE_CLITICS = ("بال", "وال", "فال", "كال", "لل")  # "with the", "and the"...: phrases, not names
_ALEF_FORMS = str.maketrans("أإآةى", "اااهي")


class Vocabulary:
    """The line shapes of :mod:`lines` compiled from a gazetteer's word lists (``data/lines.yaml``)."""

    def __init__(self, gazetteer: Gazetteer = DEFAULT):
        self.gazetteer = gazetteer
        alt = gazetteer.alternation
        particles = alt("name_particles")
        name_word = rf"(?:[A-Z][\w'’.-]*|(?:{particles})(?:-\w+)?)"
        self.name_en = re.compile(rf"{name_word}(?: {name_word}){{1,3}}")
        self.name_ar = re.compile(rf"{_AR_WORD}(?: {_AR_WORD}){{1,3}}")
        self.name_particles_ar = set(gazetteer.words("name_particles_ar"))
        self.not_in_names = set(gazetteer.words("not_in_names"))
        self.byline = re.compile(
            rf"^(?:(?:{alt('byline_prefixes')})\s+(?:.{{0,30}}?\s)?by|{alt('byline_openers')})\s*[:：]?\s+(?P<who>.+)$",
            re.IGNORECASE,
        )
        by_labels = "|".join(re.escape(w) for w in gazetteer.words("credit_labels") if w.endswith(" by"))
        other_labels = "|".join(
            re.escape(w) for w in sorted(gazetteer.words("credit_labels"), key=len, reverse=True) if not w.endswith(" by")
        )
        self.credit = re.compile(
            rf"[(\[]?\s*(?:(?:{by_labels})\s*:?\s+\S.{{0,60}}|(?:{other_labels})\s*:\s*\S.{{0,60}})", re.IGNORECASE
        )
        credits, markers = alt("photo_credits"), alt("credit_markers")
        self.captions = (
            re.compile(rf"(?:{alt('caption_openers')})\s*:\s*.+", re.IGNORECASE),  # "FILE PHOTO: ...", "Photo: ..."
            re.compile(
                rf".+\((?:[^()]{{0,80}}?\b(?:{credits})\b[^()]{{0,60}}|[\u0600-\u06FF ]{{2,20}})\)\.?", re.IGNORECASE
            ),  # "... (Agency)"
            re.compile(
                rf".+[/|]\s*(?:(?:{markers})s?\s*:\s*)?[^/|]{{0,40}}?\b(?:{credits})\s*\.?", re.IGNORECASE
            ),  # "... / Photo: Agency", "Jim Smith/Agency"
            re.compile(rf".+[/|(]\s*(?:{markers})s?\s*:\s*[^/|]{{1,50}}", re.IGNORECASE),  # "... (Photo: Jane Doe)"
            re.compile(r".+\([^()/]{2,40}/[^()/]{2,40}\)\.?"),  # "... (AP Photo/Hussein Malla)", "... (Outlet/Photographer)"
        )
        self.section_words = {w.casefold() for w in gazetteer.words("section_words")}
        self.disclaimer = re.compile("|".join(gazetteer.words("disclaimers")), re.IGNORECASE)
        self.dateline_lines = gazetteer.patterns("dateline_lines")
        self.date_labels = re.compile(rf"\b(?:{alt('date_labels')})\b|[\[\]|:,()\-–—/]", re.IGNORECASE)
        self.series_part = re.compile("|".join(gazetteer.words("series_part")), re.IGNORECASE)
        self.series_next = re.compile(rf"^(?:{alt('series_next')})\b", re.IGNORECASE)
        self.continuation = re.compile(rf"^[\"'“«(\s]*(?:{alt('continuation_openers')})(?!\w)", re.IGNORECASE)

    def is_arabic_name(self, text: str) -> bool:
        """«إيفا الشوفي», «محمد صادق الحسيني»: 2–3 words (4 with a particle), no preposition, no clitic phrase."""
        if not self.name_ar.fullmatch(text):
            return False
        words = text.split()
        if any(w in self.not_in_names or w.startswith(_PHRASE_CLITICS) for w in words):
            return False
        return len(words) <= 3 or any(w in self.name_particles_ar for w in words)

    def is_tag_list(self, text: str) -> bool:
        """ "غزة,طوفان الأقصى,حماس" or "Iraq, Syria, Elections": three or more short items, no sentence."""
        items = [i.strip() for i in re.split(r"[,،]", text)]
        return (
            len(items) >= 3
            and all(i and len(i.split()) <= 5 for i in items)
            and not text.rstrip(CLOSERS + " ").endswith(SENTENCE_END)
            and sum(len(i.split()) for i in items) / len(items) <= 3.5
        )


DEFAULT_VOCABULARY = Vocabulary()


_DIACRITICS = re.compile("[\u0640\u064b-\u0652\u0670]")
_WORDS = re.compile(r"[^\W\d_]+")
_WORD_RUN = re.compile(r"\w+")
_AR_PREFIX = re.compile(r"^(?:وال|بال|فال|كال|لل|ال|و)(?=\w{3})")


def content_words(text: str) -> set[str]:
    """Words that carry content: 4+ letters or 2+ digits, case-folded, Arabic article and و- prefixes off."""
    words = set()
    for word in set(_WORD_RUN.findall(_DIACRITICS.sub("", text).casefold())):  # each distinct word once: a set comes out
        if len(word) < 2:
            continue  # too short whatever happens below (prefixes and forms only ever shorten or keep a word)
        if word.isascii():  # no Arabic prefix or letter form to take off
            if len(word) >= 4 or (len(word) >= 2 and word.isdigit()):
                words.add(word.removesuffix("s") if len(word) > 4 else word)
            continue
        word = _AR_PREFIX.sub("", word).translate(_ALEF_FORMS)
        if len(word) >= 4 or (word.isdigit() and len(word) >= 2):
            words.add(word.removesuffix("s") if word.isascii() and len(word) > 4 else word)
    return words


def shares_words(a: str, b: str, minimum: int = 1) -> bool:
    """True when `a` and `b` have at least `minimum` content words in common (a headline and its blurb)."""
    return len(content_words(a) & content_words(b)) >= minimum


def norm(text: str) -> str:
    """Headline comparison form: punctuation and tatweel out, one space, case-folded."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.replace("\u0640", "")).split()).casefold()


def same_norm(na: str, nb: str, containment: bool) -> bool:
    if not na or not nb:
        return False
    if na == nb:
        return True
    if not containment:
        return False
    short, long_ = sorted((na, nb), key=len)
    return len(short.split()) >= 3 and (long_.endswith(short) or long_.startswith(short))


def same_headline(a: str, b: str, containment: bool = True) -> bool:
    """True when b repeats a: equal, or (with `containment`) one starts/ends with the other, ≥ 3 words."""
    return same_norm(norm(a), norm(b), containment)


def doubled(text: str) -> str | None:
    """'X X' (a caption scraped twice on one line) → 'X'."""
    words = text.split()
    half = len(words) // 2
    if len(words) >= 6 and len(words) % 2 == 0 and words[:half] == words[half:]:
        return " ".join(words[:half])
    return None


T = TypeVar("T")


class lazy(Generic[T]):
    """functools.cached_property without its lock: computed on first use, then read from the instance's ``__dict__``.

    Python 3.11's cached_property takes a lock shared by every instance of
    the class on each first use (3.12 dropped it); a unit computes about
    fifteen of these facts once each and a dump has millions of units, so
    the lock alone cost several percent of ingest. Ingest reads a dump in
    one thread; two threads computing the same fact would get the same value.
    """

    def __init__(self, func: Callable[[Any], T]):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> lazy[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | lazy[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)  # a non-data descriptor: the dict entry wins next time
        return value


class Unit:
    """One content line (or block) of the input, with lazily computed features."""

    __slots__ = ("__dict__", "blank_before", "chrome", "follows_image", "lines", "repeat", "tag", "text", "vocab")

    def __init__(
        self,
        lines: tuple[int, ...],
        text: str,
        chrome: ChromeMatch | None = None,
        vocab: Vocabulary = DEFAULT_VOCABULARY,
        blank_before: int = 0,
        tag: str | None = None,
    ):
        self.lines = lines
        self.text = text
        self.chrome = chrome
        self.vocab = vocab
        self.follows_image = False
        self.repeat = False
        self.blank_before = blank_before  # blank lines right before it (a gap of two or more often separates pages)
        self.tag = tag  # the HTML block element it came from; None in a text dump

    @lazy
    def words(self) -> int:
        return len(self.text.split())

    @lazy
    def terminal(self) -> str:
        return self.text.rstrip(CLOSERS + " ")[-1:] or ""

    @lazy
    def letters(self) -> tuple[int, int]:
        return letter_counts(self.text)

    @lazy
    def script(self) -> str:
        arabic, other = self.letters
        return "none" if arabic + other == 0 else ("ar" if arabic >= other else "latin")

    @lazy
    def content(self) -> frozenset[str]:
        """The content words of its first 400 characters (what a headline and its blurb share)."""
        return frozenset(content_words(self.text[:400]))

    @lazy
    def bag(self) -> Counter[str]:
        """Its words of three letters or more (first 600 characters, case-folded, Arabic article off): what tf-idf compares."""
        words = _WORDS.findall(_DIACRITICS.sub("", self.text[:600]).casefold())
        return Counter([w if w.isascii() else _AR_PREFIX.sub("", w) for w in words if len(w) >= 3])

    def shares_words(self, other: Unit) -> bool:
        return not self.content.isdisjoint(other.content)

    @lazy
    def norm(self) -> str:
        return norm(self.text) if len(self.text) <= 2000 else self.text

    def repeats(self, other: Unit) -> bool:
        """True when this unit repeats `other` (equal, or a headline containing/contained in it)."""
        return same_norm(other.norm, self.norm, containment=self.title_shaped and other.title_shaped)

    @lazy
    def date(self) -> str | None:
        if len(self.text) > 160 or not any(c.isdigit() or "\u0660" <= c <= "\u0669" for c in self.text[:160]):
            return None
        return date_line(self.text, self.vocab)

    @lazy
    def byline(self) -> tuple[str | None, str | None, str | None] | None:
        return byline(self.text, self.vocab) if len(self.text) <= 120 else None

    @lazy
    def meta_kind(self) -> str | None:
        """What kind of metadata line this is on its own (no context), or None."""
        text, words, vocab = self.text, self.words, self.vocab
        if words > 60:
            return None
        if self.date:
            return "date"
        if self.byline:
            return "byline"
        if words <= 10 and vocab.credit.fullmatch(text):
            return "credit"
        if words <= 8 and (any(p.fullmatch(text) for p in vocab.dateline_lines) or self._outlet_dateline):
            return "dateline"
        if self.caption:
            return "caption"
        if vocab.disclaimer.fullmatch(text):
            return "disclaimer"
        if vocab.is_tag_list(text):
            return "tags"
        if words <= 4 and all(w.casefold() in vocab.section_words for w in re.findall(r"\w+", text)):
            return "section"
        if len(text) <= 40 and (vocab.name_en.fullmatch(text) or vocab.is_arabic_name(text)):
            return "name"
        return None

    @lazy
    def caption(self) -> bool:
        """A photo caption or credit: "FILE PHOTO: ...", "... / Photo: Agency", "... Jim Smith/Agency" (agencies: lines.yaml)."""
        captions, words = self.vocab.captions, self.words
        return bool(
            (words <= 50 and captions[0].fullmatch(self.text))
            or (words <= 30 and captions[1].fullmatch(self.text))
            or (words <= 50 and any(c.fullmatch(self.text) for c in captions[2:]))
        )

    @lazy
    def _outlet_dateline(self) -> bool:
        """ "Outlet – City": a known outlet, a dash and a place."""
        match = self.vocab.gazetteer.leading_outlet.match(self.text)
        return match is not None and len(self.text[match.end() :].split()) <= 3

    @lazy
    def opens_continuation(self) -> bool:
        """It opens with a pronoun or connective that refers back ("He added", «وأضاف»): it goes on from the line before."""
        return bool(self.vocab.continuation.match(self.text[:60]))

    @lazy
    def title_shaped(self) -> bool:
        return (
            2 <= self.words <= 30
            and len(self.text) <= 250
            and self.terminal not in _NOT_TITLE_END
            and not self.date
            and not self.byline
        )

    @lazy
    def body_like(self) -> bool:
        if self.title_shaped:
            return False
        return self.words >= 25 or (self.words >= 8 and self.terminal in SENTENCE_END)

    @property
    def headline_candidate(self) -> bool:
        return self.title_shaped and self.meta_kind is None

    @property
    def caption_after_image(self) -> bool:
        return self.follows_image and self.words <= 25 and self.terminal not in ".:!?"


# -- reading lines into units -----------------------------------------------------------


def looks_hard_wrapped(lines: list[str]) -> bool:
    """True when paragraphs are wrapped over several lines (join them), False when one line is one paragraph.

    The test: most lines that are followed by another non-blank line are
    30–110 characters long and do not end a sentence, i.e. they were broken
    for width, not at paragraph ends. Scraped dumps (one paragraph per line,
    blank lines between) fail it; e-mail style text wrapped at 72 passes.
    """
    inner: list[str] = []  # lines followed by another non-blank line
    content = in_blocks = 0
    previous = ""
    for this, following in itertools.zip_longest(lines, lines[1:], fillvalue=""):
        if this.strip():
            content += 1
            if following.strip():
                inner.append(this.strip())
            if following.strip() or previous.strip():
                in_blocks += 1
        previous = this
    if content < 4 or not inner or in_blocks < 0.5 * content:
        return False
    wrapped = sum(1 for t in inner if 30 <= len(t) <= 110 and not t.rstrip(CLOSERS).endswith(SENTENCE_END))
    return wrapped >= 0.6 * len(inner)


def split_lines(text: str) -> Iterator[str]:
    """Lines as a text file yields them (universal newlines), so numbering matches files."""
    for line in io.StringIO(text, newline=None):
        yield line.rstrip("\n")


class SharedFacts:
    """Within one dump, the units of one text share what is computed of it (and its page-chrome match).

    Everything a :class:`Unit` computes lazily (its words, script, date,
    metadata kind, content words, features...) depends on its text and the
    dump's vocabulary only, and a dump repeats its furniture (site names,
    share bars, datelines, "Read more") thousands of times: the second unit
    of a text reuses the first one's dict instead of computing it again.
    Only short lines (:data:`SHARED_CHARS`) are kept, at most
    :data:`SHARED_TEXTS` of them (the one used longest ago goes first: a
    site's furniture stays, a paragraph seen once is soon gone), so memory
    stays bounded whatever the dump. HTML units are not shared: the markup
    may override a unit's metadata kind.
    """

    def __init__(self, chrome: ChromeFilter):
        self.chrome = chrome
        self.table: OrderedDict[str, tuple[ChromeMatch | None, dict[str, Any]]] = OrderedDict()

    def unit(self, lines: tuple[int, ...], text: str, vocab: Vocabulary, blanks: int) -> Unit:
        if len(text) > SHARED_CHARS:
            return Unit(lines, text, self.chrome.match(text), vocab, blanks)
        known = self.table.get(text)
        if known is None:
            if len(self.table) >= SHARED_TEXTS:
                self.table.popitem(last=False)  # the text used longest ago goes
            known = self.table[text] = (self.chrome.match(text), {})
        else:
            self.table.move_to_end(text)
        unit = Unit(lines, text, known[0], vocab, blanks)
        unit.__dict__ = known[1]
        return unit


SHARED_CHARS = 300
SHARED_TEXTS = 1_024  # bounded so that memory stays flat as a dump grows (4,096 added ~6 MB)


def iter_units(
    lines: Iterable[str],
    wrapped: bool,
    chrome: ChromeFilter = DEFAULT_FILTER,
    vocab: Vocabulary = DEFAULT_VOCABULARY,
    max_block_chars: int = 1_000_000,
) -> Iterator[Unit]:
    """Non-blank lines as units (line numbers from 1); wrapped blocks joined with spaces.

    Whitespace runs (no-break spaces included) become one space: scraped
    pages are full of them and they carry no meaning. A wrapped block is cut
    once it reaches `max_block_chars` (a file of short lines without a blank
    line is not one paragraph, and must not be held as one).
    """
    blanks = 0
    shared = SharedFacts(chrome)
    if not wrapped:
        for number, line in enumerate(lines, 1):
            text = " ".join(line.split())
            if text:
                yield shared.unit((number,), text, vocab, blanks)
                blanks = 0
            else:
                blanks += 1
        return
    block: list[tuple[int, str]] = []
    size = 0
    block_blanks = 0
    for number, line in enumerate(lines, 1):
        text = " ".join(line.split())
        match = chrome.match(text) if text else None
        if (not text or match or size >= max_block_chars) and block:
            yield Unit(tuple(n for n, _ in block), " ".join(t for _, t in block), None, vocab, block_blanks)
            block, size = [], 0
        if match:
            yield Unit((number,), text, match, vocab, blanks)
            blanks = 0
        elif text:
            if not block:
                block_blanks, blanks = blanks, 0
            block.append((number, text))
            size += len(text) + 1
        else:
            blanks += 1
    if block:
        yield Unit(tuple(n for n, _ in block), " ".join(t for _, t in block), None, vocab, block_blanks)


# -- date lines and bylines --------------------------------------------------------------


def date_line(text: str, vocab: Vocabulary = DEFAULT_VOCABULARY, max_other_words: int = 3) -> str | None:
    """The ISO date when `text` is a *date line* (a date and little else), else None.

    "Time: 10/22/2020 21:34:06 Read: 975 times", "170 Policy 2020/10/22 21:20"
    and "الأربعاء 18 آب 2021" are date lines; a sentence that mentions a date
    is not.
    """
    if len(text) > 160:
        return None
    found = find_date(text)
    if not found:
        return None
    iso, (start, end) = found
    rest = text.translate(DIGITS)
    rest = rest[:start] + " " + rest[end:]
    rest = DATE_RE.sub(" ", rest)  # "[ Last Update: <date> ]"
    rest = re.sub(r"(?i)A\s*-\s*A\s*A\s*\+", " ", rest)  # a font-size widget glued to the date
    rest = vocab.date_labels.sub(" ", rest)
    words = [w for w in rest.split() if any(c.isalpha() for c in w)]
    return iso if len(words) <= max_other_words else None


_CITY_NAME_AR = re.compile(rf"^(?P<city>{_AR_WORD}(?: {_AR_WORD})?)\s*[–—-]\s*(?P<who>{_AR_WORD}(?: {_AR_WORD}){{1,3}})$")
_FOR_OUTLET = re.compile(r"^(?P<who>.+?)\s+for\s+(?P<outlet>(?:the\s+)?[A-Z].{1,50})$", re.IGNORECASE)
_HANDLE = re.compile(r"\s*[:|]?\s*@\w+\s*$")
_ARABIC_NAME_TEXT = re.compile(r"[\u0600-\u06FF ]{3,60}")


def byline(text: str, vocab: Vocabulary = DEFAULT_VOCABULARY) -> tuple[str | None, str | None, str | None] | None:
    """(author, outlet, date) when `text` is a byline line, else None.

    Any of the three may be None ("By <an outlet's name>" names an outlet,
    not an author). "Author: X | Published: 2 hours ago" keeps what is
    before the bar. An Arabic "city – name" line ("باريس – نضال حمادة") gives
    the author after the dash.
    """
    text = text.strip()
    if len(text) > 120:
        return None
    match = vocab.byline.match(text)
    if match:
        who = match.group("who").strip()
        if " | " in who:
            who = who.split(" | ", 1)[0].strip()
        outlet = vocab.gazetteer.canonical(who.strip(" :：«»\"'"))
        if outlet and re.fullmatch(r"[«\"']?[^«»\"']+[»\"']?\s*[:：]?", who):  # «كتبت «<outlet>»:», "By <outlet>"
            return None, outlet, None
        if _ARABIC_NAME_TEXT.fullmatch(who):
            return who.strip(), None, None
        # "By doing so, ..." opens a sentence; a byline names someone (capitalised) in a few words.
        first = who[4:] if who.lower().startswith("the ") else who
        if not first[:1].isupper() or len(who.split()) > 10 or who.endswith((".", "!", "?")):
            return None
        return _split_byline(who, vocab)
    match = _CITY_NAME_AR.match(text)
    if match:
        return match.group("who").strip(), None, None
    return None


def _split_byline(who: str, vocab: Vocabulary) -> tuple[str | None, str | None, str | None]:
    gazetteer = vocab.gazetteer
    when = None
    found = find_date(who)
    if found:
        when, (start, end) = found
        who = who[:start] + who[end:]
    who = _HANDLE.sub("", who).strip(" -–—,:|")
    outlet = gazetteer.canonical(who)
    if outlet:
        return None, outlet, when
    match = _FOR_OUTLET.match(who)
    if match:
        who, outlet = match.group("who"), gazetteer.canonical(match.group("outlet")) or match.group("outlet").strip()
    else:
        possessive = re.match(r"^(.+?)[’']s\b", who)  # "<Outlet>'s Iraq Correspondent"
        outlet = gazetteer.canonical(possessive.group(1)) if possessive else None
    who = " ".join(who.split()).strip(" -–—,:|")
    if who.isupper():
        who = who.title()
    return (who or None), outlet, when
