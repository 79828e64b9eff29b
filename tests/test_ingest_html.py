"""HTML pages keep their structure: containers, markup metadata first, and bad markup that never crashes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.ingest import CutOptions, ingest_paths, read_source
from pipeline.ingest.html import cut_html
from pipeline.store import open_store

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev-dumps"
TODAY = date(2024, 9, 1)
OPTIONS = CutOptions(today=TODAY)
BODY = (
    "<p>Leaders gathered in Baghdad on Saturday for a regional summit aimed at easing tensions across the Middle "
    "East, officials said.</p><p>The meeting was attended by the presidents of France and Egypt and by the king "
    "of Jordan, who called for calm.</p>"
)
BODY_2 = (
    "<p>Lebanon's parliament failed again on Thursday to elect a president, the twelfth failed session since the "
    "post fell vacant.</p><p>Speaker Nabih Berri said he would call another session next week.</p>"
)


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def test_dev_dump_one_piece_per_article_with_markup_metadata():
    gold = json.loads((DEV / "gold.json").read_text(encoding="utf-8"))["pieces"]
    (document,) = read_source(DEV / "B_aug2024_roundup.html")
    pieces = cut_html(document.text, OPTIONS)
    assert len(pieces) == len(gold) == 14
    for piece, expected in zip(pieces, gold, strict=True):
        assert piece.title == expected["title"], expected["piece_id"]  # h1, or none: never "Support truly"
    arabic = [p for p, g in zip(pieces, gold, strict=True) if g["lang"] == "ar"]
    assert all(p.author == "الميادين نت" and p.outlet == "Al Mayadeen" for p in arabic)  # author span, URL domain
    assert [p.date for p in arabic] == [g["date"][:10] for g in gold if g["lang"] == "ar"]  # <time datetime>
    walz = pieces[1]
    assert (walz.author, walz.date) == ("Koang Pal", "2024-08-06")  # "Author: Koang Pal | Published: 2 hours ago"
    assert not any("Getty Images" in p for p in walz.paragraphs)  # the photo caption is metadata
    assert all("tags" not in p.as_dict() for p in pieces)
    assert not any("طوفان الأقصى,المقاومة" in para for p in arabic for para in p.paragraphs)  # tag lists are metadata


def test_several_articles_are_cut_at_their_containers():
    html = page(
        f"<article><h1>Iraq summit opens</h1><time datetime='2021-08-28'>Saturday</time>{BODY}</article>"
        f"<article><h2>Parliament fails to elect a president</h2>{BODY_2}</article>"
    )
    first, second = cut_html(html, OPTIONS)
    assert (first.title, first.date, first.paragraphs[0][:7]) == ("Iraq summit opens", "2021-08-28", "Leaders")
    assert (second.title, second.date, second.paragraphs[0][:7]) == ("Parliament fails to elect a president", None, "Lebanon")


def test_asides_footers_and_figure_captions_are_not_body_text():
    html = page(
        "<article><h1>Iraq summit opens</h1><figure><img src='x.jpg'><figcaption>Leaders arrive in Baghdad on "
        "Saturday for the summit</figcaption></figure>" + BODY + "<aside><ul><li>Other story one about Iraq</li>"
        "<li>Other story two about Iraq</li></ul></aside><footer>Filed under Iraq, Summit <span class='author'>"
        "Jane Doe</span></footer></article>"
    )
    (piece,) = cut_html(html, OPTIONS)
    assert piece.author == "Jane Doe" and len(piece.paragraphs) == 2 and piece.paragraphs[0].startswith("Leaders gathered")


def test_cards_of_a_listing_page_are_teasers():
    cards = "".join(
        f"<article><h2>{h}</h2><p>{b}</p></article>"
        for h, b in [
            ("Berri calls session to elect a president", "Speaker Nabih Berri called a session to elect a president next week."),
            (
                "Mikati says the army is ready to deploy",
                "Caretaker Prime Minister Najib Mikati said the army is ready to deploy.",
            ),
        ]
    )
    pieces = cut_html(page(cards + f"<article><h1>Iraq summit opens</h1>{BODY}</article>"), OPTIONS)
    assert [(p.kind, p.title) for p in pieces] == [
        ("teaser", "Berri calls session to elect a president"),
        ("teaser", "Mikati says the army is ready to deploy"),
        ("article", "Iraq summit opens"),
    ]


def test_repeated_containers_without_article_elements():
    html = page(
        "<div class='nav'>Home</div>"
        + "".join(
            f"<div class='post'><h3>{title}</h3>{body}</div>"
            for title, body in [("Iraq summit opens", BODY), ("Parliament fails to elect a president", BODY_2)]
        )
    )
    assert [p.title for p in cut_html(html, OPTIONS)] == ["Iraq summit opens", "Parliament fails to elect a president"]


def test_microdata_and_json_ld_give_headline_date_author_publisher():
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
        '"headline": "Parliament fails to elect a president", "datePublished": "2023-06-14T11:00:00+03:00", '
        '"author": {"@type": "Person", "name": "Hussein Dakroub"}, "publisher": {"@type": "Organization", "name": "The Daily Star"}}</script>'
    )
    micro = (
        f"<div itemscope itemtype='https://schema.org/NewsArticle'><span itemprop='author' itemscope "
        f"itemtype='https://schema.org/Person'><span itemprop='name'>Jane Doe</span></span>"
        f"<meta itemprop='datePublished' content='2021-08-28'><p itemprop='headline'>Iraq summit opens</p>{BODY}</div>"
    )
    (piece,) = cut_html(page(f"<article>{BODY_2}</article>", head), OPTIONS)
    assert (piece.title, piece.date, piece.author, piece.outlet) == (
        "Parliament fails to elect a president",
        "2023-06-14",
        "Hussein Dakroub",
        "The Daily Star",
    )
    (piece,) = cut_html(page(micro), OPTIONS)
    assert (piece.title, piece.date, piece.author) == ("Iraq summit opens", "2021-08-28", "Jane Doe")


# -- bad input: a piece with what could be read, and the reason for what could not ------------------------


def test_no_article_container_gives_the_page_text_and_says_so():
    html = page(
        "<nav>Home | World</nav><h1>Iraq summit opens</h1>" + BODY, "<meta property='og:site_name' content='Example News'>"
    )
    (piece,) = cut_html(html, OPTIONS)
    assert piece.paragraphs[0].startswith("Leaders gathered") and piece.outlet == "Example News"
    assert any("no article container" in note for note in piece.notes)


def test_nested_articles_are_pieces_of_their_own():
    html = page(
        f"<article><h1>Roundup of the day</h1><p>Our editors picked two stories for you today, from Baghdad "
        f"and from Beirut, with the context you need to read them.</p>"
        f"<article><h2>Iraq summit opens</h2>{BODY}</article>"
        f"<article><h2>Parliament fails to elect a president</h2>{BODY_2}</article></article>"
    )
    pieces = cut_html(html, OPTIONS)
    assert [p.title for p in pieces] == ["Roundup of the day", "Iraq summit opens", "Parliament fails to elect a president"]
    assert not any("Leaders gathered" in para for para in pieces[0].paragraphs)  # the inner text is not the outer's
    assert any("nested" in note for note in pieces[0].notes)


def test_broken_json_ld_is_noted_and_the_good_block_still_read():
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Broken, no closing brace"</script>'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Iraq summit opens", "datePublished": "2021-08-28"}</script>'
    )
    (piece,) = cut_html(page(f"<article>{BODY}</article>", head), OPTIONS)
    assert (piece.title, piece.date) == ("Iraq summit opens", "2021-08-28")
    assert any("JSON-LD block 1 is not valid JSON" in note for note in piece.notes)


def test_the_articles_own_date_wins_over_the_pages_and_the_conflict_is_noted():
    head = "<meta property='article:published_time' content='2021-09-30T08:00:00'>"
    (piece,) = cut_html(
        page(f"<article><h1>Iraq summit opens</h1><time datetime='2021-08-28'>28 Aug</time>{BODY}</article>", head), OPTIONS
    )
    assert piece.date == "2021-08-28"
    assert any("2021-09-30" in note and "article's is used" in note for note in piece.notes)


@pytest.mark.parametrize("bad,reason", [("2031-05-01", "in the future"), ("1985-03-02", "before 1990")])
def test_a_future_or_ancient_date_is_flagged_not_used(bad, reason):
    head = "<meta property='article:published_time' content='2021-08-28T08:00:00'>"
    (piece,) = cut_html(
        page(f"<article><h1>Iraq summit opens</h1><time datetime='{bad}'>x</time>{BODY}</article>", head), OPTIONS
    )
    assert piece.date == "2021-08-28"  # the page's date, the article's own being impossible
    assert any(bad in note and reason in note and "not used" in note for note in piece.notes)
    (alone,) = cut_html(page(f"<article><h1>Iraq summit opens</h1><time datetime='{bad}'>x</time>{BODY}</article>"), OPTIONS)
    assert alone.date is None and any(reason in note for note in alone.notes)  # never a silently wrong date


def test_a_2000_character_heading_is_not_a_title_but_its_text_is_kept():
    heading = ("The minister said " * 120)[:2000]
    (piece,) = cut_html(page(f"<article><h1>{heading}</h1>{BODY}</article>"), OPTIONS)
    assert piece.title is None or len(piece.title) <= 300
    assert any(heading.strip() in para for para in piece.paragraphs)
    assert any("2,000 characters" in note and "not a title" in note for note in piece.notes)


def test_a_page_in_a_legacy_encoding_declared_only_in_meta_charset(tmp_path):
    arabic = (
        "<html><head><meta charset='iso-8859-6'></head><body><article><h1>سوريا لم تنتظر دعوتها</h1>"
        "<p>قال مصدر دبلوماسي عربي في دمشق إن الحكومة السورية لم تنتظر دعوتها إلى القمة لتعلن موقفها من الجوار.</p>"
        "<p>وأضاف المصدر أن العلاقات مع العراق تسير في الاتجاه الصحيح منذ أشهر.</p></article></body></html>"
    )
    path = tmp_path / "legacy.html"
    path.write_bytes(arabic.encode("iso-8859-6"))
    with open_store(tmp_path / "s.sqlite") as store:
        report = ingest_paths(store, Config({}), [path])
        assert report.errors == [] and report.pieces_new == 1
        (piece,) = store.load_pieces()
        title, text = piece.title, piece.text
        encoding = store.sources()[0].encoding
    assert (title, encoding) == ("سوريا لم تنتظر دعوتها", "iso8859-6") and text.startswith("قال مصدر دبلوماسي")


def test_markup_is_inert_and_odd_input_never_crashes():
    assert cut_html("") == [] and cut_html("   ") == []
    for odd in [
        "<html",
        "<<<>>>",
        "<article></article>",
        "<article><h1></h1></article>",
        "\x00\x01<p>x</p>",
        "<article><p>" + "word " * 5000 + "</p></article>",
    ]:
        cut_html(odd, OPTIONS)
    html = page(
        "<article onclick='steal()'><h1>Iraq summit opens</h1><script>SECRET()</script>"
        "<style>.x{}</style><iframe src='javascript:SECRET()'></iframe>" + BODY + "</article>",
        '<script type=\'application/ld+json\'>{"@type": "NewsArticle", "headline": "<script>SECRET()</script>"}</script>',
    )
    (piece,) = cut_html(html, OPTIONS)
    assert "SECRET" not in piece.text and piece.title == "Iraq summit opens"


def test_notes_reach_the_store(tmp_path):
    path = tmp_path / "p.html"
    path.write_text(
        page(f"<article><h1>Iraq summit opens</h1><time datetime='2999-01-01'>x</time>{BODY}</article>"), encoding="utf-8"
    )
    with open_store(tmp_path / "s.sqlite") as store:
        ingest_paths(store, Config({}), [path])
        (piece,) = store.load_pieces()
    assert piece.date is None and piece.kind == "article" and any("2999-01-01 is in the future" in note for note in piece.notes)
