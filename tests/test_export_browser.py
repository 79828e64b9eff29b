"""The report in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium), opened from disk.

Checks what only a browser can: the pictures render and their numbers
match summary.json (a seeds run with the tiny model, and a FLORES store with
external translations and an evaluation); search finds an Arabic and an
English word (the Arabic typed without vowels, hamza or article); sorting
and the filters reorder and hide rows; a match page opens from the index and
lays Arabic out right to left; the CSP lets our script (and the search
shards it adds) run and nothing else; markup from a hostile dump stays text;
a table with two text columns gives them the width (no word broken); the
system picker shows each system's translation of a piece; a run that could
not load its model shows one banner with the command that finishes it.
A missing browser is a failure, never a skip (scripts/test installs it).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from reliability_support import SEEDS, cli
from report_fixtures import SECOND, SYSTEM, flores_config, flores_report, seeds_report
from store_factory import AR_NO_COVERAGE, AR_SUMMIT, EN_SUMMIT, IMG_PAYLOAD, LINK_PAYLOAD, SCRIPT_PAYLOAD, seeds_like_store

from pipeline.config import Config
from pipeline.export import export_store
from pipeline.store import open_store

INSTALL = "apt-get install -y --no-install-recommends chromium chromium-driver fonts-noto-core"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]


def _find_browser() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        selenium_ok = False
    else:
        selenium_ok = True
    missing = [n for n, ok in (("chromium", chromium), ("chromedriver", driver), ("selenium", selenium_ok)) if not ok]
    if missing:
        # A real browser is part of the test set-up (scripts/test installs it): its absence is a failure,
        # never a silent skip, so the report's escaping and RTL layout are always checked.
        pytest.fail(
            f"the browser test needs {', '.join(missing)} (Debian: {INSTALL}; Python: pip install -e .[dev]); "
            "scripts/test installs them"
        )
    return chromium, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, chromedriver = _find_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*FLAGS, f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path_factory.mktemp('chromium'))}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """The seeds-like store with a hostile pair, exported: the report's behaviour on known content."""
    tmp = tmp_path_factory.mktemp("hostile")
    with seeds_like_store(tmp / "s.sqlite", hostile=True) as store:
        export_store(store, Config.load(), tmp / "out", ["html"])
    return tmp / "out"


def _open(driver, path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.as_uri())
    if path.name == "report.html":
        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))


def _csp_violations(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if "Content Security Policy" in e.get("message", "")]


# -- pictures and their numbers ------------------------------------------------------------------------

TABLE = """
const table = document.querySelector("table[data-chart='" + arguments[0] + "']");
if (!table) return null;
const head = Array.from(table.querySelectorAll("thead th")).map(th => th.textContent);
return Array.from(table.querySelectorAll("tbody tr")).map(tr => {
  const row = {};
  Array.from(tr.children).forEach((cell, i) => { row[head[i]] = cell.textContent; });
  return row;
});
"""
PICTURE = """
const svg = document.querySelector("#" + arguments[0] + " svg.chart");
if (!svg) return null;
const box = svg.getBoundingClientRect();
return {width: box.width, height: box.height, shapes: svg.querySelectorAll("path, rect, use").length,
        texts: Array.from(svg.querySelectorAll("text")).map(t => t.textContent)};
"""


def _table(driver, chart: str) -> list[dict[str, str]]:
    return driver.execute_script(TABLE, chart)


def _picture(driver, chart: str) -> dict | None:
    return driver.execute_script(PICTURE, chart)


def _check_pictures_against_summary(driver, out: Path, drawn: set[str]) -> dict:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    _open(driver, out / "report.html")
    for chart in drawn:
        picture = _picture(driver, chart)
        assert picture and picture["width"] > 300 and picture["height"] > 60 and picture["shapes"] > 10, chart
    scores = _table(driver, "chart-scores")
    assert sum(int(r["matches"]) for r in scores) == summary["matches"]
    assert sum(int(r["pieces without coverage"]) for r in scores) == summary["abstentions"]
    outlets = _table(driver, "chart-outlets")
    by_lang: dict[str, int] = {}
    for row in outlets:
        for column, value in row.items():
            if column not in {"outlet", "total"}:
                by_lang[column.split()[0]] = by_lang.get(column.split()[0], 0) + int(value)
    assert by_lang == summary["pieces_by_language"]
    assert sum(int(r["total"]) for r in outlets) == sum(summary["pieces_by_language"].values())
    days = _table(driver, "chart-days")
    assert sum(int(r["total"]) for r in days) == sum(summary["pieces_by_status"].values())
    return summary


def test_seeds_run_pictures_render_and_match_summary_json(browser, tmp_path_factory, tiny_model_dir):
    out = seeds_report(tmp_path_factory.mktemp("seeds"), tiny_model_dir)
    drawn = {"chart-scores", "chart-outlets", "chart-days", "chart-diagnostics", "chart-diagnostics-outlets"}
    summary = _check_pictures_against_summary(browser, out, drawn)
    diagnostics = {r["diagnostic"]: int(r["translations flagged"]) for r in _table(browser, "chart-diagnostics")}
    assert diagnostics == summary["diagnostics"]["by_diagnostic"] and sum(diagnostics.values()) > 0
    assert _picture(browser, "chart-evaluation") is None  # no evaluation in this store: said in words
    assert "No evaluation in this store" in browser.find_element("id", "chart-evaluation").text
    # every view works on a real run: needs review lists exactly the rows with a reason, each in words
    wanted = browser.execute_script(
        "const d = JSON.parse(document.getElementById('report-data').textContent);"
        "return d.rows.filter(r => r[d.fields.indexOf('review')].length).length"
    )
    _set(browser, "f-view", "review")
    assert (
        wanted
        and browser.find_element("id", "f-count").text
        == f"{wanted} of {sum(summary['pieces_by_language'].values())} pieces shown"
    )
    reasons = re.compile(
        r"\d+ flagged sentences?|match \d+ scored .* just above the threshold .*|no coverage, but the best candidate .*"
    )
    assert all(reasons.fullmatch(text) for text in _review_texts(browser))
    _set(browser, "f-view", "")
    _search(browser, "سوريا")  # in the title of the seeds' Baghdad-summit piece (written with its vowels there)
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('#piece-index tbody tr')).map(tr => tr.textContent)"
    )
    assert titles and any("سوريا لم تنتظر" in t for t in titles)
    assert _csp_violations(browser) == []


@pytest.fixture(scope="module")
def flores(tmp_path_factory) -> tuple[Path, Path]:
    """The FLORES report (two systems per piece, an evaluation): (work folder, output folder)."""
    tmp = tmp_path_factory.mktemp("flores")
    return tmp, flores_report(tmp)


def test_flores_pictures_with_the_evaluation_match_the_store(browser, flores):
    tmp, out = flores
    drawn = {"chart-scores", "chart-outlets", "chart-days", "chart-evaluation"}
    summary = _check_pictures_against_summary(browser, out, drawn)
    scores = _table(browser, "chart-scores")
    assert scores[-1] == {"score from": "no candidate", "below": "", "matches": "0", "pieces without coverage": "0"}
    assert summary["abstentions"] > 0  # each abstention's best candidate is drawn from its stored score
    with open_store(flores_config(tmp).store.path, create=False) as store:
        evaluation = next(r.summary["evaluate"] for r in reversed(store.runs()) if r.command == "evaluate")
    rows = _table(browser, "chart-evaluation")
    system = evaluation["systems"][0]
    bleu = next(r for r in rows if r["metric"] == "BLEU")
    assert bleu["system"] == system["name"] == "opusmt-published"
    assert {r["system"] for r in rows} == {"opusmt-published", "nllb-published"}  # every system scored
    low = system["scores"]["BLEU"]["mean"] - system["scores"]["BLEU"]["ci"]
    assert float(bleu["score"]) == round(system["scores"]["BLEU"]["score"], 2) and float(bleu["CI low"]) == round(low, 2)
    assert {r["metric"] for r in rows} == {"BLEU", "chrF2"}
    assert "opusmt-published" in _picture(browser, "chart-evaluation")["texts"]
    # search over external translations and English text
    _search(browser, "Whitehall")
    assert _visible_rows(browser) >= 2
    assert _csp_violations(browser) == []


# -- the table of pieces ---------------------------------------------------------------------------------


def _visible_rows(driver) -> int:
    return driver.execute_script("return document.querySelectorAll('#piece-index tbody tr').length")


def _numbers(driver) -> list[int]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#piece-index tbody tr')).map(tr => Number(tr.dataset.number))"
    )


def _review_texts(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#piece-index td.review li')).map(li => li.textContent)"
    )


def _set(driver, control_id: str, value: str) -> None:
    driver.execute_script(
        "const el = document.getElementById(arguments[0]); el.value = arguments[1];el.dispatchEvent(new Event('change'));",
        control_id,
        value,
    )


def _reset(driver) -> None:
    driver.find_element("id", "f-reset").click()


def _search(driver, text: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    box = driver.find_element("id", "f-search")
    box.clear()
    box.send_keys(text)
    WebDriverWait(driver, 10).until(lambda d: d.find_element("id", "f-search-note").get_attribute("data-query") == text.strip())


def test_filters_toggle_rows(browser, hostile):
    from selenium.webdriver.support.ui import Select

    _open(browser, hostile / "report.html")
    counter = browser.find_element("id", "f-count")
    assert _visible_rows(browser) == 7 and counter.text == "7 of 7 pieces shown"  # our script ran under the CSP
    Select(browser.find_element("id", "f-outlet")).select_by_visible_text("Al-Binaa")
    assert _visible_rows(browser) == 1
    _reset(browser)
    score = browser.find_element("id", "f-score")
    score.clear()
    score.send_keys("0.6")
    assert _visible_rows(browser) == 2  # the summit pair, 0.74, both sides
    _reset(browser)
    Select(browser.find_element("id", "f-diag")).select_by_value("flagged")
    assert _visible_rows(browser) == 2  # the summit piece (length ratio) and the hostile one
    _reset(browser)
    Select(browser.find_element("id", "f-coverage")).select_by_value("no_coverage")
    assert _numbers(browser) == [3]
    _reset(browser)
    _set(browser, "f-from", "2021-08-01")
    _set(browser, "f-to", "2021-08-31")
    assert _visible_rows(browser) == 4
    Select(browser.find_element("id", "f-lang")).select_by_value("en")
    assert _visible_rows(browser) == 2 and counter.text == "2 of 7 pieces shown"
    _reset(browser)
    assert _visible_rows(browser) == 7


def test_sorting_reorders_the_rows(browser, hostile):
    _open(browser, hostile / "report.html")
    assert _numbers(browser) == [1, 2, 3, 4, 5, 6, 7]
    _set(browser, "f-sort", "date-asc")  # 2020-10-22, 2021-05-10, 08-18, 08-20, 08-21, 08-28, 09-02
    assert _numbers(browser) == [5, 3, 1, 6, 7, 2, 4]
    _set(browser, "f-sort", "date-desc")
    assert _numbers(browser) == [4, 2, 7, 6, 1, 3, 5]
    _set(browser, "f-sort", "score-desc")  # matched pieces first, highest score; the rest in input order
    assert _numbers(browser) == [1, 2, 6, 7, 3, 4, 5]
    _set(browser, "f-sort", "score-asc")
    assert _numbers(browser)[:4] == [6, 7, 1, 2]
    _set(browser, "f-sort", "diag")
    assert _numbers(browser)[:2] == [1, 6]  # one flagged sentence each
    _set(browser, "f-sort", "outlet")
    outlets = browser.execute_script(
        "return Array.from(document.querySelectorAll('#piece-index tbody tr td:nth-child(5)')).map(td => td.textContent)"
    )
    assert outlets == sorted(outlets, key=lambda o: o.lower().lstrip('"')) or outlets[0] == "Al-Akhbar"
    _reset(browser)


def test_search_finds_an_english_and_an_arabic_word(browser, hostile):
    _open(browser, hostile / "report.html")
    _search(browser, "Damascus")  # the summit's translation and coverage, and the uncovered piece's title
    assert sorted(_numbers(browser)) == [1, 2, 3]
    _search(browser, "damasc tehran")  # prefixes, every word
    assert _numbers(browser) == [3]
    _search(browser, "الاوساط")  # written الأوساط (hamza on alef) in the summit piece
    assert _numbers(browser) == [1]
    _search(browser, "قمه")  # written قمّة (shadda, ta marbuta)
    assert _numbers(browser) == [1]
    _search(browser, "zzzzq")
    assert _visible_rows(browser) == 0 and browser.find_element("id", "f-count").text == "0 of 7 pieces shown"
    _search(browser, "Baghdad")
    assert sorted(_numbers(browser)) == [1, 2]
    snippets = browser.execute_script(
        "return Array.from(document.querySelectorAll('#piece-index .snippet')).map(s => [s.querySelector('mark').textContent, s.textContent])"
    )
    assert len(snippets) == 2 and all(mark == "Baghdad" and "Baghdad" in text for mark, text in snippets)  # each hit quoted
    assert browser.find_element("id", "f-search").get_attribute("dir") == "auto"
    added = browser.execute_script("return Array.from(document.scripts).filter(s => s.src).map(s => s.getAttribute('src'))")
    # the shards, and the texts that quote each hit in its context
    assert added and all(re.fullmatch(r"report/(search/[0-9a-f]{4}-[0-9a-f]{4}|text/\d{4})\.js", src) for src in added)
    assert "report/text/0000.js" in added
    assert _csp_violations(browser) == []
    _reset(browser)
    assert _visible_rows(browser) == 7


def test_needs_review_lists_near_threshold_and_flagged_pieces(browser, hostile):
    _open(browser, hostile / "report.html")
    _set(browser, "f-view", "review")
    assert _numbers(browser) == [1, 6]
    texts = _review_texts(browser)
    assert "match 2 scored 0.55, just above the threshold 0.50" in texts and "1 flagged sentence" in texts
    _reset(browser)


def test_a_match_page_opens_from_the_index_and_lays_arabic_right_to_left(browser, hostile):
    from selenium.webdriver.common.by import By

    _open(browser, hostile / "report.html")
    browser.find_element(By.CSS_SELECTOR, "#piece-index tbody tr[data-number='1'] a").click()
    assert browser.current_url.endswith("/report/matches-0001.html#match-1")
    section = browser.find_element(By.ID, "match-1")
    assert section.is_displayed() and "Match 1 · score 0.74" in section.text
    cell = browser.find_element(By.CSS_SELECTOR, "#match-1 table.aligned tbody tr td.ar")
    assert cell.text == AR_SUMMIT.paragraphs[0].sentences[0]
    title = browser.find_element(By.CSS_SELECTOR, "#match-1 .titles p.ar")
    english = browser.find_element(By.CSS_SELECTOR, "#match-1 .titles p[lang='en']")
    for el in (cell, title):
        edges = browser.execute_script(LINE_EDGES, el)
        assert edges["direction"] == "rtl" and edges["align"] == "right"
        assert edges["font"].startswith('"Noto Naskh Arabic"')
        assert abs(edges["lineRight"] - edges["contentRight"]) <= 2, edges  # the first line starts at the right edge
    short = browser.execute_script(LINE_EDGES, title)
    assert short["lineLeft"] - short["contentLeft"] > 20, short  # a short title leaves room on the left
    latin = browser.execute_script(LINE_EDGES, english)
    assert latin["direction"] == "ltr" and abs(latin["lineLeft"] - latin["contentLeft"]) <= 2
    # a flagged sentence's link scrolls to its row
    browser.find_element(By.CSS_SELECTOR, "#match-1 ul.flags a").click()
    assert browser.current_url.endswith("#match-1-s4")
    assert browser.execute_script("return document.querySelector(':target').id") == "match-1-s4"
    browser.find_element(By.LINK_TEXT, "← all pieces").click()
    assert browser.current_url.endswith("/report.html")
    # the uncovered piece has its page too
    _open(browser, hostile / "report.html")
    browser.find_element(By.CSS_SELECTOR, f"#piece-index tbody tr[data-number='{3}'] a").click()
    assert browser.current_url.endswith("/report/pieces-0001.html#piece-3")
    assert AR_NO_COVERAGE.title in browser.find_element(By.ID, "piece-3").text
    assert EN_SUMMIT.id not in browser.find_element(By.ID, "piece-3").text


LINE_EDGES = """
const el = arguments[0];
const style = getComputedStyle(el);
const box = el.getBoundingClientRect();
const range = document.createRange();
range.selectNodeContents(el);
const first = range.getClientRects()[0];
return {direction: style.direction, align: style.textAlign, font: style.fontFamily,
        contentLeft: box.left + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth),
        contentRight: box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth),
        lineLeft: first.left, lineRight: first.right};
"""

STATE = """
return {pwned: typeof window.__pwned, title: document.title, imgs: document.images.length,
        scripts: Array.from(document.scripts).map(s => s.type || (s.src ? 'src' : 'inline')),
        js_links: document.querySelectorAll('a[href^="javascript"]').length,
        text: document.body.textContent};
"""


def test_markup_from_a_dump_never_runs_and_shows_as_text(browser, hostile):
    _open(browser, hostile / "report.html")
    _search(browser, "coverage")  # loads a shard: the hostile English title holds the word
    browser.save_screenshot(str(hostile / "index.png"))
    state = browser.execute_script(STATE)
    assert state["pwned"] == "undefined" and state["title"] == "Translations and English coverage"
    assert state["imgs"] == 0 and state["js_links"] == 0
    own = [kind for kind in state["scripts"] if kind != "src"]
    assert own == ["application/json", "inline"] and "src" in state["scripts"]  # + the shards our script added
    for payload in (SCRIPT_PAYLOAD, LINK_PAYLOAD):  # titles and the outlet, in the table
        assert payload in state["text"] or payload in browser.find_element("tag name", "body").text
    hrefs = browser.execute_script("return Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("#", "report/")) for h in hrefs)

    _open(browser, hostile / "report" / "matches-0001.html")
    browser.execute_script("location.hash = '#match-2'")  # the hostile pair's section, scrolled into view
    shot = hostile / "hostile.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 20_000
    state = browser.execute_script(STATE)
    assert state["pwned"] == "undefined" and state["scripts"] == [] and state["imgs"] == 0 and state["js_links"] == 0
    assert state["title"].startswith("Matches 1–2 of 2")
    for payload in (SCRIPT_PAYLOAD, IMG_PAYLOAD, LINK_PAYLOAD):
        assert payload in state["text"]
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert _csp_violations(browser) == []


# -- layout for any number of columns, every system, a run that stopped early ------------------------------

COLUMN_WIDTHS = """
const table = arguments[0];
const total = table.getBoundingClientRect().width;
return Array.from(table.querySelectorAll("thead th")).map(th => ({
  name: th.textContent, share: th.getBoundingClientRect().width / total,
  wrap: getComputedStyle(table.querySelector("tbody td")).overflowWrap}));
"""
BROKEN_WORDS = """
// a word broken across lines: a text node whose line boxes split inside a run of letters
const cells = Array.from(arguments[0].querySelectorAll("tbody td.text"));
const broken = [];
for (const cell of cells) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    for (const m of text.matchAll(/[A-Za-z]{4,}/g)) {
      const range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      if (new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size > 1) broken.push(m[0]);
    }
  }
}
return broken;
"""


def test_a_table_with_two_text_columns_gives_them_the_width_and_breaks_no_word(browser, flores):
    """An external translation has no Arabic sentence of its own: its sentence table has two text columns."""
    from selenium.webdriver.common.by import By

    _, out = flores
    _open(browser, out / "report" / "matches-0001.html")
    table = browser.find_element(By.CSS_SELECTOR, "#match-1 .system-panel table.aligned:not(.units)")
    columns = {c["name"]: c for c in browser.execute_script(COLUMN_WIDTHS, table)}
    assert list(columns) == ["#", "Machine translation", "English coverage", "Score", "Flagged"]
    assert columns["#"]["share"] < 0.06  # the number column stays narrow
    assert columns["Machine translation"]["share"] > 0.3 and columns["English coverage"]["share"] > 0.3
    assert {c["wrap"] for c in columns.values()} == {"break-word"}
    assert browser.execute_script(BROKEN_WORDS, table) == []
    units = browser.find_element(By.CSS_SELECTOR, "#match-1 .system-panel table.units")
    shares = {c["name"]: c["share"] for c in browser.execute_script(COLUMN_WIDTHS, units)}
    assert (
        shares["#"] < 0.06
        and shares["Arabic original"] > 0.3
        and shares["Arabic original"] == pytest.approx(shares[f"{SYSTEM}-published"], abs=0.01)
    )


def test_the_system_picker_shows_each_systems_translation(browser, flores):
    from selenium.webdriver.common.by import By

    _, out = flores
    first, second = f"{SYSTEM}-published", f"{SECOND}-published"
    nllb = Path(__file__).resolve().parents[2] / "shared" / "data" / "flores-dev" / f"flores-dev.{SECOND}.en"
    nllb_lines = nllb.read_text(encoding="utf-8").splitlines()
    _open(browser, out / "report" / "matches-0001.html")
    section = browser.find_element(By.ID, "match-1")
    panels = section.find_elements(By.CSS_SELECTOR, ".systems > .system-panel")
    labels = section.find_elements(By.CSS_SELECTOR, ".systems > label")
    assert [label.text for label in labels] == [f"{first} (aligned)", second]
    assert [panel.get_attribute("data-system") for panel in panels] == [first, second]
    assert panels[0].is_displayed() and not panels[1].is_displayed()  # the aligned system first
    labels[1].click()
    assert panels[1].is_displayed() and not panels[0].is_displayed()
    shown = panels[1].find_elements(By.CSS_SELECTOR, "table.units tbody td.text[lang='en']")
    assert [cell.text for cell in shown] and all(cell.text in nllb_lines for cell in shown)
    assert section.find_element(By.CSS_SELECTOR, "input.picker:checked").get_attribute("value") == "2"
    labels[0].click()
    assert panels[0].is_displayed() and not panels[1].is_displayed()
    # a piece without coverage has the picker too
    _open(browser, out / "report" / "pieces-0001.html")
    piece = browser.find_elements(By.CSS_SELECTOR, "section.detail")[0]
    assert [label.text for label in piece.find_elements(By.CSS_SELECTOR, ".systems > label")] == [first, second]
    assert _csp_violations(browser) == []


def test_a_run_without_a_model_shows_one_banner_with_the_command_that_finishes_it(browser, tmp_path_factory):
    from selenium.webdriver.common.by import By

    tmp = tmp_path_factory.mktemp("pending")
    out = tmp / "out"
    proc = cli("run", SEEDS, "--db", tmp / "s.sqlite", "--out", out, "-q", env={"HF_ENDPOINT": "http://127.0.0.1:9"})
    assert proc.returncode == 4, proc.stderr
    _open(browser, out / "report.html")
    banners = browser.find_elements(By.CSS_SELECTOR, ".banner")
    assert len(banners) == 1
    command = banners[0].find_element(By.CSS_SELECTOR, "pre.command").text
    assert command.startswith("pipeline run ") and str(SEEDS) in command
    assert f"--db {tmp / 's.sqlite'}" in command and f"--out {out}" in command and "--model /path/to/opus-mt-ar-en" in command
    assert "6 pieces" in banners[0].text and "no translation model could be loaded" in banners[0].text
    _set(browser, "f-lang", "ar")
    statuses = browser.execute_script(
        "return Array.from(document.querySelectorAll('#piece-index tbody td.status')).map(td => td.textContent)"
    )
    assert statuses == ["pendingsee the note at the top"] * 6  # the network error is not repeated on every row
    body = browser.find_element(By.TAG_NAME, "body").get_attribute("textContent")
    assert body.count("unreachable") <= 1  # said once, inside the banner's details
    assert _csp_violations(browser) == []
