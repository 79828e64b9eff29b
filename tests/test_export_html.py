"""report.html without a browser: escaping, no links out, the CSP, RTL markup.

The browser test (test_export_browser.py) checks the same page rendered;
these checks run everywhere and pin down the markup itself.
"""

from __future__ import annotations

import base64
import hashlib
import re

import lxml.html
import pytest

from pipeline.config import Config
from pipeline.export import export_store
from store_factory import AR_SUMMIT, IMG_PAYLOAD, LINK_PAYLOAD, SCRIPT_PAYLOAD, URL_TEXT, seeds_like_store


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("html")
    with seeds_like_store(tmp / "s.sqlite", hostile=True) as store:
        export_store(store, Config.load(), tmp / "out", ["html"])
    return (tmp / "out" / "report.html").read_text(encoding="utf-8")


def test_markup_from_the_dump_is_escaped(html):
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned" in html
    assert "<img" not in html and "&lt;img src=x onerror=" in html
    assert 'href="javascript:' not in html and "&lt;a href=&#34;javascript:" in html
    doc = lxml.html.document_fromstring(html)
    assert len(doc.xpath("//script")) == 1 and not doc.xpath("//img|//iframe|//object|//embed|//link")
    handlers = [(el.tag, a) for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.lower().startswith("on")]
    assert handlers == []
    # the payloads are there, as text
    text = doc.text_content()
    for payload in (SCRIPT_PAYLOAD, IMG_PAYLOAD, LINK_PAYLOAD):
        assert payload in text


def test_no_url_from_the_data_becomes_a_link(html):
    doc = lxml.html.document_fromstring(html)
    hrefs = doc.xpath("//@href | //@src | //@action | //@formaction")
    assert hrefs and all(re.fullmatch(r"#(match|piece)-\d+", h) for h in hrefs)
    assert URL_TEXT.replace("&", "&amp;") in html  # shown, as text


def test_content_security_policy_allows_only_our_inline_style_and_script(html):
    doc = lxml.html.document_fromstring(html)
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert "'unsafe-inline'" not in csp and "http" not in csp

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert directives["script-src"] == digest(script)
    assert directives["style-src"] == digest(style)
    assert " style=" not in html  # inline style attributes would be blocked by the CSP


def test_arabic_is_marked_right_to_left_with_an_arabic_font_stack(html):
    doc = lxml.html.document_fromstring(html)
    arabic = doc.xpath("//*[@lang='ar']")
    assert arabic and all(el.get("dir") == "rtl" for el in arabic)
    assert any(el.text_content() == AR_SUMMIT.paragraphs[0].sentences[0] for el in arabic)
    assert re.search(r'\.ar \{ font-family: "Noto Naskh Arabic", "Amiri", "DejaVu Sans", "Arial", sans-serif;', html)


def test_report_lists_matches_and_pieces_without_coverage(html):
    doc = lxml.html.document_fromstring(html)
    assert len(doc.xpath("//section[starts-with(@id, 'match-')]")) == 2
    uncovered = doc.xpath("//section[starts-with(@id, 'piece-')]")
    assert len(uncovered) == 1 and "no English coverage found" in uncovered[0].text_content()
    assert "no English piece within 14 days" in uncovered[0].text_content()
    rows = doc.xpath("//table[@id='piece-index']/tbody/tr")
    assert len(rows) == 7 and {r.get("data-coverage") for r in rows} >= {"matched", "no_coverage", "pending", "english"}
    section = doc.get_element_by_id("match-1")
    cells = section.xpath(".//table[@class='aligned']/tbody/tr[1]/td")
    assert cells[1].text_content() == AR_SUMMIT.paragraphs[0].sentences[0]
    assert "Syria was not invited to the meeting in Baghdad." in cells[3].text_content()
    assert cells[4].text_content().strip() == "0.81"
