"""Named entities in English text, matched across transliteration variants.

The same Iraqi politician is "Kadhimi" in one outlet, "al-Kazemi" in a
machine translation and "Mustafa Al-Kadhimi" in a third; a militia is
"Kataib Hezbollah", "Kata'ib Hezbollah" or, translated word by word,
"Hezbollah Brigades". Exact string overlap misses all of these, so each
entity gets a canonical key:

1. ASCII folding (diacritics, ʿayn/hamza marks and apostrophes go), lower case;
2. the article prefix goes (al-, el-, as-, ash-, ad-, an-, ...);
3. translated name parts map to their transliteration through a small alias
   table (brigades → kataib, people → ahl, truth → haq, ...);
4. each word becomes a consonant skeleton under the usual Arabic/Persian
   transliteration equivalences (dh≈z, kh≈gh≈q≈k, th≈t, sh≈s, ou≈u),
   doubled letters collapse and vowels go: Kadhimi, Kazemi, Kazimi → "kzm";
   Qaani, Ghaani → "kn";
5. the key is the sorted set of skeletons, so word order does not matter.

Two entities match when their keys are equal, when one key is contained in
the other ("Kadhimi" in "Mustafa al-Kadhimi"), or when rapidfuzz finds the
folded spellings close. Extraction is a capitalisation heuristic: it runs on
MT output and on English news alike and needs no model.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

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
# Translated name parts → the transliterated word they stand for (step 3).
WORD_ALIASES = {
    "brigades": "kataib",
    "brigade": "kataib",
    "battalions": "kataib",
    "people": "ahl",
    "truth": "haq",
    "righteous": "haq",
    "league": "asaib",
    "leagues": "asaib",
    "party": "hizb",
    "god": "allah",
    "movement": "harakat",
    "organization": "munazzama",
}
# Whole-name aliases (after folding), for names that are translated, not transliterated.
NAME_ALIASES = {
    "hezbollah brigades": "kataib hezbollah",
    "party of god": "hezbollah",
    "league of the righteous": "asaib ahl al haq",
    "islamic state": "isis",
    "daesh": "isis",
    "isil": "isis",
    "is": "isis",
    "united states": "us",
    "usa": "us",
    "america": "us",
    "united states of america": "us",
    "popular mobilization forces": "pmu",
    "popular mobilisation forces": "pmu",
    "popular mobilization units": "pmu",
    "hashd al shaabi": "pmu",
    "pmf": "pmu",
    "international monetary fund": "imf",
    "united nations": "un",
}
_SKELETON_RULES = [
    ("kh", "k"),
    ("gh", "k"),
    ("q", "k"),
    ("dh", "z"),
    ("th", "t"),
    ("sh", "s"),
    ("ph", "f"),
    ("ch", "s"),
    ("ou", "u"),
    ("c", "k"),
    ("x", "ks"),
    ("w", ""),
]
_VOWELS = set("aeiouy")
SHORT_KEY_MIN = 60.0
ENTITY_BASE = 8.0  # background weight (text.Background) below which a name is too common to be evidence
FUZZY_MIN = 85.0  # rapidfuzz ratio on folded names that still counts as the same name


@dataclass
class Entity:
    surface: str  # as written, first occurrence
    key: tuple[str, ...]  # canonical skeleton key
    folded: str  # folded spelling, for fuzzy matching
    weight: float  # rarity of its rarest word (background weight)
    count: int = 1


@dataclass
class EntityMatch:
    source: str
    target: str
    how: str  # exact | contained | fuzzy
    weight: float


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

    Words under five letters keep their spelling: their skeletons collide
    ("isis" and "us" would both become "as").
    """
    w = re.sub(r"(?<=[aeiou])h$", "", word)  # ta marbuta: Hamzah = Hamza
    if len(w) < 5:
        return w
    for a, b in _SKELETON_RULES:
        w = w.replace(a, b)
    first = "a" if w[0] in _VOWELS else w[0]
    rest = "".join(c for c in w[1:] if c not in _VOWELS)
    out = first + rest
    return re.sub(r"(.)\1+", r"\1", out)


@lru_cache(maxsize=100_000)
def canonical(name: str) -> tuple[tuple[str, ...], str]:
    """(skeleton key, folded spelling) of an entity name."""
    folded = fold(name)
    folded = NAME_ALIASES.get(folded, folded)
    parts = []
    for word in folded.split():
        if word in _ARTICLES or word in _DROP_IN_KEY:
            continue
        parts.append(WORD_ALIASES.get(word, word))
    if not parts:
        return (), folded
    joined = " ".join(parts)
    joined = NAME_ALIASES.get(joined, joined)
    return tuple(sorted({skeleton(p) for p in joined.split()})), joined


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
    for sentence in sentences:
        tokens = [t[:-2] if t.endswith(("'s", "’s")) else t for t in _TOKEN.findall(sentence)]
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
            _add(result, span, bg)
    return result


def _add(result: EntitySet, span: list[str], bg: Background) -> None:
    while span and span[-1].lower() in _CONNECTORS:
        span = span[:-1]
    if not span:
        return
    if len(span) == 1:
        word = span[0]
        lower = word.lower()
        if lower in stopwords() or (not word.isupper() and bg.word(lower) < 6.0) or len(word) < 2:
            return  # sentence-initial or common capitalised word, not a name
    surface = " ".join(span)
    named = [w for w in span if w.lower() not in TITLE_WORDS and w.lower() not in stopwords()]
    key, folded = canonical(" ".join(named) if named else surface)
    if not key or len(key) > MAX_PARTS:
        return
    # rarity above that of a common proper noun: "Iraq", "American" weigh little, "Kadhimi" a lot
    weight = max(0.0, max(bg.word(w.lower().split("-")[-1]) for w in (named or span)) - ENTITY_BASE)
    if key in result.entities:
        result.entities[key].count += 1
    else:
        result.entities[key] = Entity(surface, key, folded, weight)


def match(a: EntitySet, b: EntitySet) -> list[EntityMatch]:
    """Each entity of `a` paired with its best counterpart in `b` (if any)."""
    out: list[EntityMatch] = []
    if not a.entities or not b.entities:
        return out
    b_entities, by_part, b_folded = b.index()
    for key, ent in a.entities.items():
        other = b.entities.get(key)
        if other is not None and max(map(len, key)) < 3 and fuzz.ratio(ent.folded, other.folded) < SHORT_KEY_MIN:
            other = None  # a two-letter skeleton ("kn": Qaani, Kenya) needs the spellings to agree too
        how = "exact"
        if other is None:
            other, how = _contained(ent, by_part), "contained"
        if other is None:
            hit = process.extractOne(ent.folded, b_folded, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN)
            other, how = (b_entities[hit[2]], "fuzzy") if hit else (None, "")
        if other is not None:
            out.append(EntityMatch(ent.surface, other.surface, how, min(ent.weight, other.weight)))
    return out


def _contained(ent: Entity, by_part: dict[str, list[Entity]]) -> Entity | None:
    """An entity whose key contains this one's, or is contained in it ("Kadhimi" ~ "Mustafa al-Kadhimi")."""
    kset = set(ent.key)
    best = None
    for part in sorted(kset, key=len, reverse=True):
        if len(part) < 3:  # a shared two-letter skeleton is not a name
            continue
        for cand in by_part.get(part, []):
            cset = set(cand.key)
            if (kset <= cset or cset <= kset) and (best is None or cand.weight > best.weight):
                best = cand
    return best


def overlap(matches: list[EntityMatch], scale: float) -> float:
    """Shared-entity evidence in 0..1: saturates with the summed rarity of shared names."""
    return 1.0 - math.exp(-sum(m.weight for m in matches) / scale)
