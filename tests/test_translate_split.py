"""Arabic sentence splitting and the cutting of over-long sentences: boundaries and no loss."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.normalise import for_model
from pipeline.text.sentences import split_arabic
from pipeline.translate.split import split_long


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_arabic_and_latin_sentence_marks_end_sentences():
    text = "وصل الوفد إلى بغداد. هل سيحضر الرئيس؟ لا أحد يعرف! الخلاف قائم؛ والحل بعيد… انتهى الاجتماع"
    assert split_arabic(text) == [
        "وصل الوفد إلى بغداد.",
        "هل سيحضر الرئيس؟",
        "لا أحد يعرف!",
        "الخلاف قائم؛",
        "والحل بعيد…",
        "انتهى الاجتماع",
    ]


def test_decimal_numbers_are_not_boundaries():
    text = "بلغ العجز 2.5 مليار دولار والنسبة 3.14 في المئة. وارتفع الدين إلى ٤٫٥ مليار."
    assert split_arabic(text) == [
        "بلغ العجز 2.5 مليار دولار والنسبة 3.14 في المئة.",
        "وارتفع الدين إلى ٤٫٥ مليار.",
    ]


def test_a_year_before_a_full_stop_still_ends_the_sentence():
    assert split_arabic("انتهت الحرب عام 2017. ثم بدأت المفاوضات.") == ["انتهت الحرب عام 2017.", "ثم بدأت المفاوضات."]


def test_short_quotations_keep_their_sentences_together():
    text = "وقال الوزير: «لن نقبل بذلك. هذا خط أحمر!» ثم غادر القاعة. وعلّق آخر: “الأمر انتهى. لا عودة.” وانصرف."
    assert split_arabic(text) == [
        "وقال الوزير: «لن نقبل بذلك. هذا خط أحمر!» ثم غادر القاعة.",
        "وعلّق آخر: “الأمر انتهى. لا عودة.” وانصرف.",
    ]


def test_a_long_quotation_is_split_like_prose():
    inner = " ".join(f"هذه الجملة رقم {i} من التصريح الطويل جدا." for i in range(20))
    text = f"وقال: «{inner}» وانتهى."
    sentences = split_arabic(text)
    assert len(sentences) >= 20
    assert squeeze("".join(sentences)) == squeeze(text)


def test_sentence_ending_inside_closing_quote_is_split_after_the_quote():
    text = "قال «انتهى الأمر.» وغادر. ثم عاد."
    assert split_arabic(text) == ["قال «انتهى الأمر.» وغادر.", "ثم عاد."]


def test_abbreviations_and_initials_do_not_end_sentences():
    text = "التقى د. محمد بمسؤولين من U.S. وزارة الخارجية. وقال Mr. Smith إن اللقاء مثمر."
    assert split_arabic(text) == [
        "التقى د. محمد بمسؤولين من U.S. وزارة الخارجية.",
        "وقال Mr. Smith إن اللقاء مثمر.",
    ]


def test_question_mark_without_a_following_space_still_splits():
    assert split_arabic("هل حضر؟نعم حضر!وغادر") == ["هل حضر؟", "نعم حضر!", "وغادر"]


def test_line_breaks_split_and_empty_input_gives_nothing():
    assert split_arabic("سطر أول\nسطر ثان") == ["سطر أول", "سطر ثان"]
    assert split_arabic("") == []
    assert split_arabic("   \n  ") == []


def test_for_model_drops_invisible_controls():
    assert for_model("\u200fمرحبا\u202b بكم\u2067\u200b  هنا\ufeff") == "مرحبا بكم هنا"
    assert for_model("\u200f\u200b\u2069") == ""


def words(text: str) -> int:
    return len(text.split())


def test_long_sentence_is_cut_at_clause_boundaries_first():
    clause = "وأضاف المتحدث أن الحكومة ستواصل العمل"
    sentence = "، ".join([clause] * 6) + "."
    chunks = split_long(sentence, words, 14)
    assert len(chunks) > 1
    assert all(words(c) <= 14 for c in chunks)
    assert all(c.endswith(("،", ".")) for c in chunks)  # cut right after a clause mark
    assert squeeze("".join(chunks)) == squeeze(sentence)


def test_long_sentence_without_punctuation_is_cut_at_whitespace():
    sentence = " ".join(f"كلمة{i}" for i in range(5000))
    chunks = split_long(sentence, words, 100)
    assert all(words(c) <= 100 for c in chunks)
    assert len(chunks) == 50
    assert squeeze("".join(chunks)) == squeeze(sentence)


def test_a_single_overlong_word_is_cut_between_characters():
    blob = "ب" * 1000
    chunks = split_long(blob, lambda s: len(s) // 4 + 1, 20)
    assert all(len(c) // 4 + 1 <= 20 for c in chunks)
    assert "".join(chunks) == blob


def test_a_sentence_that_fits_is_returned_unchanged():
    assert split_long("جملة قصيرة.", words, 10) == ["جملة قصيرة."]


# Text drawn from what the dumps contain: Arabic and Latin letters, Arabic-Indic
# and Latin digits, every mark the splitter looks at, quotes, brackets,
# whitespace of several kinds and invisible bidi controls.
_ALPHABET = st.sampled_from(
    list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإةى")
    + list("abcXYZ")
    + list("0123456789٠١٢٣٤٥٦٧٨٩")
    + list(".!?؟؛۔…،,;:«»“”\"'()[]٫")
    + [" ", " ", " ", "\n", "\t", "\u00a0", "\u200f", "\u200b", "\u202b", "\u2067"]
)
_TEXT = st.lists(_ALPHABET, max_size=400).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_splitting_never_loses_text(text):
    sentences = split_arabic(text)
    assert squeeze("".join(sentences)) == squeeze(text)
    assert all(s == s.strip() and s for s in sentences)


def _token_count(text: str) -> int:
    # a stand-in for a subword tokenizer: a token per word plus one per 4 characters
    return sum(1 + len(w) // 4 for w in text.split())


@settings(max_examples=200, deadline=None)
@given(_TEXT, st.integers(min_value=2, max_value=30))
def test_long_splitting_never_loses_text_and_respects_the_limit(text, limit):
    for sentence in split_arabic(text):
        chunks = split_long(sentence, _token_count, limit)
        assert squeeze("".join(chunks)) == squeeze(sentence)
        assert all(_token_count(c) <= limit or len(c) == 1 for c in chunks)
