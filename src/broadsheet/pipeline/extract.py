"""Extraction stage: decoded text of one raw document -> article drafts (and subscriptions).

One function per input format. A problem with the whole document raises a ``BroadsheetError``;
a problem with one item of a multi-article document (a JSONL line, a feed entry, an OPML outline)
becomes a ``QuarantineDraft`` with a locator while the other items go on.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
import trafilatura

from broadsheet.errors import (
    BroadsheetError,
    EmptyInput,
    ExtractError,
    HostileInput,
    InvalidField,
    ParseError,
    UnsupportedFormat,
)
from broadsheet.model import (
    ArticleDraft,
    IngestOptions,
    InputFormat,
    QuarantineDraft,
    Removal,
    SourceLine,
    Stage,
    Subscription,
)
from broadsheet.pipeline.clean import clean, find_standfirst
from broadsheet.pipeline.render import render_lines, strip_xml_declaration
from broadsheet.timestamps import from_struct_time, parse_timestamp
from broadsheet.urls import canonical_url, check_url, hostname
from broadsheet.words import word_count

__all__ = [
    "Extracted",
    "detect_format",
    "extract",
    "format_for_path",
    "html_body",
    "html_to_paragraphs",
    "is_related_link",
    "text_lines",
]

_EXTENSIONS: Mapping[str, InputFormat] = {
    ".txt": InputFormat.TEXT,
    ".text": InputFormat.TEXT,
    ".html": InputFormat.HTML,
    ".htm": InputFormat.HTML,
    ".xhtml": InputFormat.HTML,
    ".jsonl": InputFormat.JSONL,
    ".ndjson": InputFormat.JSONL,
    ".xml": InputFormat.FEED,
    ".rss": InputFormat.FEED,
    ".atom": InputFormat.FEED,
    ".rdf": InputFormat.FEED,
    ".opml": InputFormat.OPML,
}

UNKNOWN_SOURCE = "unknown"
# Stands in for "now" where only the text matters (html_body): no clock is read.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# A feed <description>/<summary> of at most this many words is a teaser, not the article: the
# teasers in RSS feeds we have seen run one to three sentences (20-70 words); article bodies run
# to hundreds. A teaser never replaces a full text and is never linked as wire copy.
TEASER_MAX_WORDS = 80
# A web page whose main text is shorter than this is a menu, login wall or error page, not an
# article: the shortest news briefs we know (one-paragraph wire flashes) run to 25-40 words.
MIN_PAGE_WORDS = 15

# trafilatura's text with ``include_links``: each link as [text](target), the target in angle
# brackets when it holds a parenthesis ("[Mercury](<https://en.wikipedia.org/wiki/Mercury_(planet)>)",
# "[word](<javascript:void(0)>)"), so that the text reads back without a stray ">)".
_MARKED_LINK = re.compile(r"\[([^\]]*)\]\((<[^>]*>|[^)]*)\)")
# "Read more:", "LE PUEDE INTERESAR:", "Czytaj też:": up to four words and a colon.
_LINK_LEAD = re.compile(r"^\s*(?:[^\s\[]+\s+){0,3}[^\s\[]+:\s*")
_LINK_TRIM = " .,;:-\u2013\u2014|\u00bb\u203a>*"
# A related-story link is a headline: at most this many words. A whole paragraph of prose
# wrapped in one link (some sites link every paragraph of a press release) is article text.
# Judged on trafilatura's 990-page set (docs/quality.md), never on the Zyte test set.
RELATED_LINK_MAX_WORDS = 20
# Entity declarations are how "billion laughs" and external-entity attacks are built; no feed or
# OPML file needs them, so any is refused before a parser sees it.
_ENTITY_DECL = re.compile(r"<!ENTITY", re.I)
_ROOT_ELEMENT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_PROLOG_SKIP = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S)
_FEED_END = re.compile(r"</(?:[\w.-]+:)?(?:rss|feed|RDF)>\s*$")
_PUBLISHED_META = frozenset(
    {
        "article:published_time",
        "og:published_time",
        "datepublished",
        "pubdate",
        "publishdate",
        "publish-date",
        "dc.date.issued",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
    }
)
_JSONLD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')
# Publication metadata sits in <head> or near the top of <article>; 200,000 characters covers
# the heaviest news page heads we have seen (inline CSS and scripts included).
_HEAD_SCAN_CHARS = 200_000
_SPACE_RUN = re.compile(r"\s+")
_HTML_LANG = re.compile(r"""<html[^>]*\slang\s*=\s*["']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)""", re.I)

_BLOCK_TAGS = frozenset(
    (
        "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 "
        "h5 h6 header hr li main nav ol p pre section table td th tr ul"
    ).split()
)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg")


@dataclass(frozen=True, slots=True)
class Extracted:
    """What extraction found in one document."""

    format: InputFormat
    articles: tuple[ArticleDraft, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    item_quarantines: tuple[QuarantineDraft, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class _Context:
    options: IngestOptions
    now: datetime
    default_language: str | None


def format_for_path(path: str | None) -> InputFormat | None:
    """The format a file name implies, or None for an extension Broadsheet does not know."""
    if not path:
        return None
    return _EXTENSIONS.get(PurePath(path).suffix.lower())


def _xml_root(text: str) -> str | None:
    """Local name of the first element of an XML/HTML text (after its prolog), lower-cased."""
    pos = 0
    while (skipped := _PROLOG_SKIP.match(text, pos)) and skipped.end() > pos:
        pos = skipped.end()
    match = _ROOT_ELEMENT.match(text[pos:].lstrip())
    if not match:
        return None
    return match.group(1).rsplit(":", 1)[-1].lower()


def detect_format(text: str, hint: InputFormat | None) -> InputFormat:
    """Decide the format from the file-name ``hint`` and the text itself.

    XML is sorted by its root element, so an OPML file saved as ``.xml`` is read as OPML and an
    XHTML page as HTML. Without a hint, JSON Lines and plain text are told apart by the first line.
    """
    head = text.lstrip("\ufeff \t\r\n")
    if hint in (InputFormat.FEED, InputFormat.OPML, None) and head.startswith("<"):
        root = _xml_root(head)
        if root == "opml":
            return InputFormat.OPML
        if root in ("rss", "feed", "rdf", "channel"):
            return InputFormat.FEED
        if root == "html":
            return InputFormat.HTML
        if hint is None and head[:1] == "<":
            return InputFormat.HTML
        shown = f"<{root}>" if root else "no element"
        raise UnsupportedFormat(f"XML root element is {shown}: not an RSS/Atom feed or OPML file")
    if hint is not None:
        return hint
    first = head.split("\n", 1)[0].strip()
    if first.startswith("{"):
        return InputFormat.JSONL
    return InputFormat.TEXT


def extract(
    text: str,
    fmt: InputFormat,
    *,
    options: IngestOptions,
    now: datetime,
    default_language: str | None = None,
) -> Extracted:
    """Extract drafts from decoded ``text`` in format ``fmt``; raises ``BroadsheetError``."""
    ctx = _Context(options=options, now=now, default_language=default_language)
    if fmt is InputFormat.TEXT:
        return Extracted(fmt, articles=(_from_text(text, ctx),))
    if fmt is InputFormat.HTML:
        return Extracted(fmt, articles=(_from_html_page(text, ctx),))
    if fmt is InputFormat.JSONL:
        return _from_jsonl(text, ctx)
    if fmt is InputFormat.FEED:
        # --- JSON Feed (#9): parsed in pipeline/feeds.py; imported here to avoid a cycle.
        if text.lstrip("\ufeff \t\r\n").startswith("{"):
            from broadsheet.pipeline.feeds import extract_json_feed

            return extract_json_feed(
                text, options=options, now=now, default_language=default_language
            )
        # --- end JSON Feed
        return _from_feed(text, ctx)
    return _from_opml(text)


# --- shared helpers -------------------------------------------------------------------------


def _published(
    value: datetime | None, ctx: _Context, *, override: bool = False
) -> tuple[datetime, bool]:
    """(published_at, guessed): explicit option wins when ``override``, then the value, then now."""
    if override and ctx.options.published_at:
        return ctx.options.published_at, False
    if value is not None:
        return value, False
    if ctx.options.published_at:
        return ctx.options.published_at, False
    return ctx.now, True


def _urls(url: str | None, *, field_name: str = "url") -> tuple[str | None, str | None]:
    if not url:
        return None, None
    return check_url(url, field=field_name), canonical_url(url, field=field_name)


def _site_url(url: str | None) -> str | None:
    """The home page of the site an article URL belongs to."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.netloc else None


def _language(found: str | None, ctx: _Context) -> str | None:
    value = ctx.options.language or found or ctx.default_language
    return value.lower() if value else None


def html_to_paragraphs(fragment: str) -> list[str]:
    """Text blocks of an HTML fragment (feed content, JSONL ``html``), one per block element."""
    if not fragment.strip():
        return []
    try:
        doc = lxml.html.document_fromstring(f"<html><body><div>{fragment}</div></body></html>")
    except (lxml.etree.ParserError, ValueError):
        return [line.strip() for line in fragment.splitlines() if line.strip()]
    for element in [el for tag in _DROP_TAGS for el in doc.iter(tag)]:
        if isinstance(element, lxml.html.HtmlElement):
            element.drop_tree()
    for element in doc.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n" + (element.text or "")
    text = lxml.etree.tostring(doc, method="text", encoding="unicode")
    return [line.strip() for line in text.split("\n") if line.strip()]


def _plain(value: object) -> str:
    """A title-like field as plain text (feeds and JSONL sometimes carry markup in titles)."""
    if not isinstance(value, str):
        return ""
    if "<" in value and ">" in value:
        return " ".join(html_to_paragraphs(value))
    return value.strip()


# --- scraped text ---------------------------------------------------------------------------


def text_lines(text: str) -> tuple[SourceLine, ...]:
    """The non-blank lines of ``text`` with their character offsets."""
    lines: list[SourceLine] = []
    position = 0
    for raw_line in text.splitlines(keepends=True):
        stripped = raw_line.strip()
        if stripped:
            start = position + raw_line.index(stripped[0])
            lines.append(SourceLine(stripped, start, start + len(stripped)))
        position += len(raw_line)
    return tuple(lines)


def _from_text(text: str, ctx: _Context) -> ArticleDraft:
    lines = text_lines(text)
    if not lines:
        raise EmptyInput("no text: every line is blank")
    url, canonical = _urls(ctx.options.url)
    published_at, guessed = _published(None, ctx)
    # Title and paragraphs are the cleaner's to choose: it judges every line first.
    return ArticleDraft(
        source_name=ctx.options.source or hostname(url) or UNKNOWN_SOURCE,
        title="",
        paragraphs=(),
        published_at=published_at,
        published_at_guessed=guessed,
        url=url,
        canonical_url=canonical,
        site_url=_site_url(url),
        language=_language(None, ctx),
        lines=lines,
    )


# --- HTML pages -----------------------------------------------------------------------------


def _from_html_page(text: str, ctx: _Context, *, locator: str | None = None) -> ArticleDraft:
    # trafilatura cannot parse a str that still carries an XML encoding declaration.
    text = strip_xml_declaration(text)
    document = trafilatura.bare_extraction(
        text,
        url=ctx.options.url,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        date_extraction_params={
            "extensive_search": True,
            "original_date": True,
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",
        },
    )
    plain = getattr(document, "text", None) if document is not None else None
    paragraphs_plain = (plain or "").split("\n")
    related = _related_links(text, ctx.options.url) if plain else set()
    is_link = [
        _link_key(p) in related or _link_key(_LINK_LEAD.sub("", p, count=1)) in related
        for p in paragraphs_plain
    ]
    body = "\n".join(p for p, link in zip(paragraphs_plain, is_link, strict=True) if not link)
    if not body.strip():
        raise ExtractError("no article text found in the HTML page")
    words = word_count(body)
    if words < MIN_PAGE_WORDS:
        raise ExtractError(
            f"no article text found in the HTML page: only {words} words of main text "
            f"(under {MIN_PAGE_WORDS}); an index, login or error page"
        )
    page_url = ctx.options.url or getattr(document, "url", None)
    try:
        url, canonical = _urls(page_url)
    except InvalidField:
        if ctx.options.url:
            raise
        url, canonical = None, None  # a page's own bad canonical link is not worth a quarantine
    found_date = _page_timestamp(text)
    date_text = getattr(document, "date", None)
    if found_date is None and date_text:
        with contextlib.suppress(InvalidField):
            found_date = parse_timestamp(date_text, field="page date")
    published_at, guessed = _published(found_date, ctx, override=True)
    author = getattr(document, "author", None) or ""
    authors = tuple(a.strip() for a in author.split(";") if a.strip())
    lang = _HTML_LANG.search(text[:4096])
    site = getattr(document, "sitename", None) or getattr(document, "hostname", None)
    paragraphs = tuple(body.split("\n"))
    title = getattr(document, "title", None) or ""
    description = getattr(document, "description", None)
    return ArticleDraft(
        source_name=ctx.options.source or (site or "").strip() or hostname(url) or UNKNOWN_SOURCE,
        title=title,
        paragraphs=paragraphs,
        published_at=published_at,
        published_at_guessed=guessed,
        url=url,
        canonical_url=canonical,
        site_url=_site_url(url),
        authors=authors,
        language=_language(lang.group(1).split("-")[0] if lang else None, ctx),
        locator=locator,
        removed=_left_out(
            text,
            body,
            related=[p for p, link in zip(paragraphs_plain, is_link, strict=True) if link],
        ),
        standfirst=find_standfirst(paragraphs, description=description, title=title),
    )


def is_related_link(paragraph: str) -> bool:
    """Whether an extracted paragraph (links marked as [text](target)) is a link to another
    story and nothing else, after at most a short lead-in: "Read more: [headline](...)",
    "- [headline](...)", "[» headline](...)". A related-story headline sits inside the article
    container, so the extractor keeps it; it is another article's title, not this one's text.
    Table rows and links of more than ``RELATED_LINK_MAX_WORDS`` words are kept."""
    if paragraph.lstrip().startswith("|"):
        return False
    rest = _LINK_LEAD.sub("", paragraph, count=1)
    links = _MARKED_LINK.findall(rest)
    if not links or _MARKED_LINK.sub("", rest).strip(_LINK_TRIM):
        return False
    return sum(word_count(text) for text, _ in links) <= RELATED_LINK_MAX_WORDS


def _related_links(html: str, url: str | None) -> set[str]:
    """The paragraphs (``_link_key``) of the page's main text that are related-story links.

    Found in a second extraction with trafilatura's link markup, which ``is_related_link``
    reads. The text itself comes from the plain extraction: with links marked, trafilatura loses
    the words after a link in some blocks ("the index (<a>PDF</a>) shows: ..." ends at "("; 18
    pages of its own evaluation set lost words that way), and in those blocks it puts a lead-in
    ("READ MORE:") and its link on two lines, so a plain paragraph is also a related link when
    it is one of these links after a lead-in."""
    marked = trafilatura.extract(
        html, url=url, include_comments=False, include_images=False, include_links=True
    )
    return {
        _link_key(_unmark(paragraph))
        for paragraph in (marked or "").split("\n")
        if is_related_link(paragraph)
    }


def _link_key(paragraph: str) -> str:
    return " ".join(paragraph.split()).casefold()


def _unmark(paragraph: str) -> str:
    """The paragraph's text with each [text](target) link back to its text."""
    return _MARKED_LINK.sub(lambda m: m.group(1), paragraph)


def _left_out(html: str, body: str, *, related: Sequence[str] = ()) -> tuple[Removal, ...]:
    """The visible blocks of a page the extractor did not take, with their source lines:
    ``related-link`` for the related-story links ``is_related_link`` took out of the
    extractor's text, ``not-main-content`` for the rest."""
    kept = _SPACE_RUN.sub(" ", body).casefold()
    links = [_SPACE_RUN.sub(" ", r).strip().casefold() for r in related]
    removed: list[Removal] = []
    for line in render_lines(html):
        text = _SPACE_RUN.sub(" ", line.text).strip()
        if text and text.casefold() not in kept:
            folded = text.casefold()
            linked = any(folded in link or link in folded for link in links if link)
            reason = "related-link" if linked else "not-main-content"
            removed.append(Removal(text, reason, start=line.source_line))
    return tuple(removed)


def _page_timestamp(text: str) -> datetime | None:
    """The publication time a page states with a time of day (meta tags, JSON-LD, <time>).

    htmldate (inside trafilatura) is built to find the *date* and often returns midnight; for
    ordering wire copy against its re-runs the hour matters, so the explicit fields come first.
    """
    try:
        doc = lxml.html.document_fromstring(text[:_HEAD_SCAN_CHARS])
    except (lxml.etree.ParserError, ValueError):
        return None
    candidates: list[str] = []
    for meta in doc.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _PUBLISHED_META and meta.get("content"):
            candidates.append(meta.get("content", ""))
    for script in doc.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            candidates.extend(_JSONLD_PUBLISHED.findall(script.text))
    candidates.extend(t.get("datetime", "") for t in doc.iter("time") if t.get("datetime"))
    for value in candidates:
        if "T" not in value and ":" not in value:
            continue  # a bare date: let htmldate weigh it against the rest of the page
        with contextlib.suppress(InvalidField):
            return parse_timestamp(value, field="page date")
    return None


def html_body(html: str, *, url: str | None = None) -> str:
    """The article text Broadsheet extracts from a page, paragraphs joined by newlines.

    The same path as ingest (extraction, then the cleaning stage), without the store: what the
    extraction benchmark scores. Returns "" for a page with no article.
    """
    ctx = _Context(options=IngestOptions(url=url), now=_EPOCH, default_language=None)
    try:
        draft = clean(_from_html_page(html, ctx))
    except BroadsheetError:
        return ""
    return "\n".join(draft.paragraphs)


# --- JSON Lines -----------------------------------------------------------------------------


def _str_field(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(f"{name}: expected a string, got {type(value).__name__}")
    return value


def _authors_field(record: Mapping[str, Any]) -> tuple[str, ...]:
    value = record.get("authors", record.get("author"))
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(a.strip() for a in value.split(";") if a.strip())
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return tuple(a.strip() for a in value if a.strip())
    raise InvalidField("authors: expected a string or a list of strings")


def _jsonl_record(record: Mapping[str, Any], ctx: _Context, locator: str) -> ArticleDraft:
    title = _str_field(record, "title")
    text_value = _str_field(record, "text")
    html_value = _str_field(record, "html")
    url, canonical = _urls(_str_field(record, "url"))
    source = _str_field(record, "source")
    language = _str_field(record, "language") or _str_field(record, "lang")
    found_date = None
    if record.get("published_at") is not None:
        found_date = parse_timestamp(record["published_at"])
    authors = _authors_field(record)

    lines: tuple[SourceLine, ...] = ()
    if text_value is not None and text_value.strip():
        # Scraped text like a .txt file: the cleaner judges it line by line (offsets are in the
        # record's "text" field).
        lines = text_lines(text_value)
        paragraphs: list[str] = []
    elif html_value is not None and html_value.strip():
        if re.search(r"<(html|body)\b", html_value[:2048], re.I):
            page_ctx = _Context(
                options=IngestOptions(
                    source=ctx.options.source or source,
                    url=url,
                    published_at=found_date or ctx.options.published_at,
                    language=ctx.options.language or language,
                ),
                now=ctx.now,
                default_language=ctx.default_language,
            )
            page = _from_html_page(html_value, page_ctx, locator=locator)
            return ArticleDraft(
                source_name=page.source_name,
                title=_plain(title) or page.title,
                paragraphs=page.paragraphs,
                published_at=page.published_at,
                published_at_guessed=page.published_at_guessed,
                url=page.url,
                canonical_url=page.canonical_url,
                site_url=page.site_url,
                authors=authors or page.authors,
                language=page.language,
                locator=locator,
                removed=page.removed,
            )
        paragraphs = html_to_paragraphs(html_value)
    else:
        raise InvalidField("record has neither a non-empty 'text' nor 'html' field")

    published_at, guessed = _published(found_date, ctx)
    return ArticleDraft(
        source_name=ctx.options.source or source or hostname(url) or UNKNOWN_SOURCE,
        title=_plain(title),
        paragraphs=tuple(paragraphs),
        published_at=published_at,
        published_at_guessed=guessed,
        url=url,
        canonical_url=canonical,
        site_url=_site_url(url),
        authors=authors,
        language=_language(language, ctx),
        locator=locator,
        lines=lines,
    )


def _from_jsonl(text: str, ctx: _Context) -> Extracted:
    articles: list[ArticleDraft] = []
    problems: list[QuarantineDraft] = []
    seen_lines = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        seen_lines += 1
        locator = f"line {number}"
        try:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ParseError(
                    f"invalid JSON at column {exc.colno}: {exc.msg}"
                    + (" (line truncated?)" if exc.pos >= len(line.rstrip()) - 1 else "")
                ) from exc
            except RecursionError as exc:
                raise HostileInput("JSON nested too deeply") from exc
            if not isinstance(record, dict):
                raise InvalidField(f"expected a JSON object, got {type(record).__name__}")
            articles.append(_jsonl_record(record, ctx, locator))
        except BroadsheetError as exc:
            problems.append(_item_problem(exc, locator))
    if seen_lines == 0:
        raise EmptyInput("no records: every line is blank")
    return Extracted(InputFormat.JSONL, tuple(articles), (), tuple(problems))


def _item_problem(exc: BroadsheetError, locator: str) -> QuarantineDraft:
    return QuarantineDraft(
        stage=Stage.EXTRACT,
        code=exc.code,
        error_class=type(exc).__name__,
        message=f"{locator}: {exc.message}",
        locator=locator,
    )


# --- feeds ----------------------------------------------------------------------------------


def _refuse_entities(text: str) -> None:
    # Entity declarations can only stand in the DOCTYPE before the root element, which in any
    # real feed or OPML file is within the first few kilobytes.
    if _ENTITY_DECL.search(text, 0, 65536):
        raise HostileInput(
            "XML declares entities (<!ENTITY>); refused to prevent entity-expansion attacks"
        )


def _entry_text(entry: Mapping[str, Any]) -> tuple[list[str], bool]:
    """Paragraphs of an entry and whether they are only a summary."""
    contents = [c for c in entry.get("content") or [] if isinstance(c.get("value"), str)]
    if contents:
        best = max(contents, key=lambda c: len(c["value"]))
        paragraphs = html_to_paragraphs(best["value"])
        if paragraphs:
            return paragraphs, False
    summary = entry.get("summary")
    if isinstance(summary, str):
        # Many RSS feeds carry the whole article in <description>; only a short one is a teaser.
        paragraphs = html_to_paragraphs(summary)
        words = sum(word_count(p) for p in paragraphs)
        return paragraphs, words <= TEASER_MAX_WORDS
    return [], True


def _feed_entry(
    entry: Mapping[str, Any], feed_meta: Mapping[str, Any], ctx: _Context, locator: str
) -> ArticleDraft:
    paragraphs, partial = _entry_text(entry)
    title = _plain(entry.get("title"))
    if not paragraphs:
        shown = f"only a title ({title[:60]!r})" if title else "no title"
        raise ExtractError(f"entry has {shown} and no text")
    link = entry.get("link")
    url, canonical = _urls(link if isinstance(link, str) else None, field_name="link")
    found = from_struct_time(entry.get("published_parsed")) or from_struct_time(
        entry.get("updated_parsed")
    )
    published_at, guessed = _published(found, ctx)
    names = [a.get("name", "") for a in entry.get("authors") or [] if isinstance(a, Mapping)]
    authors = tuple(n.strip() for n in names if isinstance(n, str) and n.strip())
    if not authors and isinstance(entry.get("author"), str):
        authors = (entry["author"].strip(),)
    site = feed_meta.get("link") if isinstance(feed_meta.get("link"), str) else None
    feed_title = _plain(feed_meta.get("title"))
    feed_lang = feed_meta.get("language") if isinstance(feed_meta.get("language"), str) else None
    return ArticleDraft(
        source_name=ctx.options.source
        or feed_title
        or hostname(site)
        or hostname(url)
        or UNKNOWN_SOURCE,
        title=title,
        paragraphs=tuple(paragraphs),
        published_at=published_at,
        published_at_guessed=guessed,
        url=url,
        canonical_url=canonical,
        site_url=site,
        authors=authors,
        language=_language(feed_lang.split("-")[0] if feed_lang else None, ctx),
        is_partial=partial,
        locator=locator,
    )


def _from_feed(text: str, ctx: _Context) -> Extracted:
    _refuse_entities(text)
    undeclared = strip_xml_declaration(text)
    # The declaration's encoding is stale once the feed is decoded: name the one it now has.
    body = text if undeclared == text else '<?xml version="1.0" encoding="utf-8"?>' + undeclared
    # A stream, never bytes or str: feedparser treats a bare string as a URL or a file name.
    parsed = feedparser.parse(
        io.BytesIO(body.encode("utf-8")),
        response_headers={"content-type": "application/xml; charset=utf-8"},
    )
    entries: Sequence[Mapping[str, Any]] = parsed.get("entries") or []
    if not entries:
        if parsed.get("bozo"):
            reason = parsed.get("bozo_exception")
            raise ParseError(f"malformed feed XML: {reason}")
        if not parsed.get("version"):
            raise ParseError("not an RSS or Atom feed")
        raise EmptyInput(f"feed ({parsed.get('version')}) has no entries")
    feed_meta: Mapping[str, Any] = parsed.get("feed") or {}
    # feedparser's lenient parser recovers entries from a cut-off download; all but the last are
    # whole, the last may be cut mid-text and must not pass for the article.
    truncated = bool(parsed.get("bozo")) and not _FEED_END.search(text[-256:])
    articles: list[ArticleDraft] = []
    problems: list[QuarantineDraft] = []
    for number, entry in enumerate(entries, start=1):
        locator = f"entry {number}"
        try:
            if truncated and number == len(entries):
                raise ParseError(
                    "the feed ends before its closing tag (truncated download?): "
                    "this last entry may be incomplete"
                )
            articles.append(_feed_entry(entry, feed_meta, ctx, locator))
        except BroadsheetError as exc:
            problems.append(_item_problem(exc, locator))
    return Extracted(InputFormat.FEED, tuple(articles), (), tuple(problems))


# --- OPML -----------------------------------------------------------------------------------


def _from_opml(text: str) -> Extracted:
    _refuse_entities(text)
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = lxml.etree.fromstring(strip_xml_declaration(text).encode("utf-8"), parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed OPML XML: {exc}") from exc
    if lxml.etree.QName(root).localname.lower() != "opml":
        raise ParseError(f"not OPML: root element is <{lxml.etree.QName(root).localname}>")
    subscriptions: list[Subscription] = []
    problems: list[QuarantineDraft] = []
    seen: set[str] = set()
    for number, outline in enumerate(root.iter("outline"), start=1):
        xml_url = outline.get("xmlUrl") or outline.get("xmlurl")
        if xml_url is None:
            continue
        locator = f"outline {number}"
        try:
            checked = canonical_url(xml_url, field="xmlUrl")
        except InvalidField as exc:
            problems.append(_item_problem(exc, locator))
            continue
        if checked in seen:
            continue
        seen.add(checked)
        folders = [
            a.get("title") or a.get("text") or ""
            for a in outline.iterancestors("outline")
            if a.get("xmlUrl") is None
        ]
        declared = [c.strip().strip("/") for c in (outline.get("category") or "").split(",")]
        categories = tuple(dict.fromkeys(c for c in [*reversed(folders), *declared] if c))
        html_url = outline.get("htmlUrl")
        try:
            html_url = check_url(html_url, field="htmlUrl") if html_url else None
        except InvalidField:
            html_url = None
        subscriptions.append(
            Subscription(
                xml_url=xml_url.strip(),
                title=outline.get("title") or outline.get("text"),
                html_url=html_url,
                categories=categories,
            )
        )
    if not subscriptions and not problems:
        raise EmptyInput("OPML lists no feeds: no <outline> has an xmlUrl")
    return Extracted(InputFormat.OPML, (), tuple(subscriptions), tuple(problems))
