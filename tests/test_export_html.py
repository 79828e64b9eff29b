"""report.html and its folder without a browser: escaping, links, the CSP, RTL markup, pages, pictures.

The browser test (test_export_browser.py) checks the same pages rendered;
these checks run everywhere and pin down the markup itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import lxml.html
import pytest
from store_factory import AR_SUMMIT, IMG_PAYLOAD, LINK_PAYLOAD, SCRIPT_PAYLOAD, URL_TEXT, seeds_like_store

from pipeline.config import Config
from pipeline.export import export_store
from pipeline.export.data import load_export_data
from pipeline.export.html import ReportOptions, render_report

OWN_LINK = re.compile(r"#(pictures|pieces|pages)|report/(matches|pieces)-\d{4}\.html")
PAGE_LINK = re.compile(r"\.\./report\.html|(matches|pieces)-\d{4}\.html|#(match|piece)-\d+-s\d+")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    with seeds_like_store(tmp / "s.sqlite", hostile=True) as store:
        export_store(store, Config.load(), tmp / "out", ["html"])
    return tmp / "out"


@pytest.fixture(scope="module")
def html(out) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def _pages(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((out / "report").glob("*.html"))}


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _csp(doc) -> dict[str, str]:
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and "http" not in csp
    return dict(d.strip().split(" ", 1) for d in csp.split(";"))


def test_the_folder_holds_the_index_its_pages_and_the_search_shards(out):
    assert sorted(p.name for p in (out / "report").glob("*.html")) == ["matches-0001.html", "pieces-0001.html"]
    shards = list((out / "report" / "search").glob("*.js"))
    assert shards and all(re.fullmatch(r"[0-9a-f]{4}-[0-9a-f]{4}\.js", p.name) for p in shards)


def test_markup_from_the_dump_is_escaped_everywhere(out, html):
    for name, text in {"report.html": html, **_pages(out)}.items():
        assert "<script>window.__pwned" not in text and "<img" not in text and 'href="javascript:' not in text, name
        doc = lxml.html.document_fromstring(text)
        assert not doc.xpath(
            "//img|//iframe|//object|//embed|//link|//foreignObject|//*[local-name()='script' and ancestor::*[local-name()='svg']]"
        )
        handlers = [(el.tag, a) for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.lower().startswith("on")]
        assert handlers == [], name
        assert " style=" not in text, name  # inline style attributes would be blocked by the CSP (the SVG has none)
    page = lxml.html.document_fromstring(_pages(out)["matches-0001.html"]).text_content()
    for payload in (SCRIPT_PAYLOAD, IMG_PAYLOAD, LINK_PAYLOAD):
        assert payload in page  # shown, as text
    # the index's rows are JSON in a data block: the payloads are there, with < and > escaped
    doc = lxml.html.document_fromstring(html)
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/json", None]
    rows = json.loads(scripts[0].text)["rows"]
    assert any(SCRIPT_PAYLOAD in cell for row in rows for cell in row if isinstance(cell, str))
    assert "\\u003cscript\\u003ewindow.__pwned" in html


def test_no_url_from_the_data_becomes_a_link(out, html):
    doc = lxml.html.document_fromstring(html)
    hrefs = doc.xpath("//@href | //@src | //@action | //@formaction | //@*[local-name()='href']")
    assert hrefs and all(OWN_LINK.fullmatch(h) or (h.startswith("#") and h[1:] in doc.xpath("//@id")) for h in hrefs), hrefs
    for name, text in _pages(out).items():
        page = lxml.html.document_fromstring(text)
        assert all(PAGE_LINK.fullmatch(h) for h in page.xpath("//@href | //@src")), name
    assert URL_TEXT.replace("&", "&amp;") in _pages(out)["matches-0001.html"]  # shown, as text


def test_content_security_policy_allows_only_our_inline_style_and_script(out, html):
    doc = lxml.html.document_fromstring(html)
    directives = _csp(doc)
    assert directives["default-src"] == "'none'" and directives["img-src"] == "'none'"
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert directives["script-src"] == _digest(script) + " 'strict-dynamic'"
    assert directives["style-src"] == _digest(style)
    for text in _pages(out).values():
        page = _csp(lxml.html.document_fromstring(text))
        assert page["script-src"] == "'none'" and page["style-src"] == _digest(style)
        assert "<script" not in text


def test_arabic_is_marked_right_to_left_with_an_arabic_font_stack(out, html):
    page = lxml.html.document_fromstring(_pages(out)["matches-0001.html"])
    arabic = page.xpath("//*[@lang='ar']")
    assert arabic and all(el.get("dir") == "rtl" for el in arabic)
    assert any(el.text_content() == AR_SUMMIT.paragraphs[0].sentences[0] for el in arabic)
    assert re.search(r'\.ar \{ font-family: "Noto Naskh Arabic", "Amiri", "DejaVu Sans", "Arial", sans-serif;', html)


def test_pages_hold_the_matches_and_the_pieces_without_coverage(out):
    pages = {n: lxml.html.document_fromstring(t) for n, t in _pages(out).items()}
    assert len(pages["matches-0001.html"].xpath("//section[starts-with(@id, 'match-')]")) == 2
    uncovered = pages["pieces-0001.html"].xpath("//section[starts-with(@id, 'piece-')]")
    assert len(uncovered) == 1 and "no English coverage found" in uncovered[0].text_content()
    assert "no English piece within 14 days" in uncovered[0].text_content()
    section = pages["matches-0001.html"].get_element_by_id("match-1")
    cells = section.xpath(".//table[@class='aligned']/tbody/tr[1]/td")
    assert cells[1].text_content() == AR_SUMMIT.paragraphs[0].sentences[0]
    assert "Syria was not invited to the meeting in Baghdad." in cells[3].text_content()
    assert cells[4].text_content().strip() == "0.81"
    text = section.text_content()
    assert "The English piece appeared 10 days later." in text  # the date gap in words
    # diagnostics: only the flagged sentence, in words; the values behind a disclosure
    flags = section.xpath(".//ul[@class='flags']/li")
    assert len(flags) == 1 and flags[0].text_content().startswith("Sentence 4: odd length")
    assert "2.4× the Arabic's length" in flags[0].text_content()
    assert flags[0].xpath(".//a/@href") == ["#match-1-s4"] and section.xpath(".//tr[@id='match-1-s4']")
    clean_row = section.xpath(".//tr[@id='match-1-s1']/td[@class='flagcell']")[0]
    assert clean_row.text_content().strip() == ""  # nothing shown for a clean sentence
    raw = flags[0].xpath(".//details[@class='raw']")[0].text_content()  # the measured values, behind a disclosure
    assert "char_ratio 2.4" in raw and "max_repeats 4" in raw and "1.08" not in section.text_content()


def test_index_rows_carry_what_the_table_sorts_filters_and_reviews(html):
    payload = json.loads(lxml.html.document_fromstring(html).xpath("//script[@type='application/json']")[0].text)
    rows = [dict(zip(payload["fields"], row)) for row in payload["rows"]]
    assert [r["number"] for r in rows] == list(range(1, 8))
    summit = next(r for r in rows if r["id"] == AR_SUMMIT.id)
    assert summit["matches"] == [[1, 1, 0.74]] and summit["score"] == 0.74 and summit["diag"] == "flagged"
    assert summit["flags"] == ["length_ratio", "repetition"] and summit["review"] == ["1 flagged sentence"]
    hostile = next(r for r in rows if r["id"] == "deadbeefdeadbeef")
    assert hostile["review"][0] == "match 2 scored 0.55, just above the threshold 0.50"
    uncovered = next(r for r in rows if r["coverage"] == "no_coverage")
    assert uncovered["page"] == 1 and uncovered["matches"] == []


def test_pictures_have_their_numbers_and_unique_ids(html):
    doc = lxml.html.document_fromstring(html)
    figures = doc.xpath("//figure[@class='chart-box']")
    assert [f.get("id") for f in figures] == [
        "chart-scores",
        "chart-outlets",
        "chart-days",
        "chart-diagnostics",
        "chart-diagnostics-outlets",
        "chart-evaluation",
    ]
    drawn = {f.get("id") for f in figures if f.xpath(".//*[local-name()='svg']")}
    assert drawn == {"chart-scores", "chart-outlets", "chart-days", "chart-diagnostics", "chart-diagnostics-outlets"}
    for figure in figures:
        svg = figure.xpath(".//*[local-name()='svg']")
        if svg:
            assert svg[0].get("role") == "img" and svg[0].get("aria-labelledby") == figure.get("id") + "-caption"
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids))
    scores = doc.xpath("//table[@data-chart='chart-scores']/tbody/tr")
    assert sum(int(r.xpath("td")[1].text) for r in scores) == 2  # two matches
    assert scores[-1].xpath("th")[0].text == "no candidate" and scores[-1].xpath("td")[2].text == "1"


def test_the_index_is_the_same_for_the_same_store(tmp_path):
    with seeds_like_store(tmp_path / "s.sqlite", hostile=True) as store:
        data = load_export_data(store)
    data.generated_at = "fixed"
    assert render_report(data) == render_report(data)


def test_pages_of_an_earlier_export_that_this_one_did_not_write_are_removed(tmp_path):
    with seeds_like_store(tmp_path / "s.sqlite", hostile=True) as store:
        config = Config.load(None, {"export.report_page_size": 1})
        export_store(store, config, tmp_path / "out", ["html"])
        assert sorted(p.name for p in (tmp_path / "out" / "report").glob("*.html")) == [
            "matches-0001.html",
            "matches-0002.html",
            "pieces-0001.html",
        ]
        (tmp_path / "out" / "report" / "notes.html").write_text("mine")  # not ours: kept
        export_store(store, Config.load(), tmp_path / "out", ["html"])
    assert sorted(p.name for p in (tmp_path / "out" / "report").glob("*.html")) == [
        "matches-0001.html",
        "notes.html",
        "pieces-0001.html",
    ]


def test_page_size_splits_the_matches(tmp_path):
    with seeds_like_store(tmp_path / "s.sqlite", hostile=True) as store:
        data = load_export_data(store)
    html = render_report(data, ReportOptions(page_size=1))
    assert 'href="report/matches-0002.html"' in html


# -- what the report says in words, and its pictures (issue 23) ------------------------------------------------


def test_same_spelling_is_said_only_of_identical_spellings():
    from pipeline.export.readable import entity_pairs

    evidence = {
        "shared_entities": [
            {"source": "Caroline Wilson", "target": "Carolyn Wilson", "how": "exact", "weight": 2.0},
            {"source": "Baghdad", "target": "Baghdad", "how": "exact", "weight": 1.0},
            {"source": "BAGHDAD", "target": "Baghdad", "how": "exact", "weight": 1.0},
        ]
    }
    assert [p.how for p in entity_pairs(evidence)] == [
        "the same name after folding transliteration, spelt differently",
        "same spelling",
        "same spelling but for letter case",
    ]


def test_log_odds_ranks_matches_whose_scores_round_to_one():
    from pipeline.export.readable import log_odds

    weights = {"bias": -15.5, "sentences": 18.1, "lexical": 4.0, "entities": 1.1, "date": 2.0}
    strong = {"components": {"sentences": 1.0, "lexical": 0.9, "entities": 0.8, "date": None}, "weights": weights}
    stronger = {"components": {"sentences": 1.0, "lexical": 1.0, "entities": 1.0, "date": 1.0}, "weights": weights}
    assert log_odds(strong) == pytest.approx(-15.5 + 18.1 + 3.6 + 0.88) and log_odds(stronger) > log_odds(strong) > 6
    assert round(1 / (1 + 2.718281828 ** -log_odds(strong)), 2) == 1.0  # the score cannot tell them apart
    assert log_odds({"components": {"sentences": 1.0}}) is None  # no weights recorded: unknown, not guessed


def test_an_abstention_names_its_closest_candidate_by_title_with_a_link_and_its_text(tmp_path):
    from store_factory import AR_NO_COVERAGE, EN_OTHER, EN_SUMMIT, build_store

    from pipeline.records import Alignment

    near = Alignment(
        piece_id=AR_NO_COVERAGE.id,
        status="no_coverage",
        reason="no English coverage found: best candidate scored 0.310 < threshold 0.41",
        candidate_id=EN_OTHER.id,
        candidate_score=0.31,
        threshold=0.41,
    )
    with build_store(
        tmp_path / "s.sqlite", [AR_NO_COVERAGE, EN_SUMMIT, EN_OTHER], no_coverage={AR_NO_COVERAGE.id: near}
    ) as store:
        export_store(store, Config.load(), tmp_path / "out", ["html"])
    page = lxml.html.document_fromstring((tmp_path / "out" / "report" / "pieces-0001.html").read_text(encoding="utf-8"))
    section = page.get_element_by_id("piece-1")
    closest = section.xpath(".//dt[text()='Closest candidate']/following-sibling::dd[1]")[0]
    link = closest.xpath(".//a")[0]
    assert link.text_content() == EN_OTHER.title and link.get("href") == "../report.html#piece-3"  # its row in the index
    assert EN_OTHER.id in closest.text_content() and "0.10 below the threshold 0.41" in closest.text_content()
    assert EN_OTHER.paragraphs[0].sentences[0] in closest.xpath(".//details")[0].text_content()


def test_charts_keep_their_colours_count_from_zero_and_draw_a_bar_a_day(tmp_path):
    from store_factory import AR_NO_COVERAGE, EN_OTHER, EN_SUMMIT, build_store

    from pipeline.export.charts import colour_of, day_chart, score_chart

    # an abstention without a candidate and no match: the score chart's count axis has no negative tick
    with build_store(
        tmp_path / "s.sqlite", [AR_NO_COVERAGE, EN_SUMMIT, EN_OTHER], no_coverage={AR_NO_COVERAGE.id: "none"}
    ) as store:
        data = load_export_data(store)
    chart = score_chart(data, 0.5)
    assert chart.svg is not None and "\u2212" not in str(chart.svg)  # matplotlib writes negative ticks with U+2212
    days = day_chart(data)
    assert [row[0] for row in days.rows] == ["2020-10-22", "2021-05-10", "2021-08-28"]  # a row a day, by day
    assert "one bar a day" in days.caption
    # a category keeps its colour whatever else the store holds or how often it appears
    assert colour_of("en") == colour_of("en") != colour_of("ar translated")
    assert colour_of("fa not routed") == colour_of("fa not routed") and colour_of("repetition") != colour_of("length_ratio")
