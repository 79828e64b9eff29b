"""HTML pages keep their structure: one piece per article container, metadata from the markup first.

Why not flatten the page to text and cut that: a roundup page with one
``<article>`` per piece already says where each piece starts and ends, which
line is its headline (``<h1>``) and when it was published (``<time
datetime>``). Flattened, a photo caption or a "Support us" banner looks like
a headline and a standfirst like the next piece.

Containers
    Every ``<article>`` element, element with ``role="article"`` or
    schema.org ``Article``-type microdata (``itemtype``) is a container; a
    nested one is a piece of its own and is left out of its parent's text.
    A page with none of these but with two or more sibling elements of the
    same tag and class, each holding a heading and a paragraph, uses those.
    Navigation, forms, ``<aside>`` and ``<footer>`` inside a container give
    no text (its metadata is still read from them); a ``<figcaption>`` is a
    caption. A page with no container at all is read by trafilatura (main text) and
    cut like a text dump (:mod:`~pipeline.ingest.cutter`). On a page with
    several containers, one holding a single short paragraph (at most
    ``teaser_max_words``) is a listing card: a piece of kind 'teaser'.

Metadata, in order of trust (the first that gives a plausible value wins)
    title   ``<h1>``–``<h3>`` before the body, microdata/JSON-LD ``headline``;
            for a page with one container also ``og:title`` / the page title
            (trafilatura); then the text rules (:mod:`~pipeline.ingest.roles`),
            where an unmarked first line must share a content word with the
            body to be a title ("Support truly" is not one).
    date    the container's ``<time datetime>`` / ``itemprop=datePublished``,
            its JSON-LD/microdata ``datePublished``; for a one-container page
            ``article:published_time`` and htmldate (through trafilatura); then
            dates in the text. The article's own date wins over the page's; a
            disagreement is noted. A date in the future or before 1990 is
            noted and not used.
    author  ``rel="author"``, ``itemprop="author"``, the hAtom/microformat
            ``author``/``byline`` class tokens, JSON-LD/microdata ``author``;
            a one-container page's ``<meta name="author">``; then bylines.
    outlet  JSON-LD/microdata ``publisher``, the domain of the container's
            URL (``cite``/``data-*`` attributes, ``itemid``, canonical link)
            looked up in ``data/outlets.yaml``, ``og:site_name`` for a
            one-container page; then the text rules.

Everything scraped is inert: JSON-LD is read as JSON (json/jstyleson through
extruct), scripts, styles, frames and event-handler attributes are dropped
before any text is taken, and nothing from the page is ever executed or
fetched. What could not be read (broken JSON-LD, a heading too long to be a
title, a date flagged as implausible) is said in each piece's ``notes``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import extruct
from extruct.jsonld import JsonLdExtractor
from lxml import etree
from lxml import html as lxml_html

from pipeline.ingest.chrome import ChromeFilter
from pipeline.ingest.lines import Unit, Vocabulary, split_lines
from pipeline.ingest.metadata import checked_date, outlet_name
from pipeline.ingest.pieces import (
    CutOptions,
    CutPiece,
    PieceUnit,
    RemovedCounter,
    RemovedLine,
    RemovedSink,
)
from pipeline.ingest.segmenter import Segmenter, text_units
from pipeline.text.dates import from_markup

ARTICLE_TYPES = {
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "Report",
    "LiveBlogPosting",
}
BLOCK_TAGS = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "figure",
    "figcaption",
    "section",
    "header",
    "footer",
    "table",
    "tr",
    "td",
    "th",
    "pre",
    "address",
    "article",
    "main",
    "hr",
    "br",
    "caption",
    "details",
    "summary",
    "center",
}
DROPPED_TAGS = ("nav", "form", "button", "select", "textarea", "input", "label", "aside", "footer")  # no article text in these
# What a page with no article container says around its text, never in it: navigation landmarks (by tag or ARIA role)
# and lists whose every item is a link (menus, section indexes, "most read"). A <form> is not one: some sites wrap the
# whole page in one.
_NAVIGATION = (
    "//nav | //aside | //footer | //*[@role='navigation' or @role='menu' or @role='menubar' or @role='contentinfo'"
    " or @role='search' or @role='complementary']"
)
HEADINGS = ("h1", "h2", "h3")
_ACTIVE_CONTENT = "//script|//style|//noscript|//iframe|//frame|//template|//svg|//object|//embed|//applet"
_CONTAINER_XPATH = "//article | //*[@role='article'] | //*[@itemscope and @itemtype]"
MARKUP_DATES = {"extensive_search": False, "original_date": True}
MAIN_TEXT_SHARE = 0.5  # main-text extraction that keeps less of a container-less page's text than this misses pieces
TABLE_SHARE = 0.3  # a page with this much of its text in table cells is laid out in a table


# -- parsing -------------------------------------------------------------------------------


class TooDeep(Exception):
    """The page nests its markup deeper than tree processing goes (the parser's limit, or Python's recursion)."""


def parse_page(html: str) -> Any | None:
    """The page as an lxml tree (comments out), or None when nothing can be parsed.

    Raises :class:`TooDeep` when the markup is nested past libxml2's limit
    (256 levels): the parser then stops there and the tree holds none of the
    text below, which must not pass for an empty page.
    """
    if not html.strip():
        return None
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        tree = lxml_html.document_fromstring(html.encode("utf-8", errors="replace"), parser=parser)
    except (etree.ParserError, ValueError):
        tree = None
    if any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log):
        raise TooDeep(f"its markup is nested deeper than the HTML parser's limit ({_PARSER_DEPTH} levels)")
    return tree


_PARSER_DEPTH = 256  # libxml2's default (XML_PARSE_HUGE raises it to 2048, past what recursive tree walkers take)
_FLAT_SKIPPED = frozenset({"script", "style", "noscript", "iframe", "frame", "template", "svg", "object", "embed", "applet"})
_FLAT_BLOCKS = frozenset(BLOCK_TAGS | {"title", "nav", "aside", "form", "li", "h4", "h5", "h6"})


class _FlatText(HTMLParser):
    """The text of a page read as a stream of tags (no tree, so no depth limit), active content skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _FLAT_SKIPPED:
            self.skipping += 1
        elif tag in _FLAT_BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _FLAT_SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _FLAT_BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def flat_text(html: str) -> str:
    """The page's text, one line per block, without parsing it into a tree (scripts and styles left out)."""
    reader = _FlatText()
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def make_inert(tree: Any) -> Any:
    """Drop scripts, styles, <noscript>, frames, embedded objects and event-handler attributes (in place)."""
    for element in tree.xpath(_ACTIVE_CONTENT):
        element.drop_tree()
    for element in tree.iter():
        if isinstance(element.tag, str):
            for name in [a for a in element.attrib if a.lower().startswith("on")]:
                del element.attrib[name]
    return tree


# -- page-level metadata ----------------------------------------------------------------------


@dataclass
class PageMeta:
    """What the page as a whole says (used per container only where it can only mean that container)."""

    title: str | None = None
    date: str | None = None
    author: str | None = None
    site: str | None = None
    url: str | None = None
    articles: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD / microdata Article items, page order
    notes: list[str] = field(default_factory=list)


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    values = kind if isinstance(kind, list) else [kind]
    return {str(v).rsplit("/", 1)[-1] for v in values if v}


def _article_items(items: list[Any]) -> Iterator[dict[str, Any]]:
    """Article items, those inside ``@graph`` lists too, in document order (iteratively: a graph may nest 900 deep)."""
    stack: list[Any] = list(reversed(items))
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        if _types(item) & ARTICLE_TYPES:
            yield item
        graph = item.get("@graph")
        if isinstance(graph, list):
            stack.extend(reversed(graph))


def json_ld(tree: Any, notes: list[str]) -> list[dict[str, Any]]:
    """JSON-LD items of the page, one script at a time: a broken script is noted and skipped."""
    items: list[dict[str, Any]] = []
    extractor = JsonLdExtractor()
    scripts = tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]')
    for number, script in enumerate(scripts, 1):
        holder = lxml_html.Element("div")
        holder.append(copy.deepcopy(script))
        try:
            items.extend(i for i in extractor.extract_items(holder) if isinstance(i, dict))
        except ValueError as exc:
            notes.append(f"JSON-LD block {number} is not valid JSON ({str(exc).splitlines()[0][:80]}): ignored")
        except RecursionError:
            notes.append(f"JSON-LD block {number} is nested too deeply to read: ignored")
    return items


def page_meta(raw_tree: Any, clean_html: str) -> PageMeta:
    """Page-level metadata: JSON-LD and microdata (extruct), OpenGraph, canonical link, trafilatura's metadata."""
    import trafilatura

    meta = PageMeta()
    ld = json_ld(raw_tree, meta.notes)
    found = extruct.extract(raw_tree, syntaxes=["microdata", "opengraph"], uniform=True, errors="strict")
    meta.articles = list(_article_items(ld)) + list(_article_items(found.get("microdata", [])))
    og: dict[str, Any] = {}
    for block in found.get("opengraph", []):
        og.update(block)
    head = {m.get("property") or m.get("name"): m.get("content") for m in raw_tree.xpath("//meta[@content]")}
    canonical = raw_tree.xpath("//link[@rel='canonical']/@href")
    meta.url = (canonical[0] if canonical else None) or og.get("og:url")
    meta.site = og.get("og:site_name") or (_name(meta.articles[0].get("publisher")) if meta.articles else None)
    # dates from the markup only: htmldate's extensive search guesses from the text ("Copyright 2012" → 2012-01-01)
    extracted = trafilatura.extract_metadata(clean_html, date_config=MARKUP_DATES) if clean_html else None
    meta.title = og.get("og:title") or (extracted.title if extracted else None)
    meta.date = from_markup(head.get("article:published_time")) or (
        from_markup(extracted.date) if extracted and extracted.date else None
    )
    meta.author = head.get("author") or (extracted.author if extracted else None)
    meta.site = meta.site or (extracted.sitename if extracted else None)
    return meta


def _name(value: Any) -> str | None:
    """schema.org Person/Organization (or a list of them, or a plain string) → its name."""
    if isinstance(value, list):
        names = [n for n in (_name(v) for v in value if not isinstance(v, list)) if n]  # a list of lists names nobody
        return ", ".join(names) if names else None
    if isinstance(value, dict):
        value = value.get("name")
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


# -- containers --------------------------------------------------------------------------------


def containers(tree: Any) -> list[Any]:
    """Article containers in page order (see the module docstring)."""
    found = []
    for element in tree.xpath(_CONTAINER_XPATH):
        if element.tag != "article" and element.get("role") != "article":
            itemtype = element.get("itemtype", "")
            if not any(itemtype.rstrip("/").endswith("/" + t) for t in ARTICLE_TYPES):
                continue
        found.append(element)
    return found or _repeated_siblings(tree)


def _repeated_siblings(tree: Any) -> list[Any]:
    """Two or more same-tag, same-class siblings that each hold a heading and a paragraph."""
    best: list[Any] = []
    for parent in tree.iter():
        groups: dict[tuple[str, str], list[Any]] = {}
        for child in parent:
            if isinstance(child.tag, str) and child.tag in ("div", "section", "li"):
                groups.setdefault((child.tag, child.get("class", "")), []).append(child)
        for members in groups.values():
            headed = all(m.xpath(".//h1|.//h2|.//h3|.//h4") and m.xpath(".//p") for m in members)
            if len(members) >= 2 and headed and len(members) > len(best):
                best = members
    return best


@dataclass
class Line:
    text: str
    tag: str  # the block element it came from (h1, p, time, ...)
    line: int  # source line of that element


def block_lines(container: Any, nested: set[Any]) -> list[Line]:
    """The container's text as lines, one per block element, without nested containers or navigation."""
    lines: list[Line] = []
    buffer: list[str] = []
    owner: list[Any] = [container]

    def flush() -> None:
        text = " ".join(" ".join(buffer).split())
        buffer.clear()
        if text:
            element = owner[-1]
            lines.append(Line(text, element.tag if isinstance(element.tag, str) else "", element.sourceline or 0))

    def walk(node: Any) -> None:
        block = node.tag in BLOCK_TAGS
        if block:
            flush()
            owner.append(node)
        buffer.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str) and child not in nested and child.tag not in DROPPED_TAGS:
                walk(child)
            elif child in nested:
                flush()
            buffer.append(child.tail or "")
        if block:
            flush()
            owner.pop()

    walk(container)
    flush()
    return lines


# -- one container → one piece -------------------------------------------------------------------


def _container_url(container: Any) -> str | None:
    for name, value in container.attrib.items():
        if (name in ("cite", "itemid", "about") or name.startswith("data-")) and value.startswith(("http://", "https://")):
            return value
    links = container.xpath(".//link[@itemprop='url' or @itemprop='mainEntityOfPage']/@href | .//a[@rel='bookmark']/@href")
    return links[0] if links else None


def _own(container: Any, xpath: str, nested: set[Any]) -> list[Any]:
    """Elements matching `xpath` inside `container` but not inside a nested container."""
    result = []
    for element in container.xpath(xpath):
        ancestor = element.getparent()
        inside_nested = False
        while ancestor is not None and ancestor is not container:
            if ancestor in nested:
                inside_nested = True
                break
            ancestor = ancestor.getparent()
        if not inside_nested:
            result.append(element)
    return result


@dataclass
class MarkupMeta:
    title: str | None = None
    date: str | None = None
    author: str | None = None
    outlet: str | None = None


_AUTHOR_XPATH = (
    ".//*[@rel='author' or contains(concat(' ', normalize-space(@rel), ' '), ' author ')"
    " or contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' author ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' byline ')]"
)


def container_meta(container: Any, nested: set[Any], item: dict[str, Any] | None, options: CutOptions) -> MarkupMeta:
    meta = MarkupMeta()
    gazetteer = options.gazetteer
    times = _own(container, ".//time[@datetime] | .//*[@itemprop='datePublished']", nested)
    times.sort(key=lambda e: e.get("itemprop") != "datePublished" and e.get("pubdate") is None)
    for element in times:
        meta.date = from_markup(element.get("datetime") or element.get("content") or element.text_content())
        if meta.date:
            break
    authors = _own(container, _AUTHOR_XPATH, nested)
    for element in authors:
        name = element.xpath(".//*[@itemprop='name']")
        text = " ".join((name[0] if name else element).text_content().split()) or element.get("content", "")
        if text and len(text) <= 80:
            meta.author = text
            break
    if item:
        meta.title = _name(item.get("headline"))
        meta.date = meta.date or from_markup(str(item.get("datePublished") or "")) or None
        meta.author = meta.author or _name(item.get("author"))
        meta.outlet = _name(item.get("publisher"))
    url = _container_url(container)
    meta.outlet = outlet_name(meta.outlet, gazetteer) if meta.outlet else gazetteer.outlet_of_url(url)
    return meta


def _mark_markup_metadata(container: Any, nested: set[Any], lines: list[Line], units: list[Unit]) -> None:
    """``<figcaption>`` lines, and lines made only of ``<time>`` and author elements ("Saturday",
    "2024-08-15 الميادين نت"), are metadata whatever their shape."""
    pieces = [(" ".join(e.text_content().split()), "date") for e in _own(container, ".//time", nested)]
    pieces += [(" ".join(e.text_content().split()), "byline") for e in _own(container, _AUTHOR_XPATH, nested)]
    pieces = [(text, kind) for text, kind in pieces if text]
    for line, unit in zip(lines, units, strict=True):
        if line.tag == "figcaption":
            unit.__dict__["meta_kind"] = "caption"
            continue
        rest, kind = line.text, None
        for text, what in pieces:
            if text in rest:
                rest, kind = rest.replace(text, " ", 1), kind or what
        if kind and not rest.strip(" ,|-–—·•:"):
            unit.__dict__["meta_kind"] = kind  # the markup says what this line is: it overrides the line's shape


def container_units(container: Any, nested: set[Any], chrome: ChromeFilter, vocab: Vocabulary) -> tuple[list[Line], list[Unit]]:
    """The container's blocks as units: their tag set, page-chrome rules matched (as evidence for the labeller)."""
    kept = block_lines(container, nested)
    units = [Unit((line.line,), line.text, chrome.match(line.text), vocab, tag=line.tag) for line in kept]
    _mark_markup_metadata(container, nested, kept, units)
    return kept, units


def _heading_index(lines: list[Line], units: list[Unit]) -> int | None:
    """The first h1–h3 line before the body (h1 preferred over h2 over h3)."""
    limit = next((i for i, u in enumerate(units) if u.body_like and lines[i].tag not in HEADINGS), len(units))
    for tag in HEADINGS:
        for index in range(limit):
            if lines[index].tag == tag:
                return index
    return None


def container_pieces(
    container: Any,
    nested: set[Any],
    item: dict[str, Any] | None,
    page: PageMeta | None,
    options: CutOptions,
    chrome: ChromeFilter,
    segmenter: Segmenter,
) -> list[CutPiece]:
    """The pieces of one container: usually one, more when the labeller finds a list in it.

    `page` is given when the page has only this container. With one piece,
    the markup's metadata comes first: the heading (``<h1>``–``<h3>`` before
    the body) is the title, the container's ``<time>``/microdata date, author
    and publisher win over what the lines say.
    """
    kept, units = container_units(container, nested, chrome, options.vocabulary)
    if not units:
        return []
    for index in range(1, len(units)):
        units[index].repeat = any(units[index].repeats(p) for p in units[max(0, index - 3) : index] + units[:1])
    pieces = list(segmenter.container(units))
    if len(pieces) != 1:
        return pieces
    (piece,) = pieces
    notes: list[str] = list(page.notes) if page else []
    markup = container_meta(container, nested, item, options)
    title_at = _heading_index(kept, units)
    if title_at is not None and len(units[title_at].text) > options.max_title_chars:
        notes.append(f"<{kept[title_at].tag}> is {len(units[title_at].text):,} characters long: not a title, kept as text")
        title_at = None
    piece.notes[:0] = notes
    if title_at is not None:
        heading = units[title_at]
        piece.units = _with_title(piece.units, heading)
        piece.title = " ".join(heading.text.split())
        piece.evidence["title"] = f"line {heading.lines[0]}, the page's <{kept[title_at].tag}>"
    elif markup.title:
        piece.title = markup.title
        piece.evidence["title"] = "the article's structured data (headline)"
    elif page and not piece.title and page.title and len(page.title) <= options.max_title_chars:
        piece.title = page.title
        piece.evidence["title"] = "the page's title"
    own_date = checked_date(markup.date, piece.notes, "the article's date in the markup", options.today)
    page_date = checked_date(page.date, piece.notes, "the page's date", options.today) if page else None
    if own_date and page_date and own_date[:10] != page_date[:10]:
        piece.notes.append(f"the page's date {page_date} differs from the article's own {own_date}: the article's is used")
    if own_date or page_date:
        piece.date = own_date or page_date
        piece.evidence["date"] = "the article's markup (<time>, datePublished)" if own_date else "the page's markup"
    author = markup.author or (page.author if page else None)
    if author:
        piece.author = author
        piece.evidence["author"] = "the markup (rel/itemprop/class author)"
    page_site = outlet_name(page.site, options.gazetteer) if page and page.site else None
    if markup.outlet or page_site:
        piece.outlet = markup.outlet or page_site
        piece.evidence["outlet"] = "the article's publisher or URL in the markup" if markup.outlet else "the page's site name"
    if not piece.paragraphs:
        return []
    return [piece]


def _with_title(units: list[PieceUnit], heading: Unit) -> list[PieceUnit]:
    """The piece's units with the markup's heading as its title (a line the labeller called title otherwise is metadata)."""
    out = []
    for unit in units:
        if unit.text == heading.text and unit.lines == heading.lines:
            out.append(PieceUnit(unit.lines, unit.text, "title", None, unit.p))
        elif unit.role == "title":
            out.append(PieceUnit(unit.lines, unit.text, "meta", "header", unit.p))
        else:
            out.append(unit)
    return out


def page_sequences(html: str, options: CutOptions, chrome: ChromeFilter) -> list[tuple[Any, list[Unit]]]:
    """(container, its units) for every article container of a page, as the labeller sees them (training, evaluation)."""
    raw = parse_page(html)
    if raw is None:
        return []
    tree = make_inert(copy.deepcopy(raw))
    boxes = containers(tree)
    box_set = set(boxes)
    sequences = []
    for box in boxes:
        nested = {b for b in box_set if b is not box and _inside(b, box)}
        units = container_units(box, nested, chrome, options.vocabulary)[1]
        if units:
            sequences.append((box, units))
    return sequences


def _match_items(boxes: list[Any], items: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """JSON-LD/microdata Article items for each container: by headline, else by order when the counts agree."""
    matched: list[dict[str, Any] | None] = [None] * len(boxes)
    if len(boxes) == 1 and items:
        return [items[0]]
    heads = [" ".join((b.xpath(".//h1|.//h2|.//h3") or [b])[0].text_content().split()).casefold() for b in boxes]
    for item in items:
        headline = (_name(item.get("headline")) or "").casefold()
        if headline and headline in heads:
            matched[heads.index(headline)] = item
    if not any(matched) and len(items) == len(boxes):
        return list(items)
    return matched


# -- entry point -------------------------------------------------------------------------------------


def cut_html(
    html: str, options: CutOptions | None = None, chrome: ChromeFilter | None = None, removed: RemovedSink | None = None
) -> list[CutPiece]:
    """Pieces of one HTML page (see the module docstring); never raises on odd markup."""
    options = options or CutOptions()
    chrome = chrome or ChromeFilter(gazetteer=options.gazetteer)
    removed = removed if removed is not None else RemovedCounter()
    try:
        return _cut_tree(html, options, chrome, removed)
    except (TooDeep, RecursionError) as exc:
        why = str(exc) if isinstance(exc, TooDeep) else "its markup is nested too deeply to walk as a tree"
        return _flat_page(html, why, options, chrome, removed)


def _cut_tree(html: str, options: CutOptions, chrome: ChromeFilter, removed: RemovedSink) -> list[CutPiece]:
    raw = parse_page(html)
    if raw is None:
        return []
    clean_tree = make_inert(copy.deepcopy(raw))
    clean_html = lxml_html.tostring(clean_tree, encoding="unicode")
    page = page_meta(raw, clean_html)
    boxes = containers(clean_tree)
    if not boxes:
        return _whole_page(clean_tree, clean_html, page, options, chrome, removed)
    box_set = set(boxes)
    items = _match_items(boxes, page.articles)
    segmenter = Segmenter(options, removed)
    pieces = []
    for box, item in zip(boxes, items, strict=True):
        nested = {b for b in box_set if b is not box and _inside(b, box)}
        for piece in container_pieces(box, nested, item, page if len(boxes) == 1 else None, options, chrome, segmenter):
            if len(boxes) > 1 and len(piece.paragraphs) == 1 and len(piece.text.split()) <= options.teaser_max_words:
                piece.kind = "teaser"  # a card of a listing page: a headline and a blurb
            if nested:
                piece.notes.append(f"{len(nested)} nested article container(s) are pieces of their own")
            if len(boxes) > 1:
                piece.notes.extend(page.notes)
            pieces.append(piece)
    return pieces


def _inside(element: Any, ancestor: Any) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


def without_navigation(tree: Any, removed: RemovedSink) -> Any:
    """A copy of the page without its navigation: landmarks (nav, aside, footer, ARIA roles) and lists of links only.

    A page of menus alone must give no text at all, not an "article" of its
    section names dated from its copyright line. What is left out is
    accounted for in `removed`, one entry per element, as page chrome.
    """
    pruned = copy.deepcopy(tree)
    dropped = list(pruned.xpath(_NAVIGATION))
    for listing in pruned.xpath("//ul | //ol"):
        items = [li for li in listing if isinstance(li.tag, str) and li.tag == "li"]
        if items and all(_only_links(li) for li in items):
            dropped.append(listing)
    root = pruned.getroottree().getroot()
    for element in dropped:
        if element.getroottree().getroot() is not root:  # inside one dropped already
            continue
        text = " ".join(element.text_content().split())
        if text:
            removed.append(RemovedLine(element.sourceline or 0, text[:200], "navigation"))
        element.drop_tree()
    return pruned


def _only_links(element: Any) -> bool:
    """The element's text is all link text (and it has some)."""
    text = " ".join(element.text_content().split())
    links = " ".join(" ".join(a.text_content().split()) for a in element.iter("a"))
    return bool(text) and len(links) >= len(text)


def _whole_page(
    tree: Any, clean_html: str, page: PageMeta, options: CutOptions, chrome: ChromeFilter, removed: RemovedSink
) -> list[CutPiece]:
    """A page with no article container: trafilatura's main text (navigation left out first), cut like a text dump."""
    import trafilatura

    tree = without_navigation(tree, removed)
    clean_html = lxml_html.tostring(tree, encoding="unicode")
    text = trafilatura.extract(clean_html, output_format="txt", favor_recall=True, include_comments=False, include_tables=True)
    blocks = block_lines(tree.find("body") if tree.find("body") is not None else tree, set())
    if _blocks_say_more(blocks, text):
        # a page laid out in a table, or a list main-text extraction would cut short: its blocks, each a unit with its
        # tag, are cut by the labeller, which drops the menus and footers among them as chrome
        vocab = options.vocabulary
        units = [Unit((line.line,), line.text, chrome.match(line.text), vocab, tag=line.tag) for line in blocks]
        pieces = list(Segmenter(options, removed).run(units))
    else:
        if not text:
            text = "\n".join(line.text for line in blocks)
        pieces = list(Segmenter(options, removed).run(text_units(split_lines(text or ""), options, chrome)))
    if not pieces and text and text.strip():
        pieces = [_loose_piece(text, options, chrome)]
    note = "no article container: the page's main text was cut like a text dump"
    for piece in pieces:
        piece.notes = [note, *page.notes, *piece.notes]
    if len(pieces) == 1:
        only = pieces[0]
        if page.title and len(page.title) <= options.max_title_chars:
            only.title = only.title or page.title
        only.date = only.date or checked_date(page.date, only.notes, "the page's date", options.today)
        only.author = only.author or page.author
        only.outlet = (
            only.outlet
            or (outlet_name(page.site, options.gazetteer) if page.site else None)
            or options.gazetteer.outlet_of_url(page.url)
        )
    return pieces


def _blocks_say_more(blocks: list[Line], main_text: str | None) -> bool:
    """True when a container-less page is better read block by block than by main-text extraction.

    Main-text extraction keeps one article's text and drops the rest as
    boilerplate; on a page laid out in table cells it keeps the cells as
    "| cell |" rows, and on a list page it may keep a few of the items. Either
    way its text is a small share of the page's, or the page's text sits in
    table cells.
    """
    total = sum(len(line.text) for line in blocks)
    if not total:
        return False
    in_cells = sum(len(line.text) for line in blocks if line.tag in ("td", "th"))
    kept = len(" ".join((main_text or "").split()))
    return in_cells >= TABLE_SHARE * total or kept < MAIN_TEXT_SHARE * total


def _flat_page(html: str, why: str, options: CutOptions, chrome: ChromeFilter, removed: RemovedSink) -> list[CutPiece]:
    """A page too deep for a tree: its text read as a stream of tags, cut like a text dump, saying so."""
    text = flat_text(html)
    pieces = list(Segmenter(options, removed).run(text_units(split_lines(text), options, chrome)))
    if not pieces and text.strip():
        pieces = [_loose_piece(text, options, chrome)]
    note = f"{why}: its text was read without its markup (no article containers, no markup metadata)"
    for piece in pieces:
        piece.notes = [note, *piece.notes]
    return pieces


def _loose_piece(text: str, options: CutOptions, chrome: ChromeFilter) -> CutPiece:
    """A page too short to look like an article is still one piece: its lines as paragraphs."""
    units = [
        PieceUnit((n,), " ".join(line.split()), "body")
        for n, line in enumerate(split_lines(text), 1)
        if line.strip() and chrome.match(line) is None
    ]
    return CutPiece(units=units, start_rule="html-page", script="none")
