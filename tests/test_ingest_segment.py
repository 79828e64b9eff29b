"""Segmentation of the real sample dumps: one piece per article, chrome out, every line accounted for."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from pipeline.ingest import cut_dump
from pipeline.ingest.chrome import DEFAULT_FILTER
from pipeline.ingest.cutter import accounting_problems
from pipeline.ingest.pieces import CutResult
from pipeline.ingest.script import arabic_share
from pipeline.records import content_id

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@cache
def seed(prefix: str) -> CutResult:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return cut_dump(path.read_text(encoding="utf-8"))


def seed_text(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def by_title(result: CutResult, start: str):
    found = [p for p in result.pieces if p.title and p.title.startswith(start)]
    assert len(found) == 1, f"expected one piece titled {start!r}, got {[p.title for p in result.pieces]}"
    return found[0]


def assert_every_line_accounted(text: str, result: CutResult) -> None:
    assert accounting_problems(text, result) == []


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_input_line_is_in_one_piece_or_removed(prefix):
    assert_every_line_accounted(seed_text(prefix), seed(prefix))


@pytest.mark.parametrize("prefix,low,high", [("000", 9, 11), ("001", 1, 1), ("002", 7, 9), ("003", 22, 27), ("004", 1, 1)])
def test_piece_count_per_seed(prefix, low, high):
    assert low <= len(seed(prefix).pieces) <= high


ARABIC_TITLES_003 = [
    "سوريا لم تنتظر دعوتها",  # Al-Akhbar, Syria and the Baghdad summit
    "من الخارج إلى الداخل وبالعكس: آل سلمان",  # Al-Akhbar, Ibrahim al-Amine, part 1
    "من الخارج إلى الداخل وبالعكس [2]",  # part 2
    "بايدن يغازل طهران",  # Al-Binaa
    "هكذا تحاصر أميركا لبنان وسورية",  # Al-Binaa 1/2
    "حرب المعابر",  # Al-Binaa 2/2
]


def test_seed_003_has_six_arabic_pieces_each_on_its_own():
    result = seed("003")
    arabic = [p for p in result.pieces if p.script == "ar"]
    assert [p.title for p in arabic] == [by_title(result, t).title for t in ARABIC_TITLES_003]
    for piece in arabic:
        # all-Arabic: no English paragraph glued before or after
        for paragraph in piece.paragraphs:
            assert arabic_share(paragraph) > 0.8, (piece.title, paragraph[:80])


def test_seed_003_english_pieces_carry_no_arabic_text():
    for piece in seed("003").pieces:
        if piece.script != "ar":
            for paragraph in piece.paragraphs:
                assert arabic_share(paragraph) < 0.2, (piece.title, paragraph[:80])


def test_seed_003_arabic_pieces_neighbours_end_and_start_where_they_should():
    result = seed("003")
    titles = [p.title or "" for p in result.pieces]
    syria = titles.index(by_title(result, "سوريا لم تنتظر دعوتها").title)
    assert titles[syria - 1] == "Baghdad summit"
    assert titles[syria + 1].startswith("Iraqi Resistance Groups Vow to Force US Troops")
    before_series = titles.index(by_title(result, ARABIC_TITLES_003[1]).title) - 1
    assert titles[before_series].startswith("Bomber Joe Biden Strikes Iraq and Syria")
    assert result.pieces[before_series].paragraphs[-1].startswith("So, Joe Biden and whoever is advising him")
    after_binaa = titles.index(by_title(result, "حرب المعابر").title) + 1
    assert titles[after_binaa] == "USA TO IRAQ: WE WILL WITHDRAW BUT WITHOUT BEING HUMILIATED"


@pytest.mark.parametrize(
    "title,date,author,outlet",
    [
        ("Iraqi resistance group’s leader: 5,000 operations", "2023-05-07T00:24", None, "Press TV"),
        ("Iran: Indictment on case of Martyr Soleimani", "2022-12-31", None, "Al Mayadeen"),
        ("The rise and fall of Muqtada al-Sadr", "2022-09-01", "The Cradle’s Iraq Correspondent", "The Cradle"),
        ("Coordination Framework calls on Sadrist movement", "2022-08-29", None, None),
        ("Iraqi Kataib Hezbollah Refutes National Security", "2021-12-01", None, "Al-Ahed News"),
        ("Iraqi Resistance Groups Vow to Force US Troops", "2021-07-30", "Staff, Agencies", None),
        ("Nujaba: Entire US Military", "2021-07-27", "Staff, Agencies", None),
        ("Iraqi Resistance Lambasts FM’s Remarks", "2021-07-24", None, "Press TV"),
        ("Asaib Ahl Al-Haq: Iraqi Resistance Decided", "2021-07-18", "Staff, Agencies", None),
        ("Bomber Joe Biden Strikes Iraq and Syria", "2021-07-15", "Philip Giraldi", None),
        ("Biden becomes the fourth successive President", "2021-03-04", "Aram Mirzaei", "The Saker"),
        ("Iraqi Army arrests ISIS terrorist", "2020-08-17", "News Desk", None),
        # its own "Date:" line is after its text, but nothing follows it: the dump ends (a date line after the text
        # with another piece's head after it is not taken)
        ("Iraqi PM’s visit to Washington will fail", "2020-07-24", None, "Afaq TV"),
        ("سوريا لم تنتظر دعوتها", "2021-08-18", "محمود عبد اللطيف", "Al-Akhbar"),
        ("من الخارج إلى الداخل وبالعكس: آل سلمان", "2021-05-10", "ابراهيم الأمين", "Al-Akhbar"),
        ("من الخارج إلى الداخل وبالعكس [2]", None, "ابراهيم الأمين", "Al-Akhbar"),
        ("بايدن يغازل طهران", None, "محمد صادق الحسيني", "Al-Binaa"),
        ("هكذا تحاصر أميركا لبنان وسورية", None, "نضال حمادة", "Al-Binaa"),
        ("حرب المعابر", None, "نضال حمادة", "Al-Binaa"),
    ],
)
def test_seed_003_metadata(title, date, author, outlet):
    piece = by_title(seed("003"), title)
    assert (piece.date, piece.author, piece.outlet) == (date, author, outlet)


def test_seed_003_headers_are_metadata_not_body():
    piece = by_title(seed("003"), "سوريا لم تنتظر دعوتها")
    body = piece.text
    assert "الأربعاء 18 آب 2021" not in body  # the date line
    assert "محمود عبد اللطيف" not in body  # the byline
    assert piece.paragraphs[0].startswith("دمشق | لم يقتصر")
    cradle = by_title(seed("003"), "The rise and fall of Muqtada al-Sadr")
    assert cradle.paragraphs[0].startswith("On Monday at noon, Kazem al-Haeri")
    assert "Photo Credit" not in cradle.text and "By The Cradle" not in cradle.text
    # sub-headings inside an article do not start new pieces
    assert "Baghdad on fire" in cradle.paragraphs and "Winners and losers" in cradle.paragraphs


def test_seed_000_articles_and_dates():
    result = seed("000")
    assert result.pieces[0].title.startswith("Shiite authority and America .. behind the scenes")
    assert result.pieces[0].date == "2020-10-22T18:09"
    assert result.pieces[0].outlet == "Shafaq News"
    assert result.pieces[0].paragraphs[0].startswith("Shafaq News / The British")
    assert by_title(result, "Iraqi security forces enter").date == "2020-10-22T22:19"  # 10/22/2020: month first
    kazemi = by_title(result, "Al-Kazemi confirms the Iraqi government")
    assert kazemi.outlet == "Al-Masalla" and kazemi.paragraphs[0].startswith("Baghdad / Obelisk:")
    prince = by_title(result, "Al-Kazemi meets the British Crown Prince")
    assert (prince.date, prince.author, prince.outlet) == ("2020-10-22T15:58", "Ammar Al-Masoudi", "Al Furat News")
    assert "Ammar Al-Masoudi" not in prince.text  # the signature is metadata
    assert by_title(result, "Minister of Finance").outlet == "Baghdad Today"


def test_seeds_000_and_001_carry_the_same_article_with_the_same_id():
    first = seed("000").pieces[0]
    (only,) = seed("001").pieces
    assert content_id(first.text) == content_id(only.text)
    assert "Leave a Reply" not in only.text and "commenting using" not in only.text


def test_seed_002_forum_one_piece_per_article_post():
    # the first post's article has wide gaps between its paragraphs: one more (line 49) starts no piece
    # (pipeline/ingest/decoding.py, "wider-again")
    result = seed("002")
    titles = [p.title for p in result.pieces]
    assert titles[0] == "Tensions Escalate in Iraq Following Drone Strike on Prime Minister's Residence"
    assert result.pieces[0].author == "Rick Moran" and result.pieces[0].date == "2021-11-07T15:59"
    assert titles[1].startswith("Iran: Agreement with Iraq to provide assistance")
    qaani = result.pieces[2]
    assert qaani.date == "2021-11-08T02:16" and qaani.outlet == "Shafaq News"
    assert by_title(result, "UPDATE: Biden’s Gift to Taliban").author == "Jim Hoft"
    assert by_title(result, "Some officials in Baghdad blamed").title == (
        "Some officials in Baghdad blamed Iran-backed groups for the attack on Al-Kazemi's residence"
    )  # the caption scraped twice on one line, once
    everything = "\n".join(p.text for p in result.pieces)
    for not_article in (
        "Thanks Biden administration",
        "said:",
        "currenzcraze",
        "Of course not they are",
        "sneaky cowards",
        "Iraqi officials: Prime minister survives assassination attempt",
        "CRYPTO REWARDS",
    ):
        assert not_article not in everything
    reasons = {r.text: r.reason for r in result.removed_lines}
    assert reasons["6 hours ago, coorslite21 said:"] == "chrome:model"  # a reply: labelled chrome, with what said so
    assert reasons["Iraqi officials: Prime minister survives assassination attempt"].startswith("chrome:")


def test_seed_004_date_label_is_split_off_the_first_paragraph():
    (piece,) = seed("004").pieces
    assert piece.date == "2020-10-22" and piece.outlet == "Shafaq News"
    assert piece.paragraphs[0].startswith("Shafaq News/ The Iranian Supreme Leader")


CHROME_SNIPPETS = [
    "Related News",
    "Related Videos",
    "Related Stories",
    "Related Articles",
    "SHARE THIS ARTICLE",
    "Link to comment",
    "Share on other sites",
    "Visual search query image",
    "Leave a Reply",
    "مقالات مرتبطة",
    "A- A A +",
    "Thanks 3",
    "Upvote 1",
    "Guest views are now limited",
    "You can post now and register later",
    "Jump to content",
    "Recommended Posts",
    ".jpg",
    ".jpeg",
    "LATEST NEWS",
    "Read more:",
    "Advertisement",
    "See the source image",
    "www.presstv",
    "Press TV’s website can also be accessed",
]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_chrome_never_inside_a_piece(prefix):
    for piece in seed(prefix).pieces:
        for paragraph in piece.paragraphs:
            assert DEFAULT_FILTER.match(paragraph) is None
            for snippet in CHROME_SNIPPETS:
                assert snippet not in paragraph, (snippet, piece.title)
        assert piece.title is None or DEFAULT_FILTER.match(piece.title) is None


def test_titles_are_not_part_of_the_text():
    for prefix in ("000", "002", "003"):
        for piece in seed(prefix).pieces:
            if piece.title:
                assert piece.paragraphs[0] != piece.title


def test_reaction_bullets_and_image_names_are_removed_with_a_reason():
    removed = {r.text: r.reason for r in seed("002").removed_lines}
    assert removed["• Thanks 3"].startswith("chrome:")
    assert removed["mil-1.jpeg"] == "chrome:image-file"
    assert re.match(r"(?:chrome|separator):forum-post-end", removed["Link to comment"])


def test_hard_wrapped_text_is_joined_into_paragraphs():
    text = (
        "Iraqi parliament meets to elect a speaker\n\n27 Jul 2021\n\n"
        "The Iraqi parliament met on Monday for the first session since the\n"
        "October election, and lawmakers began the process of choosing a new\n"
        "speaker amid deep divisions between the political blocs.\n\n"
        "The session was chaired by the oldest member, as the constitution\n"
        "requires, and was broadcast live on state television channels.\n"
    )
    (piece,) = cut_dump(text).pieces
    assert piece.title == "Iraqi parliament meets to elect a speaker" and piece.date == "2021-07-27"
    assert len(piece.paragraphs) == 2
    assert piece.paragraphs[0].startswith("The Iraqi parliament met on Monday for the first session since the October")


ENGLISH_BODY = (
    "The Iraqi parliament met on Monday for the first session since the October election, and lawmakers began "
    "the long process of choosing a new speaker amid deep divisions between the blocs.\n\n"
)


def test_a_short_arabic_quote_inside_an_english_article_stays_in_it():
    text = (
        "Parliament meets to elect a speaker\n\n27 Jul 2021\n\n"
        + ENGLISH_BODY
        + "«لن نقبل بأي تدخل خارجي»\n\n"
        + ENGLISH_BODY.replace("Monday", "Tuesday")
    )
    (piece,) = cut_dump(text).pieces
    assert len(piece.paragraphs) == 3 and piece.script == "latin"


def test_an_arabic_article_after_an_english_one_starts_a_piece_even_without_a_headline():
    arabic = (
        "قالت مصادر وثيقة الصلة بمطبخ صناعة القرار الإيراني بأنّ رئيس الوزراء العراقي مصطفى الكاظمي تلقى رسالة "
        "خاصة من فريق بايدن يطلب منه نقلها الى أصدقائه في طهران، وقد قام الكاظمي بإرسال موفد عنه الى طهران.\n"
    )
    result = cut_dump(
        "Parliament meets to elect a speaker\n\n27 Jul 2021\n\n"
        + ENGLISH_BODY
        + ENGLISH_BODY.replace("Monday", "Tuesday")
        + arabic
    )
    assert [p.script for p in result.pieces] == ["latin", "ar"]
    assert result.pieces[1].start_rule == "model:B-body" and result.pieces[1].title is None


@pytest.mark.xfail(
    strict=True,
    reason="issue 21: the learned segmenter (feature version 6) labels the second headline of this short made-up dump "
    "chrome, so no piece starts at it (also with another body under it)",
)
def test_sub_headings_do_not_start_pieces_but_headline_plus_date_does():
    text = (
        "First headline about the summit\n\n2021-08-28\n\n"
        + ENGLISH_BODY
        + "What now?\n\n"
        + ENGLISH_BODY
        + "Second headline about something else\n\n29 Aug 2022\n\n"
        + ENGLISH_BODY
    )
    result = cut_dump(text.replace("Monday", "Tuesday", 1).replace("Monday", "Wednesday", 1))
    assert [p.title for p in result.pieces] == ["First headline about the summit", "Second headline about something else"]
    assert "What now?" in result.pieces[0].paragraphs
    assert [p.date for p in result.pieces] == ["2021-08-28", "2022-08-29"]
