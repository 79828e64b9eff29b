"""Property tests: the segmenter never crashes and never loses a line that is not chrome."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import CutOptions, cut_dump
from pipeline.ingest.chrome import DEFAULT_FILTER
from pipeline.ingest.cutter import accounting_problems

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED_LINES = sorted(
    {line for path in SEEDS.glob("*.txt") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
)
SPECIAL_LINES = [
    "Related News",
    "مقالات مرتبطة",
    "Link to comment",
    "Share on other sites",
    "Recommended Posts",
    "Visual search query image",
    "  • Thanks 3",
    "6 hours ago, someone said:",
    "27 Jul 2021",
    "الأربعاء 18 آب 2021",
    "By Staff, Agencies",
    "باريس – نضال حمادة",
    "date 2020-10-22 Shafaq News/ something happened today.",
    "Headline | Site",
    "x.jpg",
    "Source: Press TV",
    "",
    "   ",
    "\t",
    "\u00a0",
]
ALPHABET = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "S", "Zs"),
    include_characters="ابتثجحخدذرزسشصضطظعغفقكلمنهوية،؛؟«»ـ \t\u00a0\u200f",
)
LINE = st.one_of(
    st.sampled_from(SEED_LINES),
    st.sampled_from(SPECIAL_LINES),
    st.text(ALPHABET, max_size=120),
)
DOCUMENT = st.lists(st.tuples(LINE, st.sampled_from(["\n", "\n\n", "\r\n", "\n\n\n"])), max_size=60).map(
    lambda parts: "".join(line + sep for line, sep in parts)
)


def check(text: str, options: CutOptions) -> None:
    result = cut_dump(text, options)
    assert accounting_problems(text, result) == []
    for piece in result.pieces:
        assert piece.paragraphs and all(p.strip() for p in piece.paragraphs)
        for paragraph in piece.paragraphs:
            assert DEFAULT_FILTER.match(paragraph) is None  # chrome never inside a piece
        assert piece.date is None or len(piece.date) in (10, 16)
    for record in result.removed_lines:
        assert record.reason.startswith(("chrome:", "separator:")) or record.reason in {
            "no-body",
            "forum-reply",
            "forum-comment",
            "forum-header",
        }


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_cut_dump_never_crashes_and_accounts_for_every_line(text):
    check(text, CutOptions(wrapped=False))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_same_with_hard_wrapped_blocks(text):
    check(text, CutOptions(wrapped=True))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_any_unicode_at_all(text):
    check(text, CutOptions())
