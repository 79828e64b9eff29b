"""report.html in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium).

Checks what only a browser can: the Arabic is laid out right-to-left, the
filters hide and show rows, the CSP lets our one script run, nothing is
loaded from anywhere, and markup from a hostile dump stays inert text.
Skipped only when Chromium is absent on a developer machine; under CI
(the CI variable set) a missing browser is a failure.
"""

from __future__ import annotations

import shutil
import tempfile

import pytest

from pipeline.config import Config
from pipeline.export import export_store
from store_factory import AR_SUMMIT, IMG_PAYLOAD, LINK_PAYLOAD, SCRIPT_PAYLOAD, seeds_like_store

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
def page(tmp_path_factory):
    chromium, chromedriver = _find_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    tmp = tmp_path_factory.mktemp("browser")
    with seeds_like_store(tmp / "s.sqlite", hostile=True) as store:
        export_store(store, Config.load(), tmp / "out", ["html"])
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS + [f"--user-data-dir={tempfile.mkdtemp(dir=tmp)}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        driver.get((tmp / "out" / "report.html").as_uri())
        yield driver, tmp
    finally:
        driver.quit()


def test_screenshot_is_a_real_png(page):
    driver, tmp = page
    shot = tmp / "report.png"
    assert driver.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


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


def test_arabic_is_laid_out_right_to_left(page):
    from selenium.webdriver.common.by import By

    driver, _ = page
    cell = driver.find_element(By.CSS_SELECTOR, "#match-1 table.aligned tbody tr td.ar")
    assert cell.text == AR_SUMMIT.paragraphs[0].sentences[0]
    title = driver.find_element(By.CSS_SELECTOR, "#match-1 .titles p.ar")
    english = driver.find_element(By.CSS_SELECTOR, "#match-1 .titles p[lang='en']")
    for el in (cell, title):
        edges = driver.execute_script(LINE_EDGES, el)
        assert edges["direction"] == "rtl" and edges["align"] == "right"
        assert edges["font"].startswith('"Noto Naskh Arabic"')
        # the first line starts at the right edge of the box, as Arabic reads
        assert abs(edges["lineRight"] - edges["contentRight"]) <= 2, edges
    short = driver.execute_script(LINE_EDGES, title)
    assert short["lineLeft"] - short["contentLeft"] > 20, short  # a short title leaves room on the left
    latin = driver.execute_script(LINE_EDGES, english)
    assert latin["direction"] == "ltr" and abs(latin["lineLeft"] - latin["contentLeft"]) <= 2


def _visible(driver, kind: str) -> int:
    from selenium.webdriver.common.by import By

    return sum(1 for row in driver.find_elements(By.CSS_SELECTOR, f"tr[data-kind='{kind}']") if row.is_displayed())


def _reset(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "f-reset").click()


def _set(driver, control_id: str, value: str) -> None:
    driver.execute_script(
        "const el = document.getElementById(arguments[0]); el.value = arguments[1];"
        "el.dispatchEvent(new Event('change'));",
        control_id,
        value,
    )


def test_filters_toggle_rows(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, _ = page
    _reset(driver)
    assert (_visible(driver, "piece"), _visible(driver, "match")) == (7, 2)
    counter = driver.find_element(By.ID, "f-count")
    assert counter.text == "7 of 7 pieces, 2 of 2 matches shown"  # our script ran under the CSP

    Select(driver.find_element(By.ID, "f-outlet")).select_by_visible_text("Al-Binaa")
    assert (_visible(driver, "piece"), _visible(driver, "match")) == (1, 0)
    assert not driver.find_element(By.ID, "match-1").is_displayed()
    _reset(driver)

    score = driver.find_element(By.ID, "f-score")
    score.clear()
    score.send_keys("0.6")
    assert (_visible(driver, "piece"), _visible(driver, "match")) == (2, 1)  # the summit pair, 0.74
    assert driver.find_element(By.ID, "match-1").is_displayed() and not driver.find_element(By.ID, "match-2").is_displayed()
    _reset(driver)

    Select(driver.find_element(By.ID, "f-diag")).select_by_value("flagged")
    assert _visible(driver, "piece") == 2  # the summit piece (length ratio) and the hostile one
    _reset(driver)

    Select(driver.find_element(By.ID, "f-coverage")).select_by_value("no_coverage")
    assert (_visible(driver, "piece"), _visible(driver, "match")) == (1, 0)
    _reset(driver)

    _set(driver, "f-from", "2021-08-01")
    _set(driver, "f-to", "2021-08-31")
    assert _visible(driver, "piece") == 4
    Select(driver.find_element(By.ID, "f-lang")).select_by_value("en")
    assert _visible(driver, "piece") == 2
    assert counter.text == "2 of 7 pieces, 2 of 2 matches shown"
    _reset(driver)
    assert _visible(driver, "piece") == 7


def test_markup_from_a_dump_never_runs_and_shows_as_text(page):
    from selenium.webdriver.common.by import By

    driver, _ = page
    driver.execute_script("location.hash = '#match-2'")  # the hostile pair's section, scrolled into view
    driver.save_screenshot(str(page[1] / "hostile.png"))
    links = [a.get_attribute("href") for a in driver.find_elements(By.TAG_NAME, "a")]
    assert links and all(href.split("#")[1].startswith(("match-", "piece-")) for href in links)
    state = driver.execute_script(
        "return {pwned: typeof window.__pwned, title: document.title,"
        " imgs: document.images.length, scripts: document.scripts.length,"
        " loads: performance.getEntriesByType('resource').length,"
        " js_links: document.querySelectorAll('a[href^=\"javascript\"]').length}"
    )
    assert state == {"pwned": "undefined", "title": "Translations and English coverage",
                     "imgs": 0, "scripts": 1, "loads": 0, "js_links": 0}
    body = driver.find_element(By.TAG_NAME, "body").text
    for payload in (SCRIPT_PAYLOAD, IMG_PAYLOAD, LINK_PAYLOAD):
        assert payload in body
    violations = [e for e in driver.get_log("browser") if "Content Security Policy" in e.get("message", "")]
    assert violations == []
