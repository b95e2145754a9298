"""Render an HTML page to the text lines a scraper would produce, one block per line.

This is the "scraped text" genre made from HTML: every visible block of the body (menus, footers,
captions, related links and the article alike) becomes one line, in document order. The line
classifier is trained on pages rendered this way and evaluated on test pages rendered the same
way, so the rendering is part of the model's contract: change it and retrain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree
import lxml.html

__all__ = ["RenderedLine", "render_lines", "strip_xml_declaration"]

# Elements whose content a reader never sees as text.
_INVISIBLE = frozenset(
    "script style noscript template head title meta link iframe object embed svg canvas "
    "select option button input textarea map area audio video source track".split()
)
# Elements that start a new line (block-level in a browser's default style sheet).
_BLOCKS = frozenset(
    "address article aside blockquote body br dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary "
    "table tbody thead tfoot td th tr ul caption center".split()
)
_SPACE = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")


def strip_xml_declaration(text: str) -> str:
    """``text`` without a leading ``<?xml ... ?>`` declaration.

    An XHTML page often opens with one that names its encoding; once the page is decoded to
    ``str`` that name is stale, and lxml refuses a ``str`` that carries it ("Unicode strings
    with encoding declaration are not supported"), so every parse of such a page would fail.
    """
    return _XML_DECLARATION.sub("", text, count=1)


@dataclass(frozen=True, slots=True)
class RenderedLine:
    """One visible block: its text, its tag and the source line where the block starts."""

    text: str
    tag: str
    source_line: int | None


def _source_line(element: lxml.etree._Element) -> int | None:
    line: object = element.sourceline
    return line if isinstance(line, int) else None


class _Renderer:
    def __init__(self) -> None:
        self.lines: list[RenderedLine] = []
        self._parts: list[str] = []
        self._tag = "body"
        self._source_line: int | None = None

    def flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self._parts)).strip()
        if text:
            self.lines.append(RenderedLine(text, self._tag, self._source_line))
        self._parts = []

    def start_block(self, element: lxml.etree._Element, tag: str) -> None:
        self.flush()
        self._tag = tag
        self._source_line = _source_line(element)

    def text(self, value: str | None, element: lxml.etree._Element) -> None:
        if value:
            if not self._parts and self._source_line is None:
                self._source_line = _source_line(element)
            self._parts.append(value)

    def walk(self, element: lxml.etree._Element) -> None:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag in _INVISIBLE or not isinstance(element.tag, str):
            # Comments and processing instructions: skip them, keep what follows them.
            self.text(element.tail, element)
            return
        if element.get("hidden") is not None or element.get("aria-hidden") == "true":
            self.text(element.tail, element)
            return
        block = tag in _BLOCKS
        if block:
            self.start_block(element, tag)
        self.text(element.text, element)
        for child in element:
            self.walk(child)
        if block:
            self.flush()
            self._tag = "body"
            self._source_line = None
        self.text(element.tail, element)


def render_lines(html: str) -> list[RenderedLine]:
    """The visible text of ``html`` as lines, one per block element, in document order.

    Never raises for odd markup: an unparseable document renders as no lines. An XHTML page's
    XML declaration is dropped first (lxml cannot parse a decoded page that keeps it).
    """
    html = strip_xml_declaration(html)
    if not html.strip():
        return []
    try:
        document = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    body = document.find("body")
    renderer = _Renderer()
    renderer.walk(body if body is not None else document)
    renderer.flush()
    return renderer.lines
