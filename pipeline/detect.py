"""Language detection: a language for every piece, paragraph and title, and where each one goes.

The translation model only translates Arabic into English, so this stage
decides, paragraph by paragraph, what is sent to it ('translate'), what is
already English ('english') and what is left alone ('skip', with the reason).
Pieces keep per-paragraph languages because the dumps mix them: an English
article quoting an Arabic statement, an Arabic piece with an English byline.

langdetect does the statistical work. It is seeded and every detector is
created from one factory whose profiles are loaded in a fixed order, so a
text gets the same answer in every run and every process. On its own it is
not enough for this material, so a few rules based on the script wrap it:

* letters are counted per script first. A text whose letters are mostly
  Arabic script (``arabic_ratio``) is decided among the Arabic-script
  languages only, on its Arabic-script part (Latin brand names inside an
  Arabic sentence do not turn it English), and the other way round;
* on short Arabic-script text ("نعم", a two-word headline) langdetect
  guesses Persian or Urdu at random. Persian and Urdu cannot be written
  without their own letters (پ چ ژ گ ک ی, and ٹ ڈ ڑ ں ے ھ ہ for Urdu), so
  text without any of them is Arabic. The rule only ever moves text *to*
  Arabic when those letters are absent, so it never turns Persian or Urdu
  into Arabic;
* Arabic typed on a Persian keyboard (ی and ک instead of ي and ك) is
  recognised by the absence of پ چ ژ گ and Urdu letters together with
  Arabic's ة/ى or its article ال, and detected again with ي/ك restored;
* Pashto and Sorani Kurdish, which langdetect does not know, are named from
  their own letters instead of being mistaken for Persian or Arabic;
* short Latin text (headlines, captions) without diacritics, or Latin text
  full of English function words, is English when langdetect says otherwise:
  below a few dozen letters langdetect calls "He died in Osaka on Tuesday."
  Afrikaans;
* text with no letters at all (numbers, dates, emoji) is 'und'.

Only pieces still in status 'ingested' are processed, so re-running is cheap
and changes nothing.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache, partial
from typing import ClassVar

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from pydantic import Field

from pipeline.config import Config, Settings
from pipeline.progress import QUIET, Reporter
from pipeline.records import Detection, PieceText, Route, RoutedParagraph
from pipeline.stage import Report, RunContext, SectionStage
from pipeline.store import Store
from pipeline.text.normalise import for_detection
from pipeline.text.script import script_name

UNDETERMINED = "und"
# Score given where a script rule decided instead of langdetect's probability.
RULE_SCORE = 0.5

# Letters that tell the Arabic-script languages apart (after NFKC).
PERSIAN_URDU = frozenset("پچژگکی")  # not in the Arabic alphabet
PERSIAN_URDU_PHONEMIC = frozenset("پچژگ")  # sounds Arabic lacks: not a keyboard accident
URDU_ONLY = frozenset("ٹڈڑںےۓہھ")
OTHER_ARABIC_SCRIPT = {
    "ps": frozenset("ټډړږښګڼۍېځڅ"),  # Pashto
    "ckb": frozenset("ڕڵۆێە"),  # Sorani Kurdish
}
ARABIC_SCRIPT_CANDIDATES = ("ar", "fa", "ur")

# Words that are English and nothing else among langdetect's Latin-script languages
# ("in", "on", "a", "was", "die" are left out: German, French, Dutch use them too).
ENGLISH_FUNCTION_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "that",
        "with",
        "for",
        "from",
        "by",
        "his",
        "her",
        "he",
        "she",
        "they",
        "their",
        "them",
        "it",
        "its",
        "this",
        "these",
        "those",
        "has",
        "have",
        "had",
        "been",
        "being",
        "were",
        "are",
        "be",
        "will",
        "would",
        "could",
        "should",
        "said",
        "says",
        "after",
        "before",
        "about",
        "which",
        "who",
        "whom",
        "whose",
        "not",
        "but",
        "or",
        "at",
        "than",
        "into",
        "over",
        "under",
        "between",
        "against",
        "while",
        "also",
        "more",
        "most",
        "when",
        "where",
        "there",
        "what",
        "may",
        "back",
        "us",
        "our",
        "we",
        "you",
        "your",
        "can",
        "did",
        "does",
        "do",
        "up",
        "out",
        "new",
        "all",
        "any",
        "some",
        "such",
        "only",
        "just",
        "during",
        "since",
        "until",
        "because",
        "if",
        "how",
        "why",
        "then",
    ]
)

_WORD = re.compile(r"[^\W\d_]+")


class DetectSettings(Settings):
    """Language per piece, paragraph and title, and the route of each paragraph."""

    seed: int = Field(0, ge=0, le=2**32 - 1)
    """langdetect's random seed: the same text gets the same language in every run."""
    min_chars: int = Field(40, ge=1)
    """Letters below which langdetect alone is not trusted (short Latin text without diacritics → en)."""
    arabic_ratio: float = Field(0.5, gt=0.0, le=1.0)
    """Share of Arabic-script letters from which a text is decided among ar/fa/ur/ps/ckb."""
    routed_languages: list[str] = Field(default_factory=lambda: ["ar"])
    """Languages sent to the translation model (it translates ar→en only)."""
    target_language: str = "en"
    """Paragraphs already in this language are kept as they are ('english')."""
    batch_size: int = Field(200, ge=1)
    """Pieces per transaction."""


@dataclass(frozen=True)
class LanguageGuess:
    """The language of one text, how sure we are, and how it was decided.

    ``score`` is langdetect's probability for ``lang`` where langdetect
    decided, :data:`RULE_SCORE` where a script rule did, 0 for 'und'.
    ``letters`` is how many letters the text has: piece languages are
    decided by letters, so a one-line English byline does not outvote a long
    Arabic article.
    """

    lang: str
    score: float
    reason: str
    letters: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# -- text analysis ----------------------------------------------------------------


@dataclass
class _Letters:
    by_script: Counter[str]
    chars: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.by_script.values())

    def count(self, alphabet: Iterable[str]) -> int:
        return sum(self.chars[ch] for ch in alphabet)


def _count_letters(text: str) -> _Letters:
    chars = Counter(ch for ch in text if ch.isalpha())
    by_script: Counter[str] = Counter()
    for ch, n in chars.items():
        by_script[script_name(ch)] += n
    return _Letters(by_script, chars)


def _keep_script(text: str, arabic: bool) -> str:
    """The text with the other script's letters blanked out (punctuation and spaces kept)."""
    return "".join(ch if not ch.isalpha() or (script_name(ch) == "ARABIC") == arabic else " " for ch in text)


# -- langdetect ---------------------------------------------------------------


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    """One factory per process, profiles loaded in sorted order so language indices never vary."""
    factory = DetectorFactory()
    profiles = []
    for name in sorted(os.listdir(PROFILES_DIRECTORY)):
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as fh:
            profiles.append(fh.read())
    factory.load_json_profile(profiles)
    return factory


def _langdetect(text: str, seed: int, candidates: Iterable[str] | None = None) -> list[tuple[str, float]]:
    """langdetect's probabilities, best first; [] when the text has no usable features."""
    detector = _factory().create()
    detector.seed = seed  # langdetect reseeds its own Random with this before every detection
    if candidates is not None:
        detector.set_prior_map({lang: 1.0 for lang in candidates})
    detector.append(text)
    try:
        return [(p.lang, float(p.prob)) for p in detector.get_probabilities()]
    except LangDetectException:
        return []


# -- decisions --------------------------------------------------------------------


def detect_language(text: str, settings: DetectSettings | None = None) -> LanguageGuess:
    """The language of `text` (ISO 639-1 as langdetect names them, 'und' when there are no letters)."""
    settings = settings or DetectSettings()
    text = for_detection(text)
    letters = _count_letters(text)
    if letters.total == 0:
        return LanguageGuess(UNDETERMINED, 0.0, "no letters: only digits, punctuation or symbols")
    if letters.by_script["ARABIC"] / letters.total >= settings.arabic_ratio:
        return _arabic_script(_keep_script(text, arabic=True), letters, settings)
    return _other_script(_keep_script(text, arabic=False), letters, settings)


def _arabic_script(text: str, letters: _Letters, settings: DetectSettings) -> LanguageGuess:
    n = letters.by_script["ARABIC"]
    for lang, alphabet in OTHER_ARABIC_SCRIPT.items():
        if letters.count(alphabet) >= max(2, 0.01 * n):
            return LanguageGuess(lang, RULE_SCORE, f"letters only {lang} uses in the Arabic script", n)
    probs = _langdetect(text, settings.seed, ARABIC_SCRIPT_CANDIDATES)
    top, p = probs[0] if probs else ("ar", 0.0)
    if letters.count(PERSIAN_URDU) + letters.count(URDU_ONLY) == 0:
        if top == "ar":
            return LanguageGuess("ar", p, "langdetect", n)
        return LanguageGuess("ar", RULE_SCORE, f"no Persian or Urdu letters (langdetect said {top})", n)
    if top != "ar" and _persian_keyboard_arabic(text, letters):
        retyped = text.translate(str.maketrans("یک", "يك"))
        top2, p2 = (_langdetect(retyped, settings.seed, ARABIC_SCRIPT_CANDIDATES) or [("ar", 0.0)])[0]
        if top2 == "ar":
            return LanguageGuess("ar", p2, "Arabic typed with Persian ی/ک", n)
    return LanguageGuess(top, p, "langdetect", n)


def _persian_keyboard_arabic(text: str, letters: _Letters) -> bool:
    """ی/ک are the only non-Arabic letters, and the text has Arabic's ة/ى or its article."""
    if letters.count(PERSIAN_URDU_PHONEMIC) or letters.count(URDU_ONLY):
        return False
    if letters.chars["ة"] + letters.chars["ى"] > 0:
        return True
    words = _WORD.findall(text)
    return bool(words) and sum(w.startswith("ال") for w in words) / len(words) >= 0.15


def _other_script(text: str, letters: _Letters, settings: DetectSettings) -> LanguageGuess:
    n = letters.total - letters.by_script["ARABIC"]
    probs = _langdetect(text, settings.seed)
    target = settings.target_language
    if probs and probs[0][0] == target:
        return LanguageGuess(target, probs[0][1], "langdetect", n)
    if target == "en" and _plausibly_english(text, letters, n, settings):
        said = f"langdetect said {probs[0][0]}" if probs else "langdetect found no features"
        why = "short Latin text without diacritics" if n < settings.min_chars else "English function words"
        return LanguageGuess("en", RULE_SCORE, f"{why} ({said})", n)
    if not probs:
        return LanguageGuess(UNDETERMINED, 0.0, "langdetect found no features", n)
    return LanguageGuess(probs[0][0], probs[0][1], "langdetect", n)


def _plausibly_english(text: str, letters: _Letters, n: int, settings: DetectSettings) -> bool:
    latin = letters.by_script["LATIN"]
    if latin < 0.9 * n:
        return False
    non_ascii = sum(c for ch, c in letters.chars.items() if not ch.isascii() and script_name(ch) == "LATIN")
    if n < settings.min_chars:
        return non_ascii == 0
    words = [w.lower() for w in _WORD.findall(text)]
    function_words = sum(w in ENGLISH_FUNCTION_WORDS for w in words)
    return non_ascii <= 0.01 * latin and function_words >= 2 and function_words >= 0.15 * len(words)


# -- routing ------------------------------------------------------------------------


def route_for(guess: LanguageGuess, settings: DetectSettings) -> tuple[Route, str | None]:
    """('translate' | 'english' | 'skip', reason for skipping)."""
    if guess.lang in settings.routed_languages:
        return "translate", None
    if guess.lang == settings.target_language:
        return "english", None
    if guess.lang == UNDETERMINED:
        return "skip", guess.reason
    pairs = ", ".join(f"{src}→{settings.target_language}" for src in settings.routed_languages) or "nothing"
    return "skip", f"language {guess.lang} is not routed: the model translates {pairs} only"


def piece_language(guesses: Iterable[LanguageGuess]) -> tuple[str, float]:
    """The language with most letters, and its share of the letters ('und', 0 when none)."""
    letters: Counter[str] = Counter()
    for g in guesses:
        if g.lang != UNDETERMINED:
            letters[g.lang] += g.letters
    total = sum(letters.values())
    if not total:
        return UNDETERMINED, 0.0
    lang, n = max(letters.items(), key=lambda kv: (kv[1], kv[0] == "ar", kv[0]))
    return lang, round(n / total, 4)


# -- the stage ------------------------------------------------------------------------


class DetectReport(Report):
    """What the detect stage did, for the CLI and summary.json."""

    pieces: int = 0
    pieces_by_lang: dict[str, int] = Field(default_factory=dict)
    pieces_by_status: dict[str, int] = Field(default_factory=dict)
    paragraphs: int = 0
    paragraphs_by_lang: dict[str, int] = Field(default_factory=dict)
    paragraphs_by_route: dict[str, int] = Field(default_factory=dict)
    skipped: dict[str, int] = Field(default_factory=dict)  # reason -> paragraphs


def detect_piece(piece: PieceText, settings: DetectSettings) -> Detection:
    """Languages and routes of one piece's paragraphs, and the piece's language and status.

    The status follows the paragraphs: 'pending' when any paragraph is to be
    translated ('translated' when the input carried a translation of the
    piece: it needs no model), 'english' when every routed paragraph is English,
    'translated' for a piece in another language whose input carried a translation,
    'not_routed' (with the reason) when nothing is Arabic or English.
    """
    guesses = [(idx, detect_language(text, settings)) for idx, text in piece.paragraphs]
    routed = [
        RoutedParagraph(index=idx, lang=g.lang, score=g.score, route=route, reason=reason)
        for idx, g in guesses
        for route, reason in [route_for(g, settings)]
    ]
    title_guess = detect_language(piece.title, settings) if piece.title and piece.title.strip() else None
    votes = [g for _, g in guesses] + ([title_guess] if title_guess else [])
    lang, share = piece_language(votes)
    routes = {p.route for p in routed}
    reason = None
    if "translate" in routes:
        status = "translated" if piece.translated else "pending"
    elif "english" in routes:
        status = "english"
    elif piece.translated:  # a language the model does not translate, translated by the system it came with
        status = "translated"
    else:
        status = "not_routed"
        # the reason of the paragraph with most letters: "language fa is not routed: ..."
        letters = {idx: g.letters for idx, g in guesses}
        reason = max(routed, key=lambda p: letters[p.index]).reason if routed else "the piece has no paragraphs"
    return Detection(
        piece_id=piece.id,
        lang=lang,
        score=share,
        title_lang=title_guess.lang if title_guess else None,
        status=status,
        reason=reason,
        paragraphs=routed,
    )


class DetectStage(SectionStage[DetectSettings]):
    """A language for every new piece, paragraph and title, and the route of each paragraph."""

    name: ClassVar[str] = "detect"
    section: ClassVar[str] = "detect"
    settings_type = DetectSettings

    def run(self, store: Store, settings: DetectSettings, ctx: RunContext) -> DetectReport:
        """Detect and route every piece still in status 'ingested'; one transaction per batch.

        Detection runs outside the transaction, so the write lock is held only
        for the short updates of each batch.
        """
        ids = store.pieces_to_detect()
        report = DetectReport()
        counters: dict[str, Counter[str]] = {
            k: Counter() for k in ("pieces_by_lang", "pieces_by_status", "paragraphs_by_lang", "paragraphs_by_route", "skipped")
        }
        with ctx.reporter.task("detect", total=len(ids), unit="pieces") as bar:
            texts = (store.piece_texts(batch) for batch in _batches(ids, settings.batch_size))
            for results in ctx.executor.map(partial(detect_pieces, settings=settings), texts):  # a task per batch
                store.save_detections(results)
                for result in results:
                    _tally(counters, result)
                report.pieces += len(results)
                report.paragraphs += sum(len(r.paragraphs) for r in results)
                bar.advance(len(results))
        for key, counter in counters.items():
            setattr(report, key, dict(sorted(counter.items())))
        return report


def detect_pieces(pieces: list[PieceText], settings: DetectSettings) -> list[Detection]:
    return [detect_piece(piece, settings) for piece in pieces]


def detect_store(store: Store, config: Config, reporter: Reporter = QUIET) -> DetectReport:
    """The detect stage over `store` (the Python API)."""
    stage = DetectStage()
    return stage.run(store, stage.settings(config), RunContext(config, reporter))


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _tally(counters: dict[str, Counter[str]], result: Detection) -> None:
    counters["pieces_by_lang"][result.lang] += 1
    counters["pieces_by_status"][result.status] += 1
    for p in result.paragraphs:
        counters["paragraphs_by_lang"][p.lang] += 1
        counters["paragraphs_by_route"][p.route] += 1
        if p.reason:
            counters["skipped"][p.reason] += 1
