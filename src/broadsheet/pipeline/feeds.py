"""Feed formats beyond what ``extract`` reads itself: JSON Feed, autodiscovery, feed metadata.

Pure functions over decoded text: no network, no clock. ``extract`` hands JSON Feed documents
(format ``feed`` whose text is a JSON object) to ``extract_json_feed``; the fetcher uses
``discover_feeds`` to find a site's feed from its home page, ``feed_kind`` to tell a feed from a
page, and ``feed_metadata`` to name a new subscription.
"""

from __future__ import annotations

import email.utils
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.etree
import lxml.html

from broadsheet.errors import BroadsheetError, EmptyInput, ExtractError, InvalidField, ParseError
from broadsheet.model import (
    ArticleDraft,
    Feed,
    IngestOptions,
    InputFormat,
    QuarantineDraft,
    Stage,
)
from broadsheet.pipeline.extract import (
    TEASER_MAX_WORDS,
    UNKNOWN_SOURCE,
    Extracted,
    html_to_paragraphs,
)
from broadsheet.pipeline.render import strip_xml_declaration
from broadsheet.timestamps import parse_timestamp
from broadsheet.urls import canonical_url, check_url, hostname
from broadsheet.words import word_count

__all__ = [
    "FEED_MEDIA_TYPES",
    "FeedMetadata",
    "discover_feeds",
    "extract_json_feed",
    "feed_kind",
    "feed_metadata",
    "is_json_feed",
    "opml_document",
]

# <link rel="alternate" type=...> values that name a feed, best first.
FEED_MEDIA_TYPES: tuple[str, ...] = (
    "application/atom+xml",
    "application/rss+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)
_JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(\.\d+)?/?$")
_XML_ROOT = re.compile(r"<(?:[\w.-]+:)?(rss|feed|rdf|html|opml)[\s>/]", re.I)
_ENTITY_DECL = re.compile(r"<!ENTITY", re.I)


@dataclass(frozen=True, slots=True)
class FeedMetadata:
    """What a feed says about itself."""

    title: str | None = None
    site_url: str | None = None


def is_json_feed(text: str) -> bool:
    """True when ``text`` is a JSON object that declares a JSON Feed version."""
    head = text.lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return False
    try:
        data = json.loads(head)
    except ValueError:
        return False
    return isinstance(data, dict) and bool(_JSON_FEED_VERSION.match(str(data.get("version", ""))))


def feed_kind(text: str) -> InputFormat | None:
    """``FEED`` for RSS/Atom/RDF/JSON Feed, ``HTML`` for a web page, else None."""
    if is_json_feed(text):
        return InputFormat.FEED
    match = _XML_ROOT.search(text[:4096])
    if not match:
        return InputFormat.HTML if "<" in text[:4096] else None
    root = match.group(1).lower()
    if root == "html":
        return InputFormat.HTML
    if root == "opml":
        return None
    return InputFormat.FEED


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the feeds a page announces with ``<link rel="alternate">``, best first."""
    try:
        doc = lxml.html.document_fromstring(strip_xml_declaration(html)[:1_000_000])
    except (lxml.etree.ParserError, ValueError):
        return []
    base = base_url
    for element in doc.iter("base"):
        href = element.get("href")
        if href:
            base = urljoin(base_url, href.strip())
            break
    found: list[tuple[int, int, str]] = []
    for position, link in enumerate(doc.iter("link")):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_MEDIA_TYPES or not href:
            continue
        url = urljoin(base, href)
        if url.startswith(("http://", "https://")):
            found.append((FEED_MEDIA_TYPES.index(kind), position, url))
    return list(dict.fromkeys(url for _, _, url in sorted(found)))


def feed_metadata(text: str) -> FeedMetadata:
    """Title and home page of an RSS/Atom/JSON feed; empty when the text is not one."""
    if is_json_feed(text):
        data = json.loads(text.lstrip("\ufeff"))
        title = data.get("title")
        home = data.get("home_page_url")
        return FeedMetadata(
            title=title.strip() or None if isinstance(title, str) else None,
            site_url=_checked(home),
        )
    if _ENTITY_DECL.search(text, 0, 65536):
        return FeedMetadata()
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"), count=1)
    parsed = feedparser.parse(
        io.BytesIO(body.encode("utf-8")),
        response_headers={"content-type": "application/xml; charset=utf-8"},
    )
    meta: Mapping[str, Any] = parsed.get("feed") or {}
    title = meta.get("title")
    link = meta.get("link")
    return FeedMetadata(
        title=" ".join(html_to_paragraphs(title)) or None if isinstance(title, str) else None,
        site_url=_checked(link),
    )


def _checked(url: object) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        return check_url(url)
    except InvalidField:
        return None


# --- JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) --------------------------------------


def _authors(record: Mapping[str, Any]) -> tuple[str, ...]:
    people = record.get("authors")
    if not isinstance(people, list):
        single = record.get("author")
        people = [single] if isinstance(single, Mapping) else []
    names = [p.get("name") for p in people if isinstance(p, Mapping)]
    return tuple(n.strip() for n in names if isinstance(n, str) and n.strip())


def _item(
    item: Mapping[str, Any],
    feed: Mapping[str, Any],
    *,
    locator: str,
    options: IngestOptions,
    now: datetime,
    default_language: str | None,
) -> ArticleDraft:
    html = item.get("content_html")
    text = item.get("content_text")
    summary = item.get("summary")
    partial = False
    if isinstance(html, str) and html.strip():
        paragraphs = html_to_paragraphs(html)
    elif isinstance(text, str) and text.strip():
        paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    elif isinstance(summary, str) and summary.strip():
        paragraphs = html_to_paragraphs(summary)
        partial = True
    else:
        paragraphs = []
    if paragraphs and not partial:
        partial = sum(word_count(p) for p in paragraphs) <= TEASER_MAX_WORDS and bool(
            item.get("url")
        )
    title_value = item.get("title")
    title = title_value.strip() if isinstance(title_value, str) else ""
    if not paragraphs:
        shown = f"only a title ({title[:60]!r})" if title else "no title"
        raise ExtractError(f"item has {shown} and no text")
    link = item.get("url") or item.get("external_url")
    url = canonical = None
    if isinstance(link, str) and link.strip():
        url = check_url(link, field="url")
        canonical = canonical_url(link, field="url")
    published_at: datetime | None = None
    guessed = False
    for name in ("date_published", "date_modified"):
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            published_at = parse_timestamp(value, field=name)
            break
    if published_at is None:
        published_at = options.published_at or now
        guessed = options.published_at is None
    site = _checked(feed.get("home_page_url"))
    feed_title = feed.get("title") if isinstance(feed.get("title"), str) else None
    language = options.language or item.get("language") or feed.get("language") or default_language
    return ArticleDraft(
        source_name=options.source
        or (feed_title.strip() if feed_title else None)
        or hostname(site)
        or hostname(url)
        or UNKNOWN_SOURCE,
        title=title or (paragraphs[0][:120]),
        paragraphs=tuple(paragraphs),
        published_at=published_at,
        published_at_guessed=guessed,
        url=url,
        canonical_url=canonical,
        site_url=site,
        authors=_authors(item) or _authors(feed),
        language=str(language).split("-")[0].lower() if isinstance(language, str) else None,
        is_partial=partial,
        locator=locator,
    )


def extract_json_feed(
    text: str,
    *,
    options: IngestOptions,
    now: datetime,
    default_language: str | None = None,
) -> Extracted:
    """Article drafts from a JSON Feed; a bad item is quarantined by locator, the rest go on.

    Raises ``ParseError`` for text that is not a JSON Feed and ``EmptyInput`` for one without
    items.
    """
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except ValueError as exc:
        raise ParseError(f"malformed JSON Feed: {exc}") from exc
    if not isinstance(data, dict) or not _JSON_FEED_VERSION.match(str(data.get("version", ""))):
        raise ParseError("not a JSON Feed: no https://jsonfeed.org/version/1.x version")
    found = data.get("items")
    items: Sequence[Any] = found if isinstance(found, list) else []
    if not items:
        raise EmptyInput("JSON Feed has no items")
    drafts: list[ArticleDraft] = []
    problems: list[QuarantineDraft] = []
    for number, item in enumerate(items, start=1):
        locator = f"item {number}"
        try:
            if not isinstance(item, Mapping):
                raise InvalidField(f"item is {type(item).__name__}, not an object")
            drafts.append(
                _item(
                    item,
                    data,
                    locator=locator,
                    options=options,
                    now=now,
                    default_language=default_language,
                )
            )
        except BroadsheetError as exc:
            problems.append(
                QuarantineDraft(
                    stage=Stage.EXTRACT,
                    code=exc.code,
                    error_class=type(exc).__name__,
                    message=f"{locator}: {exc.message}",
                    locator=locator,
                )
            )
    return Extracted(InputFormat.FEED, tuple(drafts), (), tuple(problems))


# --- OPML 2.0 export (import is extract._from_opml) ----------------------------------------------


def _attribute_safe(category: str) -> bool:
    # The ``category`` attribute is a comma-separated list of "/"-paths that import strips of
    # spaces and slashes: a category that would not survive that goes into a folder instead.
    return bool(category) and "," not in category and category == category.strip().strip("/")


def opml_document(feeds: Sequence[Feed], *, title: str, created_at: datetime) -> str:
    """An OPML 2.0 subscription list of ``feeds`` that ``broadsheet feeds import`` reads back.

    The first category of a feed becomes the folder (``<outline text=...>``) it sits in, as feed
    readers expect; the others go in its ``category`` attribute (``"/World,/Politics"``), except
    that categories which that attribute cannot carry (a comma, edge spaces or slashes) become
    nested folders, so every category round-trips exactly and in order.
    """
    root = lxml.etree.Element("opml", version="2.0")
    head = lxml.etree.SubElement(root, "head")
    lxml.etree.SubElement(head, "title").text = title
    lxml.etree.SubElement(head, "dateCreated").text = email.utils.format_datetime(
        created_at, usegmt=True
    )
    body = lxml.etree.SubElement(root, "body")
    # The folders the previous feed sat in: a feed reuses them only while they are the latest
    # outlines, so the document lists feeds in the given order (import keeps that order).
    chain: list[tuple[str, lxml.etree._Element]] = []
    for feed in feeds:
        categories = [c for c in dict.fromkeys(feed.categories) if c]
        unsafe = [i for i, c in enumerate(categories[1:], start=1) if not _attribute_safe(c)]
        depth = (max(unsafe) + 1) if unsafe else min(1, len(categories))
        shared = 0
        while shared < min(depth, len(chain)) and chain[shared][0] == categories[shared]:
            shared += 1
        del chain[shared:]
        for name in categories[shared:depth]:
            parent = chain[-1][1] if chain else body
            chain.append((name, lxml.etree.SubElement(parent, "outline", text=name, title=name)))
        parent = chain[depth - 1][1] if depth else body
        if not depth:
            chain.clear()
        outline = lxml.etree.SubElement(parent, "outline", type="rss")
        outline.set("text", feed.title or feed.xml_url)
        if feed.title:
            outline.set("title", feed.title)
        outline.set("xmlUrl", feed.xml_url)
        if feed.html_url:
            outline.set("htmlUrl", feed.html_url)
        rest = categories[depth:]
        if rest:
            outline.set("category", ",".join(f"/{c}" for c in rest))
    text = lxml.etree.tostring(root, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text
