"""Matplotlib figures as inline SVG that the report's Content-Security-Policy lets render.

Why matplotlib, drawing SVG on the server: the report must open from disk
with nothing fetched and only our own hashed script allowed to run. A
matplotlib SVG is finished vector markup: no script, no font or data file
to load, the same picture in every browser and in a print-out, and the
text stays text (``svg.fonttype: none``), so the browser shapes Arabic
outlet names and the words can be searched and copied. The JavaScript
plotting libraries (Vega-Lite, Plotly) would add a megabyte of inlined code
to every report, and Vega compiles its expressions with ``new Function``,
which a strict CSP forbids.

Three things are adapted here, nothing is drawn by hand:

* matplotlib writes each element's look as a ``style="..."`` attribute,
  which the CSP (no ``'unsafe-inline'`` for styles) would drop; every such
  property is an SVG presentation attribute, so each becomes one
  (``fill="#fff"``); its global ``<style>`` rule becomes attributes on the
  root, where they are inherited;
* the metadata (creator, date) is dropped and element ids are derived from a
  per-chart salt, so a report is byte for byte the same for the same store
  and two charts in one page never share an id;
* only known SVG elements and attributes pass, and a link may only point
  inside the picture (``#id``); text that came from a dump (an outlet name)
  is text in a ``<text>`` element, escaped by the XML serialiser. Mathtext
  is off, so a ``$`` in an outlet name is a dollar sign.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
from lxml import etree
from markupsafe import Markup
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT = "'DejaVu Sans', 'Noto Sans Arabic', sans-serif"
RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
ELEMENTS = {
    "svg",
    "g",
    "defs",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "use",
    "clipPath",
    "title",
    "desc",
}
PRESENTATION = {
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
    "clip-rule",
    "visibility",
    "display",
}
GEOMETRY = {
    "id",
    "d",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "width",
    "height",
    "points",
    "transform",
    "viewBox",
    "clip-path",
    "version",
    "preserveAspectRatio",
    "href",
    f"{{{XLINK_NS}}}href",
}


_REFERENCE = re.compile(r"#([^)\s]+)")


def new_figure(width: float, height: float) -> Figure:
    """A figure not attached to pyplot (no global state), `width` × `height` inches."""
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(width, height), layout="constrained")
    return figure


@contextmanager
def drawing() -> Iterator[None]:
    """The rc settings every chart is drawn under (text as text, no mathtext, small font)."""
    with matplotlib.rc_context(RC):
        yield


def figure_svg(figure: Figure, salt: str, label_id: str) -> Markup:
    """The figure as an inline ``<svg>`` element, safe under the report's CSP (see the module docstring).

    `salt` makes the element ids unique to this chart; `label_id` names the
    element (the figure's caption) that labels the picture for screen readers.
    """
    buffer = io.StringIO()
    with matplotlib.rc_context({**RC, "svg.hashsalt": salt}):
        FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    root = etree.fromstring(buffer.getvalue().encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    _clean(root)
    for name in ("width", "height"):
        root.attrib.pop(name, None)  # the page sizes it (CSS), the viewBox keeps the proportions
    root.set("class", "chart")
    root.set("role", "img")
    root.set("aria-labelledby", label_id)
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    return Markup(etree.tostring(root, encoding="unicode"))


def _clean(root: etree._Element) -> None:
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments, processing instructions
            _remove(element)
            continue
        name = etree.QName(element).localname
        if etree.QName(element).namespace != SVG_NS or name not in ELEMENTS:
            _remove(element)
            continue
        style = element.attrib.pop("style", None)
        for attribute in list(element.attrib):
            if attribute not in GEOMETRY and attribute not in PRESENTATION:
                del element.attrib[attribute]
        for attribute in ("href", f"{{{XLINK_NS}}}href"):
            target = element.get(attribute)
            if target is not None and not target.startswith("#"):
                del element.attrib[attribute]
        if style:
            for prop, value in _declarations(style):
                if prop in PRESENTATION:
                    element.set(prop, FONT if prop == "font-family" else value)
    _drop_unreferenced_ids(root)


def _drop_unreferenced_ids(root: etree._Element) -> None:
    """Keep the ids something points at (clip paths, markers: salted, so unique); matplotlib's group
    names ("figure_1", "axes_1") repeat in every chart and would clash between two charts of one page."""
    used = set()
    for element in root.iter():
        for attribute in ("clip-path", "href", f"{{{XLINK_NS}}}href"):
            value = element.get(attribute) or ""
            found = _REFERENCE.search(value)
            if found:
                used.add(found.group(1))
    for element in root.iter():
        if element.get("id") is not None and element.get("id") not in used:
            del element.attrib["id"]


def _declarations(style: str) -> Iterator[tuple[str, str]]:
    for declaration in style.split(";"):
        prop, sep, value = declaration.partition(":")
        if sep:
            yield prop.strip().lower(), value.strip()


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)
