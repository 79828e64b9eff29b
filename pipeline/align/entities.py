"""Named entities in English text, matched across transliteration variants.

The same Iraqi politician is "Kadhimi" in one outlet, "al-Kazemi" in a
machine translation and "Mustafa Al-Kadhimi" in a third; a militia is
"Kataib Hezbollah", "Kata'ib Hezbollah" or, translated word by word,
"Hezbollah Brigades". Exact string overlap misses all of these, so each
entity gets a canonical key:

1. ASCII folding (diacritics, ʿayn/hamza marks and apostrophes go), lower case;
2. the article prefix goes (al-, el-, as-, ash-, ad-, an-, ...);
3. translated name parts map to their transliteration through a small alias
   table (brigades → kataib, people → ahl, truth → haq, ...), and names that
   are translated or left in Arabic map to one spelling (Tarablus → Tripoli);
4. each word becomes a consonant skeleton under the usual Arabic/Persian
   transliteration equivalences (dh≈z, kh≈gh≈q≈k, th≈t, sh≈ch≈s, j≈g, b≈p,
   w≈ou≈u, e≈i), doubled letters collapse and vowels go: Kadhimi, Kazemi,
   Kazimi → "kzm"; Frangieh, Franjiya → "frnj"; Qaani, Ghaani → "kn". A word
   shorter than five letters keeps its spelling unless its skeleton still has
   two consonants (Bari = Barri = Berri, but Isis is not Us);
5. the key is the sorted set of skeletons, so word order does not matter.

Countries and demonyms (``data/places.yaml``) are kept out of all this: each
is keyed by its own word, so a demonym never meets a place through a
skeleton ("Omani" and "Amman" share one) or a fuzzy match.

The tables are data (``pipeline/align/data/names.yaml``, ``places.yaml``).
Two entities match when their keys are equal, when one key is contained in
the other ("Kadhimi" in "Mustafa al-Kadhimi"), or when rapidfuzz finds the
folded spellings close; a key of short words (under three letters of
skeleton) also needs its spellings, as folded or lightly folded (ou≈w≈u,
e≈i), to agree: "Aoun" = "Awn" = "Oun", "Qaani" = "Ghaani", "Isis" ≠ "Us",
"Qaani" ≠ "Kenya". Extraction is a capitalisation
heuristic: it runs on MT output and on English news alike and needs no model.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from pipeline.align.text import Background, stopwords
from pipeline.text.dates import MONTHS, WEEKDAYS

_TOKEN = re.compile(r"[^\W\d_][\w'\-]*")
_CONNECTORS = {"al", "el", "bin", "ibn", "bint", "abu", "abd", "of", "de", "du", "la", "le", "van", "von"}
MAX_PARTS = 4  # a key with more name words is a headline or a list, not one name
# Capitalised words that sit next to names but are not part of them.
TITLE_WORDS = (
    {
        "president",
        "prime",
        "minister",
        "leader",
        "supreme",
        "secretary",
        "general",
        "spokesman",
        "spokesperson",
        "deputy",
        "former",
        "senior",
        "chief",
        "commander",
        "head",
        "speaker",
        "mr",
        "ms",
        "mrs",
        "dr",
        "sayyed",
        "sayyid",
        "sheikh",
        "king",
        "queen",
        "prince",
        "sir",
        "lieutenant",
        "major",
        "colonel",
        "iraqi",
        "iranian",
        "american",
        "lebanese",
        "syrian",
        "us",
        "uk",
        "yesterday",
        "today",
        "tomorrow",
        "according",
        "however",
    }
    | set(MONTHS)
    | set(WEEKDAYS)
)
_ARTICLES = ("al", "el", "as", "ash", "ad", "an", "ar", "at", "az", "ath", "adh", "ud", "ul")
_DROP_IN_KEY = {"of", "the", "and", "bin", "ibn", "bint", "de", "du", "la", "le"}
DATA = Path(__file__).with_name("data")


@lru_cache(maxsize=1)
def tables() -> dict:
    """The name tables (data/names.yaml) and the places with their demonyms (data/places.yaml), read once."""
    names = yaml.safe_load((DATA / "names.yaml").read_text(encoding="utf-8"))
    places = yaml.safe_load((DATA / "places.yaml").read_text(encoding="utf-8"))["countries"]
    own_words = {}
    for country, demonyms in places.items():
        own_words[country] = "@" + country
        for d in demonyms:
            own_words[d] = "~" + d
    return {
        "rules": [tuple(r) for r in names["skeleton_rules"]],
        "short": int(names["short_word_letters"]),
        "words": dict(names["word_aliases"]),
        "names": dict(names["name_aliases"]),
        "own": own_words,  # folded place or demonym -> its own key
    }


_VOWELS = set("aeiouy")
SHORT_KEY_MIN = 70.0  # rapidfuzz ratio of the spellings (as folded, or lightly folded) that a short key also needs
ENTITY_BASE = 8.0  # background weight (text.Background) below which a name is too common to be evidence
FUZZY_MIN = 85.0  # rapidfuzz ratio on folded names that still counts as the same name


@dataclass
class Entity:
    surface: str  # as written, first occurrence
    key: tuple[str, ...]  # canonical skeleton key
    folded: str  # folded spelling, for fuzzy matching
    weight: float  # rarity of its rarest word (background weight)
    count: int = 1
    texts: set[int] = field(default_factory=set)  # which of the extracted texts name it (by index)


@dataclass
class EntityMatch:
    source: str
    target: str
    how: str  # exact | contained | fuzzy
    weight: float
    source_key: tuple[str, ...] = ()
    target_key: tuple[str, ...] = ()


@dataclass
class EntitySet:
    entities: dict[tuple[str, ...], Entity] = field(default_factory=dict)
    _index: tuple[list[Entity], dict[str, list[Entity]], list[str]] | None = field(default=None, repr=False, compare=False)

    def index(self) -> tuple[list[Entity], dict[str, list[Entity]], list[str]]:
        """(entities, entities by key part, folded spellings): built once, as an English piece meets many translations."""
        if self._index is None:
            entities = list(self.entities.values())
            by_part: dict[str, list[Entity]] = {}
            for ent in entities:
                for part in ent.key:
                    by_part.setdefault(part, []).append(ent)
            self._index = (entities, by_part, [e.folded for e in entities])
        return self._index


def fold(text: str) -> str:
    """ASCII-fold, lower-case, apostrophes and ʿayn marks removed, hyphens to spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’‘ʿʾ`´]", "", text.casefold())
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.replace("-", " ")).split())


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """Consonant skeleton of one folded word under transliteration equivalences.

    Words under ``short_word_letters`` whose skeleton has fewer than two
    consonants keep their spelling, lightly folded (:func:`light_fold`, leading
    vowels dropped): their skeletons collide ("isis" and "us" would both become
    "as"); two consonants rarely do ("bari" = "barri").
    """
    t = tables()
    w = re.sub(r"(?<=[aeiou])h$", "", word)  # ta marbuta: Hamzah = Hamza
    for a, b in t["rules"]:
        w = w.replace(a, b)
    if not w:
        return word
    first = "a" if w[0] in _VOWELS else w[0]
    rest = "".join(c for c in w[1:] if c not in _VOWELS)
    out = re.sub(r"(.)\1+", r"\1", first + rest)
    if len(word) < t["short"] and len(out.lstrip("a")) < 2:
        return light_fold(word).lstrip("aeiou") or word  # Aoun, Awn, Oun -> "un"; matched only if the spellings agree
    return out


_LIGHT = [("ou", "u"), ("oo", "u"), ("w", "u"), ("ee", "i"), ("e", "i"), ("y", "i"), ("o", "u"), ("p", "b"), ("q", "k")]


@lru_cache(maxsize=100_000)
def light_fold(folded: str) -> str:
    """A spelling with the vowel and semivowel variants of transliteration made one (Aoun, Awn, Oun → aun, aun, un)."""
    for a, b in _LIGHT:
        folded = folded.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", folded)


@lru_cache(maxsize=100_000)
def canonical(name: str) -> tuple[tuple[str, ...], str]:
    """(skeleton key, folded spelling) of an entity name."""
    t = tables()
    folded = fold(name)
    folded = t["names"].get(folded, folded)
    parts = []
    for word in folded.split():
        if word in _ARTICLES or word in _DROP_IN_KEY:
            continue
        parts.append(t["words"].get(word, word))
    if not parts:
        return (), folded
    joined = " ".join(parts)
    joined = t["names"].get(joined, joined)
    if joined in t["own"]:  # a country or a demonym: its own key, never a skeleton
        return (t["own"][joined],), joined
    return tuple(sorted({t["own"].get(p) or skeleton(p) for p in joined.split()})), joined


def _is_cap(token: str) -> bool:
    if token[0].isupper():
        return True
    head, _, tail = token.partition("-")
    return head.lower() in _ARTICLES and bool(tail) and tail[0].isupper()


def extract(sentences: list[str]) -> EntitySet:
    """Capitalised spans (with al-/bin/of connectors inside) of each sentence."""
    bg = Background.get()
    stop = stopwords()
    result = EntitySet()
    for index, sentence in enumerate(sentences):
        tokens = _TOKEN.findall(sentence)
        if "'s" in sentence or "’s" in sentence:  # only then can a token end in it
            tokens = [t[:-2] if t.endswith(("'s", "’s")) else t for t in tokens]
        # most tokens are lower-case words: the first letter settles them without a call
        cap = [t[0].isupper() or ("-" in t and _is_cap(t)) for t in tokens]
        n, i = len(tokens), 0
        while i < n:
            if not cap[i]:
                i += 1
                continue
            j = i + 1
            while j < n:
                if cap[j]:
                    j += 1
                elif j + 1 < n and cap[j + 1] and tokens[j].lower() in _CONNECTORS:
                    j += 2
                else:
                    break
            span = tokens[i:j]
            while span and span[0].lower() in stop:
                span = span[1:]
            i = j
            _add(result, span, bg, index)
    return result


def _add(result: EntitySet, span: list[str], bg: Background, index: int = 0) -> None:
    name = _span_name(tuple(span), bg)
    if name is None:
        return
    surface, key, folded, weight = name
    if key in result.entities:
        result.entities[key].count += 1
        result.entities[key].texts.add(index)
    else:
        result.entities[key] = Entity(surface, key, folded, weight, texts={index})


@lru_cache(maxsize=50_000)
def _span_name(span: tuple[str, ...], bg: Background) -> tuple[str, tuple[str, ...], str, float] | None:
    """(surface, key, folded spelling, weight) of the name a capitalised span makes, or None if it makes none.

    Cached: the same names recur in piece after piece (working each out again was ~5% of a 10k x 10k alignment).
    """
    while span and span[-1].lower() in _CONNECTORS:
        span = span[:-1]
    if not span:
        return None
    if len(span) == 1:
        word = span[0]
        lower = word.lower()
        if lower in stopwords() or (not word.isupper() and bg.word(lower) < 6.0) or len(word) < 2:
            return None  # sentence-initial or common capitalised word, not a name
    surface = " ".join(span)
    named = [w for w in span if w.lower() not in TITLE_WORDS and w.lower() not in stopwords()]
    key, folded = canonical(" ".join(named) if named else surface)
    if not key or len(key) > MAX_PARTS:
        return None
    # rarity above that of a common proper noun: "Iraq", "American" weigh little, "Kadhimi" a lot
    weight = max(0.0, max(bg.word(w.lower().split("-")[-1]) for w in (named or span)) - ENTITY_BASE)
    return surface, key, folded, weight


def match(a: EntitySet, b: EntitySet) -> list[EntityMatch]:
    """Each entity of `a` paired with its best counterpart in `b` (if any)."""
    out: list[EntityMatch] = []
    if not a.entities or not b.entities:
        return out
    b_entities, by_part, b_folded = b.index()
    for key, ent in a.entities.items():
        other = b.entities.get(key)
        if other is not None and max(map(len, key)) < 3 and not _spellings_agree(ent.folded, other.folded):
            other = None  # a two-letter skeleton ("kn": Qaani, Kenya) needs the spellings to agree too
        how = "exact"
        if other is None:
            other, how = _contained(ent, by_part), "contained"
        if other is None:
            hit = None if _own(ent) else process.extractOne(ent.folded, b_folded, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN)
            other, how = (b_entities[hit[2]], "fuzzy") if hit and not _own(b_entities[hit[2]]) else (None, "")
        if other is not None:
            out.append(EntityMatch(ent.surface, other.surface, how, min(ent.weight, other.weight), key, other.key))
    return out


def _spellings_agree(a: str, b: str) -> bool:
    """Qaani ~ Ghaani (as folded), Aoun ~ Awn (lightly folded); not Qaani ~ Kenya, Isis ~ Us, Ali ~ Eli."""
    return max(fuzz.ratio(a, b), fuzz.ratio(light_fold(a), light_fold(b))) >= SHORT_KEY_MIN


def _own(ent: Entity) -> bool:
    """A country or demonym (its key is its own word): matched only by the same key."""
    return len(ent.key) == 1 and ent.key[0][:1] in "@~"


def _contained(ent: Entity, by_part: dict[str, list[Entity]]) -> Entity | None:
    """An entity whose key contains this one's, or is contained in it ("Kadhimi" ~ "Mustafa al-Kadhimi")."""
    kset, parts = _key_parts(ent.key)
    best = None
    for part in parts:
        for cand in by_part.get(part, []):
            cset = _key_parts(cand.key)[0]
            if (kset <= cset or cset <= kset) and (best is None or (cand.weight, cand.key) > (best.weight, best.key)):
                best = cand
    return best


@lru_cache(maxsize=100_000)
def _key_parts(key: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(the parts of a key, those that can be a name by themselves in a fixed order): computed once per key, as
    each name meets every candidate's names (sorting them each time was ~2% of a 10k x 10k alignment)."""
    # longest first, then alphabetical: the same match in every run; a shared two-letter skeleton is not a name
    return frozenset(key), tuple(sorted((p for p in set(key) if len(p) >= 3), key=lambda p: (-len(p), p)))


def overlap(matches: list[EntityMatch], scale: float) -> float:
    """Shared-entity evidence in 0..1: saturates with the summed rarity of shared names."""
    return 1.0 - math.exp(-sum(m.weight for m in matches) / scale)
