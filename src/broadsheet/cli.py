"""The ``broadsheet`` command: a thin shell that parses, loads settings, calls the library, prints.

With ``--json`` stdout holds exactly one JSON document and nothing else; progress and logs go to
stderr. Exit codes: 0 ok, 1 error, 2 usage error, 3 finished but some inputs were quarantined.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from broadsheet import __version__
from broadsheet.config import Settings, redact_url
from broadsheet.digits import MAX_ROW_ID, is_ascii_digits, row_id
from broadsheet.errors import BroadsheetError, ConfigError, InputError, NotFound
from broadsheet.inputs import iter_raws, walk_inputs
from broadsheet.logs import configure_logging
from broadsheet.model import (
    Entity,
    EntityType,
    FeedStatus,
    Follow,
    FollowKind,
    IngestOptions,
    IngestReport,
    InputFormat,
    Mute,
    RawDocument,
    Rejected,
    Removal,
    SourceSummary,
    Story,
    Topic,
    User,
)
from broadsheet.pipeline import ingest as run_ingest
from broadsheet.pipeline import reprocess as run_reprocess
from broadsheet.pipeline.feeds import opml_document
from broadsheet.pipeline.fetch import Fetcher, FetchPolicy
from broadsheet.polling import PollReport, poll_feeds, subscribe
from broadsheet.serialize import (
    article_json,
    article_summary_json,
    entity_json,
    feed_json,
    figure_json,
    poll_json,
    quarantine_json,
    report_json,
    search_hit_json,
    source_json,
    story_json,
    version_json,
)
from broadsheet.store import Store
from broadsheet.timestamps import parse_timestamp

__all__ = ["EXIT_QUARANTINED", "cli", "main"]

EXIT_QUARANTINED = 3

F = TypeVar("F", bound=Callable[..., Any])

# Row ids as arguments: a number a store key can hold, so a mistyped or hostile id is a usage
# error (exit 2) instead of an OverflowError from the database. Offsets as far as the API's.
ROW_ID = click.IntRange(1, MAX_ROW_ID)
OFFSET = click.IntRange(0, 10_000_000)


# --- shared plumbing -----------------------------------------------------------------------------


class AppContext:
    """What every command needs: settings, and a store opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None

    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.settings.db_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _now() -> datetime:
    return datetime.now(UTC)


def json_option(func: F) -> F:
    """``--json``: print one JSON document on stdout and nothing else."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")(func)


def quiet_option(func: F) -> F:
    """``--quiet``: no progress bar and no summary (errors still go to stderr)."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")(func)


def _emit_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def handle_errors(func: F) -> F:
    """Turn library errors into a one-line message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BroadsheetError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(total: int, *, label: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr, or a do-nothing callable when not on a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _n: None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _parse_published_at(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value, field="--published-at")
    except BroadsheetError as exc:
        raise click.BadParameter(exc.message) from exc


# --- the group -----------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL|PATH",
    help="Database (SQLAlchemy URL or SQLite file). Default: $BROADSHEET_DB, else a file in the "
    "user data directory.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "text", "json"]),
    default="auto",
    show_default=True,
    help="auto: text on a terminal, JSON lines otherwise.",
)
@click.version_option(__version__, prog_name="broadsheet")
@click.pass_context
def cli(ctx: click.Context, db: str | None, log_level: str, log_format: str) -> None:
    """Broadsheet: a news engine that ingests, cleans and deduplicates news.

    \b
    Example:
      broadsheet demo
      broadsheet ingest ~/news/ --source "Daily Lantern"
      broadsheet articles --json
    """
    configure_logging(log_level, log_format)
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        raise click.ClickException(exc.message) from exc
    if db:
        settings = settings.replace(db=db)
    app = AppContext(settings)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _app(ctx: click.Context) -> AppContext:
    app = ctx.find_object(AppContext)
    assert app is not None
    return app


# --- ingest --------------------------------------------------------------------------------------


def _print_report(report: IngestReport, skipped: Sequence[str], *, title: str) -> None:
    console = _console()
    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    totals = report_json(report, skipped=skipped)["totals"]
    for name, value in totals.items():
        table.add_row(name.replace("_", " "), str(value))
    console.print(table)
    problems = [(d, p) for d in report.documents for p in d.quarantined]
    if problems:
        console.print(f"\n[bold red]{len(problems)} quarantined[/] (see `broadsheet quarantine`):")
        for document, problem in problems[:20]:
            where = f" [{problem.locator}]" if problem.locator else ""
            console.print(
                f"  {document.origin}{where}: {problem.code}: {problem.message}", markup=False
            )
        if len(problems) > 20:
            console.print(f"  … and {len(problems) - 20} more")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--source", help="Outlet name for these inputs (overrides what they say).")
@click.option("--url", help="URL of the article (single-article inputs: .txt, .html).")
@click.option(
    "--published-at",
    callback=_parse_published_at,
    metavar="ISO8601",
    help="Publication time (without it, text inputs get the ingest time, marked as a guess).",
)
@click.option("--language", help="Language code, e.g. en.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in InputFormat]),
    help="Read every file as this format instead of going by its extension.",
)
@json_option
@quiet_option
@click.pass_context
@handle_errors
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    source: str | None,
    url: str | None,
    published_at: datetime | None,
    language: str | None,
    fmt: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Ingest files and directories (recursive): .txt .html .jsonl .xml/.rss/.atom .opml.

    Every input's bytes are kept. The same bytes with the same options are never processed
    twice (with new options they are re-run in place); a changed page at the same URL becomes a
    new version of its article. Bad inputs are quarantined with a reason and the rest of the
    batch goes on; the exit code is then 3.

    \b
    Examples:
      broadsheet ingest saved-pages/ feeds/
      broadsheet ingest story.txt --source "Daily Lantern" \\
          --url https://dailylantern.example/a --published-at 2026-11-10T08:00:00Z
    """
    app = _app(ctx)
    if url and (len(paths) > 1 or paths[0].is_dir()):
        raise click.UsageError(
            "--url names one article: give it with a single file, not a directory or several files"
        )
    options = IngestOptions(source=source, url=url, published_at=published_at, language=language)
    report, skipped = _ingest_paths(
        app, list(paths), options, fmt, show_progress=not (quiet or as_json)
    )
    if as_json:
        _emit_json(report_json(report, skipped=skipped))
    elif not quiet:
        _print_report(report, skipped, title="Ingest")
    if report.has_quarantined:
        ctx.exit(EXIT_QUARANTINED)


def _ingest_paths(
    app: AppContext,
    paths: list[Path],
    options: IngestOptions,
    fmt: str | None,
    *,
    show_progress: bool,
) -> tuple[IngestReport, list[str]]:
    walk = walk_inputs(paths)
    raws = iter_raws(
        walk.files, options=options, max_bytes=app.settings.max_input_bytes, clock=_now
    )
    if fmt:
        forced = InputFormat(fmt)
        raws = (_with_format(item, forced) for item in raws)
    with progress_bar(len(walk.files), label="ingest", enabled=show_progress) as advance:
        report = run_ingest(app.store(), raws, settings=app.settings, clock=_now, progress=advance)
    return report, [str(p) for p in walk.skipped]


def _with_format(item: RawDocument | Rejected, fmt: InputFormat) -> RawDocument | Rejected:
    return dataclasses.replace(item, format=fmt) if isinstance(item, RawDocument) else item


# --- reading -------------------------------------------------------------------------------------


@cli.command()
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, type=OFFSET)
@click.option("--source", help="Only this outlet.")
@click.option("--no-duplicates", is_flag=True, help="Hide exact copies of other articles.")
@json_option
@click.pass_context
@handle_errors
def articles(
    ctx: click.Context,
    limit: int,
    offset: int,
    source: str | None,
    no_duplicates: bool,
    as_json: bool,
) -> None:
    """List articles, newest first.

    \b
    Example:
      broadsheet articles --source "Meridian Wire" --limit 10
    """
    rows = (
        _app(ctx)
        .store()
        .articles(limit=limit, offset=offset, source=source, include_duplicates=not no_duplicates)
    )
    if as_json:
        _emit_json([article_summary_json(a) for a in rows])
        return
    table = Table(show_lines=False)
    for column in ("id", "published", "source", "title", "copy of"):
        table.add_column(column, overflow="fold")
    for article in rows:
        published = article.published_at.strftime("%Y-%m-%d %H:%M")
        if article.published_at_guessed:
            published += "?"
        table.add_row(
            str(article.id),
            published,
            article.source,
            article.title,
            str(article.duplicate_of or ""),
        )
    _console().print(table)


@cli.command()
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--offset", type=OFFSET, default=0, show_default=True)
@json_option
@click.pass_context
@handle_errors
def stories(ctx: click.Context, limit: int, offset: int, as_json: bool) -> None:
    """List stories (articles about one event, from any outlets), most recently active first.

    \b
    Example:
      broadsheet stories --limit 10 --json
    """
    rows = _app(ctx).store().stories(limit=limit, offset=offset)
    if as_json:
        _emit_json([story_json(s) for s in rows])
        return
    table = Table(show_lines=False)
    for column in ("id", "last seen", "articles", "outlets", "title"):
        table.add_column(column, overflow="fold")
    for found in rows:
        table.add_row(
            str(found.id),
            found.last_seen.strftime("%Y-%m-%d %H:%M"),
            str(found.article_count),
            str(found.source_count),
            found.title,
        )
    _console().print(table)


@cli.command()
@click.argument("story_id", type=ROW_ID)
@json_option
@click.pass_context
@handle_errors
def story(ctx: click.Context, story_id: int, as_json: bool) -> None:
    """Show one story: a summary citing its sources, where the outlets agree, what only one
    outlet reports, where they disagree, who said what, a timeline, and the articles.

    Every sentence shown is an outlet's own; the numbers in brackets are article ids
    (open one with: broadsheet article ID).

    \b
    Example:
      broadsheet story 3 --json
    """
    from broadsheet.queries import story_payload, top_entities

    store = _app(ctx).store()
    if as_json:
        _emit_json(story_payload(store, story_id))
        return
    found, members = store.story(story_id)
    view = store.story_view(story_id)
    top = top_entities(store, found.top_entity_ids)
    console = _console()
    console.print(f"[bold]{found.title}[/]", markup=True)
    span = f"{found.first_seen:%Y-%m-%d %H:%M} - {found.last_seen:%Y-%m-%d %H:%M}"
    outlets = f"{found.source_count} outlet" + ("s" if found.source_count != 1 else "")
    console.print(f"#{found.id} · {outlets} · {span}", style="dim", markup=False)
    if top:
        console.print("entities: " + ", ".join(e.name for e in top), markup=False)

    def cites(ids: Sequence[int]) -> str:
        return "[" + ", ".join(str(i) for i in ids) + "]"

    if view.summary:
        console.print("\n[bold]Summary[/]", markup=True)
        for n, sentence in enumerate(view.summary, start=1):
            console.print(f"{n}. {sentence.text} ", markup=False, end="")
            console.print(cites(sentence.citations), style="dim", markup=False)
    if view.conflicts:
        console.print("\n[bold]Where they disagree[/]", markup=True)
        for conflict in view.conflicts:
            console.print(f"• {conflict.about}", markup=False)
            for variant in conflict.variants:
                console.print(
                    f"    {variant.value} — {', '.join(variant.sources)} ",
                    markup=False,
                    end="",
                )
                console.print(cites(variant.citations), style="dim", markup=False)
    if view.agreed:
        table = Table(title="Where they agree", show_lines=False, title_justify="left")
        table.add_column("outlets", justify="right")
        table.add_column("claim", overflow="fold")
        table.add_column("articles", style="dim")
        for claim in view.agreed[:8]:
            table.add_row(str(claim.outlets), claim.text, cites(claim.citations))
        console.print(table)
    if view.unique:
        table = Table(title="Only one outlet reports", show_lines=False, title_justify="left")
        table.add_column("outlet")
        table.add_column("claim", overflow="fold")
        table.add_column("articles", style="dim")
        shown: dict[str, int] = {}
        for claim in view.unique:
            outlet = claim.sources[0] if claim.sources else ""
            shown[outlet] = shown.get(outlet, 0) + 1
            if shown[outlet] <= 3:
                table.add_row(outlet, claim.text, cites(claim.citations))
        console.print(table)
    if view.quotes:
        table = Table(title="Who said what", show_lines=False, title_justify="left")
        table.add_column("speaker")
        table.add_column("quote", overflow="fold")
        table.add_column("articles", style="dim")
        for row in view.quotes[:8]:
            for quote in row.quotes[:3]:
                table.add_row(row.speaker, f"“{quote.text}”", cites(quote.citations))
        console.print(table)
    if view.timeline:
        table = Table(title="Timeline", show_lines=False, title_justify="left")
        table.add_column("when")
        table.add_column("what", overflow="fold")
        table.add_column("articles", style="dim")
        for entry in view.timeline:
            when = entry.date if entry.kind == "event" else entry.date[:16].replace("T", " ")
            if entry.end:
                when += f" - {entry.end}"
            what = entry.text if entry.kind == "event" else f"reported: {entry.text}"
            table.add_row(when, what, cites(entry.citations))
        console.print(table)
    table = Table(title="Articles", show_lines=False, title_justify="left")
    for column in ("published", "article", "source", "title", "copy of"):
        table.add_column(column, overflow="fold")
    for member in members:
        table.add_row(
            member.published_at.strftime("%Y-%m-%d %H:%M"),
            str(member.id),
            member.source,
            member.title,
            str(member.duplicate_of or ""),
        )
    console.print(table)


@cli.command()
@click.argument("article_id", type=ROW_ID)
@click.option("--versions", is_flag=True, help="Also list every version, oldest first.")
@click.option("--removed", is_flag=True, help="Also show what the cleaner removed, where, and why.")
@json_option
@click.pass_context
@handle_errors
def article(
    ctx: click.Context, article_id: int, versions: bool, removed: bool, as_json: bool
) -> None:
    """Show one article: metadata and clean text.

    \b
    Examples:
      broadsheet article 12 --json
      broadsheet article 12 --removed
    """
    store = _app(ctx).store()
    found = store.article(article_id)
    duplicates = store.duplicates_of(article_id)
    history = store.article_versions(article_id) if versions else []
    mentions = store.mentions(article_id)
    quotes = [(q.quote, q.speaker_entity_id) for q in store.quotes(article_id)]
    figures = store.figures(article_id)
    dates = store.dates(article_id)
    if as_json:
        data = article_json(
            found,
            duplicates=duplicates,
            mentions=mentions,
            quotes=quotes,
            figures=figures,
            dates=dates,
        )
        if versions:
            data["versions"] = [version_json(v) for v in history]
        _emit_json(data)
        return
    console = _console()
    console.print(f"[bold]{found.title}[/]")
    published = found.published_at.isoformat() + (
        " (guessed)" if found.published_at_guessed else ""
    )
    meta = [f"#{found.id}", found.source, published]
    if found.authors:
        meta.append(", ".join(found.authors))
    console.print(" · ".join(meta), style="dim")
    if found.url:
        console.print(found.url, style="dim")
    if found.duplicate_of:
        console.print(f"exact copy of article {found.duplicate_of}", style="yellow")
    if duplicates:
        console.print(f"copied by articles {', '.join(map(str, duplicates))}", style="yellow")
    if found.version > 1:
        console.print(f"version {found.version}", style="dim")
    console.print()
    for paragraph in found.paragraphs:
        console.print(paragraph)
        console.print()
    if mentions:
        names: dict[str, list[str]] = {}
        for mention in mentions:
            names.setdefault(f"{mention.name} ({mention.type.value})", []).append(mention.text)
        console.print("[bold]Entities[/]")
        for label, texts in names.items():
            forms = sorted(set(texts) - {label.rsplit(" (", 1)[0]})
            console.print(f"  {label}" + (f" — also {', '.join(forms)}" if forms else ""))
        console.print()
    if quotes:
        console.print("[bold]Quotes[/]")
        for quote, _ in quotes:
            who = quote.speaker or "unattributed"
            mark = '"' if quote.direct else ""
            console.print(f"  {who} ({quote.cue or '-'}): {mark}{quote.text}{mark}")
        console.print()
    if figures:
        console.print("[bold]Figures[/]")
        for figure in figures:
            console.print(f"  {figure.text} = {figure_json(figure)['normalized']}")
        console.print()
    if dates:
        console.print("[bold]Dates[/]")
        for when in dates:
            span = when.first.isoformat()
            if when.last != when.first:
                span += f" .. {when.last.isoformat()}"
            guessed = " (from a guessed publication time)" if when.guessed else ""
            console.print(f"  {when.text} = {span}{guessed}")
        console.print()
    for version in history:
        console.print(f"[bold]version {version.version}[/] ({version.created_at.isoformat()})")
        console.print(version.title, style="dim")
    if removed:
        _print_removed(console, found.removed)


def _print_removed(console: Console, removals: Sequence[Removal]) -> None:
    if not removals:
        console.print("nothing removed (or the article predates line-level cleaning)", style="dim")
        return
    table = Table(title=f"Removed ({len(removals)} lines)")
    for column in ("where", "reason", "score", "text"):
        table.add_column(column, overflow="fold")
    for item in removals:
        where = f"{item.start}-{item.end}" if item.end is not None else str(item.start or "")
        score = f"{item.score:.2f}" if item.score is not None else ""
        table.add_row(where, item.reason, score, item.text)
    console.print(table)


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@json_option
@click.pass_context
@handle_errors
def search(ctx: click.Context, query: str, limit: int, as_json: bool) -> None:
    """Full-text search over titles and article text (all words must match; word* for prefixes).

    \b
    Example:
      broadsheet search "tariff talks"
    """
    hits = _app(ctx).store().search(query, limit=limit)
    if as_json:
        _emit_json([search_hit_json(h) for h in hits])
        return
    console = _console()
    if not hits:
        console.print("no matches")
    for hit in hits:
        console.print(f"[bold]{hit.article_id}[/] {hit.title} [dim]({hit.source})[/]")
        console.print(f"    {hit.snippet}", markup=False)


@cli.command()
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved records.")
@click.option(
    "--resolve",
    "resolve_ids",
    type=ROW_ID,
    multiple=True,
    metavar="ID",
    help="Mark record ID as dealt with (repeatable); its raw input stays in the store.",
)
@json_option
@click.pass_context
@handle_errors
def quarantine(
    ctx: click.Context, include_resolved: bool, resolve_ids: tuple[int, ...], as_json: bool
) -> None:
    """List inputs that were set aside, with the stage and the reason.

    The raw bytes of each are kept. Fix the cause and run `broadsheet reprocess --quarantined`,
    or ingest the fixed file again (that resolves the records of its earlier copies); dismiss a
    record you will not fix with --resolve.

    \b
    Examples:
      broadsheet quarantine --json
      broadsheet quarantine --resolve 3 --resolve 4
    """
    store = _app(ctx).store()
    if resolve_ids:
        store.resolve_quarantine(resolve_ids, now=_now())
    records = store.quarantine(include_resolved=include_resolved)
    if as_json:
        _emit_json([quarantine_json(r) for r in records])
        return
    table = Table()
    columns = ["id", "raw", "origin", "stage", "code", "reason"]
    if include_resolved:
        columns.append("resolved")
    for column in columns:
        table.add_column(column, overflow="fold")
    for record in records:
        origin = (record.origin or "") + (f" [{record.locator}]" if record.locator else "")
        row = [
            str(record.id),
            str(record.raw_id or ""),
            origin,
            record.stage.value,
            record.code,
            record.message,
        ]
        if include_resolved:
            row.append(record.resolved_at.strftime("%Y-%m-%d %H:%M") if record.resolved_at else "")
        table.add_row(*row)
    _console().print(table if records else "nothing quarantined")


@cli.command()
@click.option(
    "--type",
    "type_",
    type=click.Choice([t.value for t in EntityType]),
    help="Only entities of this type.",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--offset", default=0, type=OFFSET)
@json_option
@click.pass_context
@handle_errors
def entities(ctx: click.Context, type_: str | None, limit: int, offset: int, as_json: bool) -> None:
    """List people, organisations, places and nationalities, most articles first.

    \b
    Examples:
      broadsheet entities --json
      broadsheet entities --type person --limit 20
    """
    rows = (
        _app(ctx)
        .store()
        .entities(type_=EntityType(type_) if type_ else None, limit=limit, offset=offset)
    )
    if as_json:
        _emit_json([entity_json(e) for e in rows])
        return
    table = Table()
    for column in ("id", "name", "type", "articles", "also written"):
        table.add_column(column, overflow="fold")
    for row in rows:
        others = [a for a in row.aliases if a != row.name]
        table.add_row(
            str(row.id), row.name, row.type.value, str(row.article_count), ", ".join(others)
        )
    _console().print(table if rows else "no entities yet")


@cli.command()
@click.argument("name")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@click.pass_context
@handle_errors
def entity(ctx: click.Context, name: str, limit: int, as_json: bool) -> None:
    """Show one entity by name (any spelling) or id: aliases, roles, articles, and the entities
    named with it most often. A name shared by several entities lists each.

    \b
    Examples:
      broadsheet entity "Olaf Scholz" --json
      broadsheet entity Scholz
    """
    store = _app(ctx).store()
    found = store.find_entities(name)
    if not found:
        raise NotFound(f"no entity named {name!r}")
    details = []
    for item in found:
        article_ids = store.entity_articles(item.id, limit=limit)
        summaries = [article_summary_json(store.article(i)) for i in article_ids]
        near = store.cooccurring(item.id)
        details.append(
            {
                **entity_json(item),
                "roles": list(item.roles),
                "articles": summaries,
                "cooccurring": [
                    {"id": other.id, "name": other.name, "type": other.type.value, "articles": n}
                    for other, n in near
                ],
            }
        )
    if as_json:
        _emit_json(details[0] if len(details) == 1 else details)
        return
    console = _console()
    for data in details:
        console.print(f"[bold]{data['name']}[/] ({data['type']}, #{data['id']})")
        console.print(f"also written: {', '.join(data['aliases'])}", style="dim")
        if data["roles"]:
            console.print(f"roles: {'; '.join(data['roles'])}", style="dim")
        for summary in data["articles"]:
            console.print(f"  #{summary['id']} {summary['source']}: {summary['title']}")
        if data["cooccurring"]:
            near_names = ", ".join(f"{c['name']} ({c['articles']})" for c in data["cooccurring"])
            console.print(f"named with: {near_names}", style="dim")
        console.print()


@cli.command()
@json_option
@click.pass_context
@handle_errors
def sources(ctx: click.Context, as_json: bool) -> None:
    """List outlets with their article counts.

    \b
    Example:
      broadsheet sources --json
    """
    rows = _app(ctx).store().sources()
    if as_json:
        _emit_json([source_json(s) for s in rows])
        return
    table = Table()
    for column in ("id", "source", "articles", "site"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.id), row.name, str(row.articles), row.site_url or "")
    _console().print(table)


@cli.command()
@click.option(
    "--quarantined", is_flag=True, help="Only raw documents with open quarantine records."
)
@json_option
@quiet_option
@click.pass_context
@handle_errors
def reprocess(ctx: click.Context, quarantined: bool, as_json: bool, quiet: bool) -> None:
    """Re-run the pipeline on the stored raw inputs (after an upgrade or a fix).

    Article ids stay the same; quarantine records whose problem is gone are marked resolved.

    \b
    Example:
      broadsheet reprocess --quarantined
    """
    app = _app(ctx)
    store = app.store()
    total = len(store.raw_ids(quarantined_only=quarantined))
    with progress_bar(total, label="reprocess", enabled=not (quiet or as_json)) as advance:
        report = run_reprocess(
            store,
            settings=app.settings,
            clock=_now,
            quarantined_only=quarantined,
            progress=advance,
        )
    if as_json:
        _emit_json(report_json(report))
    elif not quiet:
        _print_report(report, [], title="Reprocess")
    if report.has_quarantined:
        ctx.exit(EXIT_QUARANTINED)


@cli.command("config")
@json_option
@click.pass_context
def config_command(ctx: click.Context, as_json: bool) -> None:
    """Show the effective settings (secrets redacted) and where the database is.

    \b
    Examples:
      broadsheet config --json
      BROADSHEET_MAX_INPUT_BYTES=5000000 broadsheet config
    """
    settings = _app(ctx).settings
    data = settings.as_dict(redact=True)
    data["db_url"] = redact_url(settings.db_url)
    if as_json:
        _emit_json(data)
        return
    for name, value in data.items():
        click.echo(f"{name} = {value}")


# --- feeds and fetching (#9) ---------------------------------------------------------------------


def _fetcher(app: AppContext) -> Fetcher:
    return Fetcher(FetchPolicy.from_settings(app.settings))


@cli.group()
def feeds() -> None:
    """Manage feed subscriptions: add, list, remove, import and export (OPML 2.0).

    \b
    Examples:
      broadsheet feeds add https://harbourledger.example/
      broadsheet feeds import subscriptions.opml
      broadsheet feeds list --json
    """


@feeds.command("add")
@click.argument("url")
@click.option("--title", help="Name for the feed (default: the title the feed gives).")
@click.option("--category", "categories", multiple=True, help="A category; repeat for several.")
@json_option
@click.pass_context
@handle_errors
def feeds_add(
    ctx: click.Context, url: str, title: str | None, categories: tuple[str, ...], as_json: bool
) -> None:
    """Subscribe to a feed, or to the feed a web page announces (autodiscovery).

    The URL is fetched once to check it is an RSS, Atom or JSON feed; a web page is searched
    for <link rel="alternate"> feeds. The feed is polled by the next `broadsheet fetch`.

    \b
    Examples:
      broadsheet feeds add https://harbourledger.example/feed.xml --category World
      broadsheet feeds add https://harbourledger.example/
    """
    app = _app(ctx)
    with _fetcher(app) as fetcher:
        result = subscribe(
            app.store(), fetcher, url, now=_now(), title=title, categories=categories
        )
    if as_json:
        data = feed_json(result.feed)
        data["created"] = result.created
        data["discovered_from"] = result.discovered_from
        _emit_json(data)
        return
    verb = "Subscribed to" if result.created else "Already subscribed to"
    found = f" (found on {result.discovered_from})" if result.discovered_from else ""
    name = result.feed.title or result.feed.xml_url
    click.echo(f"{verb} feed {result.feed.id}: {name} <{result.feed.xml_url}>{found}")


@feeds.command("list")
@json_option
@click.pass_context
@handle_errors
def feeds_list(ctx: click.Context, as_json: bool) -> None:
    """List subscriptions with their status, last success, last error and next poll.

    \b
    Example:
      broadsheet feeds list --json
    """
    rows = _app(ctx).store().feeds()
    if as_json:
        _emit_json([feed_json(f) for f in rows])
        return
    table = Table()
    for column in ("id", "feed", "status", "last success (UTC)", "next due (UTC)", "last error"):
        table.add_column(column, overflow="fold")
    for feed in rows:
        failures = f" ({feed.error_count} in a row)" if feed.error_count > 1 else ""
        table.add_row(
            str(feed.id),
            f"{feed.title or ''}\n{feed.xml_url}".strip(),
            feed.status.value + failures,
            _short_time(feed.last_success_at),
            _short_time(feed.next_due_at) if feed.status is not FeedStatus.GONE else "never",
            feed.last_error or "",
        )
    _console().print(table)


def _short_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@feeds.command("remove")
@click.argument("feed_id", type=ROW_ID)
@json_option
@click.pass_context
@handle_errors
def feeds_remove(ctx: click.Context, feed_id: int, as_json: bool) -> None:
    """Unsubscribe from a feed (its articles stay in the store).

    \b
    Example:
      broadsheet feeds remove 3
    """
    feed = _app(ctx).store().remove_feed(feed_id)
    if as_json:
        _emit_json(feed_json(feed))
        return
    click.echo(f"Removed feed {feed.id}: {feed.title or feed.xml_url}")


@feeds.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@click.pass_context
@handle_errors
def feeds_import(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Subscribe to every feed an OPML file lists; folders and categories are kept.

    The file is ingested like `broadsheet ingest FILE.opml`: its bytes are kept, feeds already
    subscribed are left alone, and outlines that cannot be used are quarantined (exit code 3).

    \b
    Example:
      broadsheet feeds import subscriptions.opml
    """
    app = _app(ctx)
    report, _ = _ingest_paths(app, [path], IngestOptions(), "opml", show_progress=False)
    store = app.store()
    problems = [p for d in report.documents for p in d.quarantined]
    if as_json:
        _emit_json(
            {
                "feeds_new": report.count("feeds_new"),
                "feeds": store.counts()["feeds"],
                "quarantined": [
                    {"locator": p.locator, "code": p.code, "message": p.message} for p in problems
                ],
            }
        )
    else:
        click.echo(
            f"{report.count('feeds_new')} new feeds from {path} "
            f"({store.counts()['feeds']} subscriptions in all)"
        )
        for problem in problems:
            click.echo(f"  quarantined: {problem.message}", err=True)
    if problems:
        ctx.exit(EXIT_QUARANTINED)


@feeds.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.pass_context
@handle_errors
def feeds_export(ctx: click.Context, output: Path | None) -> None:
    """Print every subscription as an OPML 2.0 file that `feeds import` reads back.

    \b
    Example:
      broadsheet feeds export -o subscriptions.opml
    """
    text = opml_document(
        _app(ctx).store().feeds(), title="Broadsheet subscriptions", created_at=_now()
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@cli.command()
@click.option("--once", is_flag=True, help="Poll the feeds that are due once, then exit.")
@click.option(
    "--feed",
    "feed_ids",
    type=ROW_ID,
    multiple=True,
    help="Poll this feed now, due or not (repeatable; implies --once).",
)
@click.option(
    "--no-pages", is_flag=True, help="Do not fetch the article page of summary-only entries."
)
@json_option
@quiet_option
@click.pass_context
@handle_errors
def fetch(
    ctx: click.Context,
    once: bool,
    feed_ids: tuple[int, ...],
    no_pages: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Poll due feeds (conditional GET) and ingest what is new; loops until interrupted.

    Each feed is polled on its own adaptive schedule; a 304 Not Modified costs nothing more.
    Entries that carry only a summary get their article page fetched and extracted. Without
    --once the command keeps polling as feeds fall due (Ctrl-C stops it); with --json it then
    prints one JSON document per round (JSON Lines). Exit code 3 when a feed failed or an item
    was quarantined (with --once).

    \b
    Examples:
      broadsheet fetch --once
      broadsheet fetch --feed 3 --json
      broadsheet fetch                  # keep polling
    """
    app = _app(ctx)
    store = app.store()
    once = once or bool(feed_ids)
    with _fetcher(app) as fetcher:
        while True:
            chosen = [store.feed(i) for i in feed_ids] if feed_ids else None
            total = len(chosen) if chosen is not None else len(store.due_feeds(now=_now()))
            with progress_bar(total, label="fetch", enabled=not (quiet or as_json)) as advance:
                report = poll_feeds(
                    store,
                    fetcher,
                    settings=app.settings,
                    clock=_now,
                    feeds=chosen,
                    fetch_pages=not no_pages,
                    progress=advance,
                )
            if as_json:
                data = poll_json(report)
                if once:
                    _emit_json(data)
                else:
                    click.echo(json.dumps(data, ensure_ascii=False, default=str))
            elif not quiet:
                _print_poll(report)
            if once:
                if report.has_problems:
                    ctx.exit(EXIT_QUARANTINED)
                return
            try:
                time.sleep(_seconds_to_next_due(store, app.settings))
            except KeyboardInterrupt:
                return


def _seconds_to_next_due(store: Store, settings: Settings) -> float:
    """How long the loop sleeps: until the next feed is due, at most a minimum interval."""
    now = _now()
    due = [f.next_due_at for f in store.feeds() if f.status is not FeedStatus.GONE]
    waits = [(d - now).total_seconds() if d else 0.0 for d in due]
    # Wake at least once a minimum interval (feeds may be added meanwhile), never spin.
    return max(1.0, min([*waits, settings.fetch_min_interval_s]))


def _print_poll(report: PollReport) -> None:
    console = _console()
    data = poll_json(report)["totals"]
    console.print(
        f"{data['feeds']} feeds polled: {data['new']} with new articles, "
        f"{data['not_modified']} not modified, {data['unchanged']} unchanged, "
        f"{data['failed']} failed, {data['gone']} gone; {data['articles_new']} new articles, "
        f"{data['pages_fetched']} article pages fetched, {data['quarantined']} quarantined.",
        markup=False,
        soft_wrap=True,
    )
    for poll in report.feeds:
        if poll.error:
            console.print(
                f"  feed {poll.feed_id}: {poll.error_code}: {poll.error}",
                markup=False,
                soft_wrap=True,
            )
        elif poll.note:
            console.print(f"  feed {poll.feed_id}: {poll.note}", markup=False, soft_wrap=True)


# --- training and evaluation ---------------------------------------------------------------


def _eval_dir(app: AppContext, given: Path | None) -> Path:
    path = given or Path(app.settings.eval_dir or "../shared/eval")
    if not path.is_dir():
        raise click.ClickException(
            f"evaluation data not found at {path}: pass --eval-dir or set BROADSHEET_EVAL_DIR"
        )
    return path


eval_dir_option = click.option(
    "--eval-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The shared evaluation data (default: $BROADSHEET_EVAL_DIR, else ../shared/eval).",
)


model_out_option = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the model (default: the file shipped in the package).",
)


def _print_training_report(data: Mapping[str, Any], as_json: bool) -> None:
    """What a ``train`` command fitted: JSON, or one ``key: value`` line each."""
    if as_json:
        _emit_json(dict(data))
        return
    for key, value in data.items():
        click.echo(f"{key}: {value}")


@cli.group()
def train() -> None:
    """Retrain Broadsheet's small models reproducibly (needs the `train` extra).

    \b
    Example:
      broadsheet train cleaner --eval-dir ../shared/eval
    """


@train.command("cleaner")
@eval_dir_option
@model_out_option
@json_option
@click.pass_context
@handle_errors
def train_cleaner_command(
    ctx: click.Context, eval_dir: Path | None, out: Path | None, as_json: bool
) -> None:
    """Train the scraped-text line classifier on the trafilatura evaluation pages.

    Deterministic: the same data and library versions give the same file. Takes a few minutes.

    \b
    Example:
      broadsheet train cleaner --out /tmp/cleaner_model.json
    """
    from broadsheet.pipeline.clean import MODEL_FILE
    from broadsheet.training.cleaner import train_cleaner  # needs scikit-learn: load on demand

    app = _app(ctx)
    target = out or Path(str(resources.files("broadsheet") / "data" / MODEL_FILE))
    report = train_cleaner(_eval_dir(app, eval_dir), target)
    _print_training_report(dataclasses.asdict(report) | {"path": str(report.path)}, as_json)


@train.command("clusterer")
@eval_dir_option
@model_out_option
@json_option
@click.pass_context
@handle_errors
def train_clusterer_command(
    ctx: click.Context, eval_dir: Path | None, out: Path | None, as_json: bool
) -> None:
    """Fit the story clusterer on ECB+ train and dev, its threshold by cross-validation.

    The threshold is chosen by 5-fold cross-validation over the train and dev topics, then the
    weights are fitted on all of them. Never reads the test split. Deterministic (fixed seeds).
    Takes about four minutes.

    \b
    Example:
      broadsheet train clusterer --out /tmp/clusterer_model.json
    """
    from broadsheet.training.clusterer import train_clusterer  # needs scikit-learn

    app = _app(ctx)
    target = out or Path(str(resources.files("broadsheet") / "data" / "clusterer_model.json"))
    report = train_clusterer(_eval_dir(app, eval_dir), target, spacy_model=app.settings.spacy_model)
    _print_training_report(dataclasses.asdict(report) | {"path": str(report.path)}, as_json)


@cli.group("eval")
def eval_group() -> None:
    """Measure quality on the shared evaluation data (JSON: task, dataset, n, systems).

    \b
    Example:
      broadsheet eval extraction --json
    """


@eval_group.command("extraction")
@eval_dir_option
@click.option("--limit", type=click.IntRange(1), help="Score only the first N pages of each set.")
@json_option
@click.pass_context
@handle_errors
def eval_extraction(
    ctx: click.Context, eval_dir: Path | None, limit: int | None, as_json: bool
) -> None:
    """Main-text extraction quality: Broadsheet's HTML and text paths beside trafilatura and a
    keep-everything baseline, on the Zyte benchmark (181 pages) and trafilatura's set (990).

    \b
    Example:
      broadsheet eval extraction --limit 40 --json
    """
    from broadsheet.evaluation.extraction import run_extraction_eval  # heavy: on demand

    report = run_extraction_eval(_eval_dir(_app(ctx), eval_dir), limit=limit)
    if as_json:
        _emit_json(report)
        return
    _print_eval_sections(report, None)


@eval_group.command("entities")
@eval_dir_option
@click.option(
    "--demo-labels",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The labelled demo set (default: tests/data/demo_entities.json of a source checkout).",
)
@json_option
@click.pass_context
@handle_errors
def eval_entities(
    ctx: click.Context, eval_dir: Path | None, demo_labels: Path | None, as_json: bool
) -> None:
    """Entity quality: NER on GUM news beside spaCy alone, canonical names within GUM
    articles and across ECB+ test articles, and a hand-labelled set from the demo corpus.

    \b
    Example:
      broadsheet eval entities --json
    """
    from broadsheet.evaluation.entities import DEMO_LABELS, run_entity_eval  # heavy: on demand

    app = _app(ctx)
    report = run_entity_eval(
        _eval_dir(app, eval_dir),
        model=app.settings.spacy_model,
        demo_labels=demo_labels or DEMO_LABELS,
    )
    if as_json:
        _emit_json(report)
        return
    _print_eval_sections(report, ("f1", "precision", "recall", "accuracy", "f1_exact", "f1_linked"))


def _print_eval_sections(report: Mapping[str, Any], headline: Sequence[str] | None) -> None:
    """One table per section of an eval report: the ``headline`` metrics (all when None)."""
    console = _console()
    for section in [report, *report.get("also", [])]:
        title = f"{section['dataset']} (n={section['n']})"
        if section.get("metric"):
            title += f": {section['metric']}"
        table = Table(title=title)
        systems = section["systems"]
        found = {m for scores in systems.values() for m in scores}
        metrics = sorted(found) if headline is None else [m for m in headline if m in found]
        table.add_column("system")
        for metric in metrics:
            table.add_column(metric, justify="right")
        for name, scores in systems.items():
            table.add_row(name, *(str(scores.get(m, "")) for m in metrics))
        console.print(table)


@eval_group.command("clustering")
@eval_dir_option
@click.option(
    "--orders",
    "n_orders",
    type=click.IntRange(1, 100),  # evaluation.clustering.MAX_ORDERS (imported only on use)
    default=5,
    show_default=True,
    help="Seeded arrival orders. The first 5 are the same for any count: more orders show how "
    "far the 5-order spread itself moves between draws.",
)
@json_option
@click.pass_context
@handle_errors
def eval_clustering(
    ctx: click.Context, eval_dir: Path | None, n_orders: int, as_json: bool
) -> None:
    """Story clustering: the ECB+ test split plus 24 GUM distractors streamed through fresh
    stores in seeded orders, 5 unless --orders says otherwise (BCubed and pairwise P/R/F1, their
    spread and standard deviation across orders), beside title-overlap, single-pass tf-idf and
    offline agglomerative baselines. Needs scikit-learn; takes about a minute, and about four
    for 40 orders.

    \b
    Example:
      broadsheet eval clustering --json
      broadsheet eval clustering --orders 40 --json
    """
    from broadsheet.evaluation.clustering import run_clustering_eval  # heavy: on demand

    app = _app(ctx)
    report = run_clustering_eval(
        _eval_dir(app, eval_dir), spacy_model=app.settings.spacy_model, n_orders=n_orders
    )
    if as_json:
        _emit_json(report)
        return
    _print_eval_sections(
        report,
        (
            "bcubed_f1",
            "bcubed_precision",
            "bcubed_recall",
            "bcubed_f1_spread",
            "bcubed_f1_sd",
            "pairwise_f1",
        ),
    )


@eval_group.command("ranking")
@eval_dir_option
@click.option(
    "--users", type=click.IntRange(1), default=40, show_default=True, help="Simulated readers."
)
@json_option
@click.pass_context
@handle_errors
def eval_ranking(ctx: click.Context, eval_dir: Path | None, users: int, as_json: bool) -> None:
    """Personal ranking: simulated readers of three ECB+ test topics open stories of their
    topics from their feed; NDCG@10 after 0, 10 and 50 opens, beside a recency-only feed.
    The ranking learns only from the opens. Takes about a minute.

    \b
    Example:
      broadsheet eval ranking --json
    """
    from broadsheet.evaluation.ranking import run_ranking_eval  # heavy: on demand

    report = run_ranking_eval(_eval_dir(_app(ctx), eval_dir), users=users)
    if as_json:
        _emit_json(report)
        return
    _print_eval_sections(report, None)


@eval_group.command("storyview")
@eval_dir_option
@json_option
@click.pass_context
@handle_errors
def eval_storyview(ctx: click.Context, eval_dir: Path | None, as_json: bool) -> None:
    """Story views: citation precision/recall, redundancy and participant coverage of the
    summary on the 20 gold events of the ECB+ test split (beside lead-sentence and centroid
    baselines), and conflict and agreed/unique precision/recall on the demo corpus. Takes about
    a minute.

    \b
    Example:
      broadsheet eval storyview --json
    """
    from broadsheet.evaluation.storyview import run_storyview_eval  # heavy: on demand

    app = _app(ctx)
    report = run_storyview_eval(_eval_dir(app, eval_dir), spacy_model=app.settings.spacy_model)
    if as_json:
        _emit_json(report)
        return
    _print_eval_sections(
        report,
        (
            "citation_precision",
            "citation_recall",
            "redundancy",
            "participant_coverage",
            "conflict_precision",
            "conflict_recall",
            "agreed_precision",
            "agreed_recall",
            "unique_precision",
            "unique_recall",
            "stories_per_s",
        ),
    )


@eval_group.command("quotes")
@eval_dir_option
@json_option
@click.pass_context
@handle_errors
def eval_quotes(ctx: click.Context, eval_dir: Path | None, as_json: bool) -> None:
    """Quote quality: quote spans on GUM news (detection), and spans, speakers and cues on a
    hand-labelled set from the demo corpus.

    \b
    Example:
      broadsheet eval quotes --json
    """
    from broadsheet.evaluation.quotes import run_quote_eval  # heavy: on demand

    app = _app(ctx)
    report = run_quote_eval(_eval_dir(app, eval_dir), model=app.settings.spacy_model)
    if as_json:
        _emit_json(report)
        return
    _print_eval_sections(report, ("f1", "precision", "recall", "speaker_accuracy", "accuracy"))


@eval_group.command("figures")
@json_option
@click.pass_context
@handle_errors
def eval_figures(ctx: click.Context, as_json: bool) -> None:
    """Figure quality: exact-value accuracy and span precision/recall on a hand-labelled set
    from the demo corpus, beside the libraries we measured.

    \b
    Example:
      broadsheet eval figures --json
    """
    from broadsheet.evaluation.figures import run_figure_eval  # heavy: on demand

    report = run_figure_eval()
    if as_json:
        _emit_json(report)
        return
    _print_eval_sections(report, ("accuracy", "f1", "precision", "recall"))


@eval_group.command("dates")
@eval_dir_option
@json_option
@click.pass_context
@handle_errors
def eval_dates(ctx: click.Context, eval_dir: Path | None, as_json: bool) -> None:
    """Date quality: span recall and exact-value accuracy on GUM news dates beside dateparser
    alone, and exact-range accuracy on a hand-labelled set from the demo corpus.

    \b
    Example:
      broadsheet eval dates --json
    """
    from broadsheet.evaluation.dates import run_date_eval  # heavy: on demand

    report = run_date_eval(_eval_dir(_app(ctx), eval_dir))
    if as_json:
        _emit_json(report)
        return
    _print_eval_sections(report, ("accuracy", "f1", "precision", "recall"))


# --- web app and accounts (#10) ------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--public-read/--no-public-read",
    default=None,
    help="Let anonymous visitors read (default: BROADSHEET_PUBLIC_READ, else off).",
)
@click.option(
    "--fetch/--no-fetch",
    default=True,
    show_default=True,
    help="Poll due feeds in the background, as `broadsheet fetch` does.",
)
@click.pass_context
@handle_errors
def serve(ctx: click.Context, host: str, port: int, public_read: bool | None, fetch: bool) -> None:
    """Run the web app, the JSON API (/api/v1, docs at /docs) and Atom feeds in one process.

    Make an account first with `broadsheet users add NAME`. Behind an HTTPS proxy on the same
    host, cookies are marked Secure from the proxy's X-Forwarded-Proto. Due feeds are polled in
    the background unless --no-fetch (e.g. when Celery workers fetch).

    \b
    Examples:
      broadsheet serve
      broadsheet --db news.db serve --host 0.0.0.0 --port 8080 --public-read
    """
    import uvicorn  # heavy: on demand

    from broadsheet.web import create_app

    app = _app(ctx)
    if public_read is not None:
        app.settings = app.settings.replace(public_read=public_read)
    web_app = create_app(app.settings, store=app.store(), fetch_feeds=fetch)
    click.echo(f"Broadsheet on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    uvicorn.run(web_app, host=host, port=port, log_config=None, proxy_headers=True)


@cli.group()
def users() -> None:
    """Manage web app accounts: add users, list them, make API tokens.

    \b
    Examples:
      broadsheet users add alice
      broadsheet users token alice --name laptop
    """


@users.command("add")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@json_option
@click.pass_context
@handle_errors
def users_add(ctx: click.Context, name: str, password_stdin: bool, as_json: bool) -> None:
    """Create a user; asks for the password (at least 8 characters) unless --password-stdin.

    \b
    Examples:
      broadsheet users add alice
      printf 'correct horse\\n' | broadsheet users add bob --password-stdin
    """
    from broadsheet.store.users import Accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = Accounts(_app(ctx).store()).add_user(name, password, now=_now())
    if as_json:
        _emit_json({"id": user.id, "name": user.name, "created_at": user.created_at.isoformat()})
        return
    click.echo(f"Added user {user.id}: {user.name}")


@users.command("list")
@json_option
@click.pass_context
@handle_errors
def users_list(ctx: click.Context, as_json: bool) -> None:
    """List users, oldest first.

    \b
    Example:
      broadsheet users list --json
    """
    from broadsheet.store.users import Accounts

    rows = Accounts(_app(ctx).store()).users()
    if as_json:
        _emit_json(
            [{"id": u.id, "name": u.name, "created_at": u.created_at.isoformat()} for u in rows]
        )
        return
    for user in rows:
        click.echo(f"{user.id}\t{user.name}\t{_short_time(user.created_at)}")


@users.command("token")
@click.argument("name")
@click.option("--name", "label", default="cli", show_default=True, help="What the token is for.")
@json_option
@click.pass_context
@handle_errors
def users_token(ctx: click.Context, name: str, label: str, as_json: bool) -> None:
    """Make an API token for a user and print it once (only its hash is stored).

    \b
    Example:
      broadsheet users token alice --name laptop
      curl -H "Authorization: Bearer TOKEN" http://127.0.0.1:8000/api/v1/stories
    """
    from broadsheet.store.users import Accounts

    accounts = Accounts(_app(ctx).store())
    user = accounts.user(name)
    token, secret = accounts.create_token(user.id, label, now=_now())
    if as_json:
        _emit_json({"id": token.id, "user": user.name, "name": token.name, "token": secret})
        return
    click.echo(secret)


# --- the personal front page (#11) ---------------------------------------------------------------
# Follows, mutes, topics and the ranked feed of one user, as the web app and /api/v1 have them.
# The CLI speaks for the operator of the store, so USER is any account's name (no login), and
# targets may be given by name where the web app has a button on the object's page.

# KIND in the order a reader meets them; the values are ``FollowKind``'s.
_KIND_CHOICE = click.Choice(["entity", "source", "story", "topic", "keyword"])
# ``store.users.MAX_FOLLOW_WEIGHT``, not imported: that module hashes a password when it loads,
# which every command would pay for (tests/test_cli_personal.py checks the two agree).
MAX_FOLLOW_WEIGHT = 10.0


def _account(store: Store, name: str) -> User:
    """The user called ``name``. Raises ``NotFound`` (exit 1)."""
    from broadsheet.store.users import Accounts

    return Accounts(store).user(name)


def _find_entity(store: Store, text: str) -> Entity:
    """An entity by id or by name, through the same lookup as ``broadsheet entity NAME``.

    A name several entities go by is refused rather than guessed (following the wrong Biden
    would quietly fill the feed with the wrong stories), unless exactly one of them has it as
    its canonical name. Raises ``NotFound`` or ``InputError`` (exit 1)."""
    found = store.find_entities(text)
    number = row_id(text)
    if number is not None:
        exact = [e for e in found if e.id == number]
        if exact:
            return exact[0]
    if not found:
        what = (
            f"entity {text.strip()}" if is_ascii_digits(text.strip()) else f"entity named {text!r}"
        )
        raise NotFound(f"no {what} (see `broadsheet entities`)")
    if len(found) == 1:
        return found[0]
    canonical = [e for e in found if e.name.casefold() == " ".join(text.split()).casefold()]
    if len(canonical) == 1:
        return canonical[0]
    listed = ", ".join(f"{e.id} {e.name} ({e.type.value})" for e in found[:8])
    raise InputError(f"entity {text!r} is ambiguous: {listed}; give the id")


def _find_source(store: Store, text: str) -> SourceSummary:
    """An outlet by id or by name (case-insensitive). Raises ``NotFound`` (exit 1)."""
    rows = store.sources()
    if is_ascii_digits(text.strip()):
        for row in rows:
            if row.id == int(text):
                return row
    wanted = " ".join(text.split()).casefold()
    for row in rows:
        if row.name.casefold() == wanted:
            return row
    raise NotFound(f"no source {text!r} (see `broadsheet sources`)")


def _find_topic(store: Store, text: str, user: User | None) -> Topic:
    """A topic by id or name among the instance's and ``user``'s own; another user's own topic
    is not there, as on the web app. Raises ``NotFound`` (exit 1)."""
    from broadsheet.store.personal import Personal

    personal = Personal(store)
    if is_ascii_digits(text.strip()):
        number = row_id(text)
        if number is None:
            raise NotFound(f"no topic {text.strip()}")
        found = personal.topic(number)
        if found.user_id is not None and (user is None or found.user_id != user.id):
            raise NotFound(f"no topic {text}")
        return found
    wanted = " ".join(text.split()).casefold()
    named = [t for t in personal.topics(user.id if user else None) if t.name.casefold() == wanted]
    if not named:
        raise NotFound(f"no topic named {text!r} (see `broadsheet topics`)")
    # A user's own topic before the instance's of the same name: it is the one they made.
    return sorted(named, key=lambda t: (t.user_id is None, t.id))[0]


def _target(store: Store, kind: FollowKind, text: str, user: User) -> tuple[str, str]:
    """``text`` as the store keeps it for ``kind`` (an id, or a keyword's words), and a label
    for people. Raises ``NotFound`` or ``InputError`` (exit 1) for an unknown target."""
    if kind is FollowKind.ENTITY:
        entity = _find_entity(store, text)
        return str(entity.id), entity.name
    if kind is FollowKind.SOURCE:
        source = _find_source(store, text)
        return str(source.id), source.name
    if kind is FollowKind.TOPIC:
        topic = _find_topic(store, text, user)
        return str(topic.id), topic.name
    if kind is FollowKind.STORY:
        number = row_id(text)
        if number is None:
            raise InputError(f"story {text!r}: not an id (see `broadsheet stories`)")
        found = store.story(number)[0]
        return str(found.id), found.title
    words = " ".join(text.split()).lower()
    return words, f"“{words}”"


def _known_target(
    store: Store,
    kind: FollowKind,
    text: str,
    user: User,
    rows: Sequence[Follow | Mute],
    *,
    what: str,
) -> Follow | Mute:
    """The follow or mute of ``rows`` that ``kind``/``text`` names. An id is matched as given,
    before any lookup, so that a follow of an entity or story since deleted can still go."""
    stripped = " ".join(text.split())
    if kind is not FollowKind.KEYWORD and is_ascii_digits(stripped):
        key = str(int(stripped))
    else:
        key = _target(store, kind, text, user)[0]
    for row in rows:
        if row.kind is kind and row.target == key:
            return row
    raise NotFound(f"{user.name} {what} {kind.value} {text!r} (see `broadsheet follows`)")


def _labels(store: Store, rows: Sequence[Follow] | Sequence[Mute]) -> dict[tuple[str, str], str]:
    """What each follow or mute is called (entity and outlet names, story titles, topic names),
    as the reason lines of the feed call them."""
    from broadsheet.store.personal import Personal

    return {(i.kind.value, i.target): i.label for i in Personal(store).interests(rows)}


@cli.command("feed")
@click.argument("user")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 200))
@click.option(
    "--followed-only", is_flag=True, help="Only stories matching a follow (as /following)."
)
@json_option
@click.pass_context
@handle_errors
def feed_command(
    ctx: click.Context, user: str, limit: int, followed_only: bool, as_json: bool
) -> None:
    """Show a user's front page: stories ranked for them, each with why it is there.

    The same ranking as the web app's `/` and GET /api/v1/me/feed (JSON: the same items):
    interest in what they follow, independent outlets, growth, freshness, novelty; a mute
    always wins.

    \b
    Examples:
      broadsheet feed alice
      broadsheet feed alice --followed-only --limit 10 --json
    """
    from broadsheet.queries import ranked_json
    from broadsheet.store.personal import Personal

    app = _app(ctx)
    store = app.store()
    account = _account(store, user)
    ranked = Personal(store).feed(
        account.id,
        now=_now(),
        half_life_hours=app.settings.feed_half_life_hours,
        limit=limit,
        followed_only=followed_only,
    )
    items = ranked_json(store, ranked)
    if as_json:
        _emit_json({"items": items})
        return
    if not items:
        hint = "nothing matches a follow yet" if followed_only else "no stories yet"
        _console().print(hint, markup=False)
        return
    table = Table(title=f"{account.name}'s front page", title_justify="left")
    for column in ("story", "last seen", "outlets", "title", "why you see this"):
        table.add_column(column, overflow="fold", no_wrap=column in ("story", "last seen"))
    for item in items:
        table.add_row(
            str(item["id"]),
            _short_time(datetime.fromisoformat(item["last_seen"])),
            ", ".join(item["sources"]),
            item["title"],
            item["reason"],
        )
    _console().print(table)


def _user_kind_target(command: Callable[..., None]) -> Callable[..., None]:
    """USER KIND TARGET, --json, the context and error handling: what follow, unfollow, mute
    and unmute share (follow adds --weight)."""
    for decorator in reversed(
        (
            click.argument("user"),
            click.argument("kind", type=_KIND_CHOICE, metavar="KIND"),
            click.argument("target"),
            json_option,
            click.pass_context,
            handle_errors,
        )
    ):
        command = decorator(command)
    return command


@cli.command()
@click.argument("user")
@click.argument("kind", type=_KIND_CHOICE, metavar="KIND")
@click.argument("target")
@click.option(
    "--weight",
    type=click.FloatRange(0, MAX_FOLLOW_WEIGHT, min_open=True),
    metavar="W",
    default=1.0,
    show_default=True,
    help="How much it counts in the feed (0 < W <= 10); following again sets the weight.",
)
@json_option
@click.pass_context
@handle_errors
def follow(
    ctx: click.Context, user: str, kind: str, target: str, weight: float, as_json: bool
) -> None:
    """Follow something in a user's feed. KIND is entity, source, story, topic or keyword;
    TARGET is an entity's name (any spelling, as `broadsheet entity` finds it) or id, an
    outlet's name or id, a story id, a topic's name or id, or a keyword's words.

    \b
    Examples:
      broadsheet follow alice entity "Kenji Morisaki"
      broadsheet follow alice source "Meridian Wire" --weight 2
      broadsheet follow alice keyword "tariff talks" --json
    """
    from broadsheet.queries import follow_json
    from broadsheet.store.users import Accounts

    store = _app(ctx).store()
    account = _account(store, user)
    chosen = FollowKind(kind)
    key, label = _target(store, chosen, target, account)
    found = Accounts(store).follow(account.id, chosen, key, now=_now(), weight=weight)
    if as_json:
        _emit_json({**follow_json(found), "label": label})
        return
    click.echo(
        f"{account.name} follows {kind} {found.target} ({label}), weight {found.weight:g}"
        f" [follow {found.id}]"
    )


@cli.command()
@_user_kind_target
def unfollow(ctx: click.Context, user: str, kind: str, target: str, as_json: bool) -> None:
    """Stop following something; TARGET as for `broadsheet follow`.

    \b
    Example:
      broadsheet unfollow alice entity "Kenji Morisaki"
    """
    from broadsheet.queries import follow_json
    from broadsheet.store.users import Accounts

    store = _app(ctx).store()
    account = _account(store, user)
    accounts = Accounts(store)
    found = _known_target(
        store,
        FollowKind(kind),
        target,
        account,
        accounts.follows(account.id),
        what="does not follow",
    )
    accounts.unfollow(account.id, found.id)
    if as_json:
        assert isinstance(found, Follow)
        _emit_json(follow_json(found))
        return
    click.echo(f"{account.name} no longer follows {kind} {found.target}")


@cli.command()
@_user_kind_target
def mute(ctx: click.Context, user: str, kind: str, target: str, as_json: bool) -> None:
    """Keep something out of a user's feed; a mute wins over every follow (muting an outlet
    removes every story it covered). TARGET as for `broadsheet follow`.

    \b
    Examples:
      broadsheet mute alice source "Daily Lantern"
      broadsheet mute alice keyword football --json
    """
    from broadsheet.queries import mute_json
    from broadsheet.store.personal import Personal

    store = _app(ctx).store()
    account = _account(store, user)
    chosen = FollowKind(kind)
    key, label = _target(store, chosen, target, account)
    found = Personal(store).mute(account.id, chosen, key, now=_now())
    if as_json:
        _emit_json({**mute_json(found), "label": label})
        return
    click.echo(f"{account.name} muted {kind} {found.target} ({label}) [mute {found.id}]")


@cli.command()
@_user_kind_target
def unmute(ctx: click.Context, user: str, kind: str, target: str, as_json: bool) -> None:
    """Let something back into a user's feed; TARGET as for `broadsheet follow`.

    \b
    Example:
      broadsheet unmute alice source "Daily Lantern"
    """
    from broadsheet.queries import mute_json
    from broadsheet.store.personal import Personal

    store = _app(ctx).store()
    account = _account(store, user)
    personal = Personal(store)
    found = _known_target(
        store, FollowKind(kind), target, account, personal.mutes(account.id), what="has not muted"
    )
    personal.unmute(account.id, found.id)
    if as_json:
        assert isinstance(found, Mute)
        _emit_json(mute_json(found))
        return
    click.echo(f"{account.name} unmuted {kind} {found.target}")


@cli.command()
@click.argument("user")
@json_option
@click.pass_context
@handle_errors
def follows(ctx: click.Context, user: str, as_json: bool) -> None:
    """List what a user follows and what they muted, oldest first.

    JSON: {"follows": [...], "mutes": [...]}, items as GET /api/v1/follows and /api/v1/mutes
    give them, plus a "label" (the name the feed's reason line uses).

    \b
    Example:
      broadsheet follows alice --json
    """
    from broadsheet.queries import follow_json, mute_json
    from broadsheet.store.personal import Personal
    from broadsheet.store.users import Accounts

    store = _app(ctx).store()
    account = _account(store, user)
    follow_rows = Accounts(store).follows(account.id)
    mute_rows = Personal(store).mutes(account.id)
    names = {**_labels(store, follow_rows), **_labels(store, mute_rows)}

    def label(row: Follow | Mute) -> str:
        return names.get((row.kind.value, row.target), f"{row.kind.value} {row.target} (gone)")

    if as_json:
        _emit_json(
            {
                "follows": [{**follow_json(f), "label": label(f)} for f in follow_rows],
                "mutes": [{**mute_json(m), "label": label(m)} for m in mute_rows],
            }
        )
        return
    console = _console()
    if not follow_rows and not mute_rows:
        console.print(f"{account.name} follows and mutes nothing yet", markup=False)
        return
    rows: Sequence[Follow | Mute]
    for title, rows in (("Follows", follow_rows), ("Mutes", mute_rows)):
        table = Table(title=f"{title} of {account.name}", title_justify="left")
        columns = ["id", "kind", "target", "what", "since"]
        if title == "Follows":
            columns.insert(4, "weight")
        for column in columns:
            table.add_column(column, overflow="fold", no_wrap=column in ("id", "since"))
        for row in rows:
            cells = [
                str(row.id),
                row.kind.value,
                row.target,
                label(row),
                _short_time(row.created_at),
            ]
            if isinstance(row, Follow):
                cells.insert(4, f"{row.weight:g}")
            table.add_row(*cells)
        console.print(table if rows else f"{title.lower()}: none", markup=False)


def _topic_data(store: Store, found: Topic) -> dict[str, Any]:
    """``topic_json`` (the API's shape) with the owner's name and the entities' names, which
    the API leaves to its pages."""
    from broadsheet.queries import topic_json
    from broadsheet.store.personal import Personal
    from broadsheet.store.users import Accounts

    owner = None
    if found.user_id is not None:
        owner = next((u.name for u in Accounts(store).users() if u.id == found.user_id), None)
    names = Personal(store).entity_names(found.entity_ids)
    return {
        **topic_json(found),
        "owner": owner,
        "entities": [{"id": e, "name": names.get(e)} for e in found.entity_ids],
    }


def _topic_line(data: Mapping[str, Any]) -> str:
    parts = [", ".join(e["name"] or f"entity {e['id']}" for e in data["entities"])]
    if data["keywords"]:
        parts.append("one of: " + ", ".join(data["keywords"]))
    return " + ".join(p for p in parts if p)


@cli.command()
@click.option(
    "--user", metavar="NAME", help="Also this user's own topics (without: the instance's only)."
)
@click.option(
    "--suggest", is_flag=True, help="List topics to create, from entities named together."
)
@json_option
@click.pass_context
@handle_errors
def topics(ctx: click.Context, user: str | None, suggest: bool, as_json: bool) -> None:
    """List topics: the instance's and, with --user, that user's own. A topic is a name over
    entities and keywords; its stories name every one of its entities and, when it has
    keywords, one of them.

    --suggest lists pairs of entities that are each named by a third or more of the articles
    of two or more of the week's most-covered stories (as the web app's /topics does).

    \b
    Examples:
      broadsheet topics --user alice
      broadsheet topics --suggest --json
    """
    from broadsheet.store.personal import Personal

    store = _app(ctx).store()
    account = _account(store, user) if user else None
    personal = Personal(store)
    console = _console()
    if suggest:
        suggestions = personal.suggest_topics(now=_now())
        if as_json:
            _emit_json(
                [
                    {"name": s.name, "entity_ids": list(s.entity_ids), "story_count": s.story_count}
                    for s in suggestions
                ]
            )
            return
        if not suggestions:
            console.print("no suggestions: no two entities lead two recent stories together")
            return
        table = Table(title="Suggested topics", title_justify="left")
        for column in ("name", "stories", "create with"):
            table.add_column(column, overflow="fold")
        for s in suggestions:
            entity_flags = " ".join(f"--entity {e}" for e in s.entity_ids)
            table.add_row(
                s.name,
                str(s.story_count),
                f'broadsheet topic create "{s.name}" {entity_flags}',
            )
        console.print(table)
        return
    rows = [_topic_data(store, t) for t in personal.topics(account.id if account else None)]
    if as_json:
        _emit_json(rows)
        return
    if not rows:
        console.print("no topics yet (see `broadsheet topics --suggest`)", markup=False)
        return
    table = Table()
    for column in ("id", "name", "owner", "definition"):
        table.add_column(column, overflow="fold")
    for data in rows:
        owner = data["owner"] or "instance"
        table.add_row(str(data["id"]), data["name"], owner, _topic_line(data))
    console.print(table)


@cli.group()
def topic() -> None:
    """Create, show and edit one topic; list them with `broadsheet topics`.

    A topic's stories name every one of its entities and, when it has keywords, one of them.
    Follow or mute it like anything else: `broadsheet follow USER topic ID`.

    \b
    Examples:
      broadsheet topic create "EU-China trade" --entity "European Union" --entity China \\
          --keyword trade --keyword tariffs
      broadsheet topic show 1
    """


def _entity_ids(store: Store, given: Sequence[str]) -> list[int]:
    return [_find_entity(store, text).id for text in given]


@topic.command("create")
@click.argument("name")
@click.option(
    "--entity",
    "entity_names",
    multiple=True,
    metavar="NAME|ID",
    help="An entity every story must name (repeatable).",
)
@click.option(
    "--keyword", "keywords", multiple=True, help="A story must have one of these (repeatable)."
)
@click.option(
    "--user", metavar="NAME", help="The owner (without: a topic of the instance, for everybody)."
)
@json_option
@click.pass_context
@handle_errors
def topic_create(
    ctx: click.Context,
    name: str,
    entity_names: tuple[str, ...],
    keywords: tuple[str, ...],
    user: str | None,
    as_json: bool,
) -> None:
    """Create a topic from entities (by name or id) and keywords; at least one of them.

    Without --user the topic is the instance's: everybody sees it, and only this command line
    edits it (as for a suggested topic in the web app); with --user it is that user's own.

    \b
    Examples:
      broadsheet topic create "Port strikes" --entity Rotterdam --keyword strike
      broadsheet topic create "Morisaki" --entity 12 --user alice --json
    """
    from broadsheet.store.personal import Personal

    store = _app(ctx).store()
    owner = _account(store, user) if user else None
    created = Personal(store).create_topic(
        owner.id if owner else None,
        name,
        _entity_ids(store, entity_names),
        keywords,
        now=_now(),
    )
    data = _topic_data(store, created)
    if as_json:
        _emit_json(data)
        return
    whose = f"{owner.name}'s own" if owner else "instance topic"
    click.echo(f"Created topic {created.id}: {created.name} ({whose}): {_topic_line(data)}")


@topic.command("show")
@click.argument("topic_id", type=ROW_ID, metavar="ID")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200))
@json_option
@click.pass_context
@handle_errors
def topic_show(ctx: click.Context, topic_id: int, limit: int, as_json: bool) -> None:
    """Show a topic's definition and its stories, ranked for nobody in particular (as its page
    in the web app). JSON: the topic as GET /api/v1/topics/ID gives it, with "owner",
    "entities" and "items" (feed items, as GET /api/v1/me/feed).

    \b
    Example:
      broadsheet topic show 1 --json
    """
    from broadsheet.queries import ranked_json
    from broadsheet.store.personal import Personal

    app = _app(ctx)
    store = app.store()
    personal = Personal(store)
    found = personal.topic(topic_id)
    ranked = personal.topic_feed(
        found, now=_now(), half_life_hours=app.settings.feed_half_life_hours, limit=limit
    )
    data = {**_topic_data(store, found), "items": ranked_json(store, ranked)}
    if as_json:
        _emit_json(data)
        return
    console = _console()
    console.print(f"[bold]{found.name}[/]")
    whose = f"{data['owner']}'s own" if data["owner"] else "instance topic"
    console.print(f"#{found.id} · {whose} · {_topic_line(data)}", style="dim", markup=False)
    if not data["items"]:
        console.print("no stories in the last week match it", markup=False)
        return
    table = Table()
    for column in ("story", "last seen", "outlets", "title"):
        table.add_column(column, overflow="fold", no_wrap=column in ("story", "last seen"))
    for item in data["items"]:
        table.add_row(
            str(item["id"]),
            _short_time(datetime.fromisoformat(item["last_seen"])),
            ", ".join(item["sources"]),
            item["title"],
        )
    console.print(table)


@topic.command("edit")
@click.argument("topic_id", type=ROW_ID, metavar="ID")
@click.option("--name", help="A new name.")
@click.option(
    "--entity",
    "entity_names",
    multiple=True,
    metavar="NAME|ID",
    help="Replace the entities with these (repeatable).",
)
@click.option("--keyword", "keywords", multiple=True, help="Replace the keywords (repeatable).")
@click.option("--no-entities", is_flag=True, help="Remove every entity.")
@click.option("--no-keywords", is_flag=True, help="Remove every keyword.")
@json_option
@click.pass_context
@handle_errors
def topic_edit(
    ctx: click.Context,
    topic_id: int,
    name: str | None,
    entity_names: tuple[str, ...],
    keywords: tuple[str, ...],
    no_entities: bool,
    no_keywords: bool,
    as_json: bool,
) -> None:
    """Edit a topic, a user's or the instance's: what is not given stays. (In the web app and
    the API a user edits only their own topics; the instance's are edited here.)

    \b
    Examples:
      broadsheet topic edit 3 --keyword strike --keyword walkout
      broadsheet topic edit 3 --name "Rotterdam port" --no-keywords --json
    """
    from broadsheet.store.personal import Personal

    if entity_names and no_entities:
        raise click.UsageError("--entity and --no-entities contradict each other")
    if keywords and no_keywords:
        raise click.UsageError("--keyword and --no-keywords contradict each other")
    store = _app(ctx).store()
    personal = Personal(store)
    found = personal.topic(topic_id)
    entity_ids: Sequence[int] = found.entity_ids
    if entity_names or no_entities:
        entity_ids = _entity_ids(store, entity_names)
    words: Sequence[str] = found.keywords
    if keywords or no_keywords:
        words = keywords
    edited = personal.update_topic(
        found.user_id, topic_id, name or found.name, entity_ids, words, now=_now()
    )
    data = _topic_data(store, edited)
    if as_json:
        _emit_json(data)
        return
    click.echo(f"Edited topic {edited.id}: {edited.name}: {_topic_line(data)}")


# --- demo ----------------------------------------------------------------------------------------


@contextmanager
def demo_corpus() -> Iterator[Path]:
    """Path of the bundled demo corpus (a real directory even from a zipped install)."""
    with resources.as_file(resources.files("broadsheet") / "data" / "demo") as path:
        yield Path(path)


@cli.command()
@click.option("--db", "demo_db", metavar="PATH", help="Store to use (default: a fresh temp file).")
@json_option
@click.pass_context
@handle_errors
def demo(ctx: click.Context, demo_db: str | None, as_json: bool) -> None:
    """Ingest the bundled demo corpus into a fresh store and show what Broadsheet found.

    The corpus is fiction written for Broadsheet: 7 outlets, 10 events, every input format,
    wire copy syndicated with and without changes, outlets that disagree.

    \b
    Example:
      broadsheet demo
      broadsheet demo --db demo.db && broadsheet --db demo.db articles
    """
    app = _app(ctx)
    explicit = ctx.parent is not None and ctx.parent.get_parameter_source("db") not in (
        None,
        click.core.ParameterSource.DEFAULT,
        click.core.ParameterSource.ENVIRONMENT,
    )
    if demo_db:
        app.settings = app.settings.replace(db=demo_db)
    elif not explicit:
        folder = Path(tempfile.mkdtemp(prefix="broadsheet-demo-"))
        app.settings = app.settings.replace(db=str(folder / "demo.db"))
    with demo_corpus() as corpus:
        report, skipped = _ingest_paths(
            app, [corpus], IngestOptions(), None, show_progress=not as_json
        )
        store = app.store()
        rows = store.articles(limit=10_000)
        found_sources = store.sources()
        found_stories = store.stories(limit=1000)
        counts = store.counts()
        formats: dict[str, int] = {}
        for outcome in report.documents:
            key = outcome.format.value if outcome.format else "unknown"
            formats[key] = formats.get(key, 0) + 1
        relative = {str(p): str(Path(p).relative_to(corpus)) for p in skipped}
    if as_json:
        _emit_json(
            {
                "db": redact_url(app.settings.db_url),
                "counts": counts,
                "formats": formats,
                "sources": [source_json(s) for s in found_sources],
                "articles": [article_summary_json(a) for a in rows],
                "stories": [story_json(s) for s in found_stories],
                "report": report_json(report, skipped=list(relative.values())),
            }
        )
    else:
        _print_demo(app, counts, formats, found_sources, found_stories)
    if report.has_quarantined:
        ctx.exit(EXIT_QUARANTINED)


def _print_demo(
    app: AppContext,
    counts: dict[str, int],
    formats: dict[str, int],
    found_sources: Sequence[Any],
    found_stories: Sequence[Story],
) -> None:
    console = _console()
    console.rule("[bold]Broadsheet demo")
    console.print(
        f"{counts['raw_documents']} inputs ("
        + ", ".join(f"{n} {fmt}" for fmt, n in sorted(formats.items()))
        + f") -> {counts['articles']} articles from {counts['sources']} sources; "
        f"{counts['duplicates']} exact copies of wire stories linked to their original; "
        f"{counts['feeds']} feed subscriptions; {counts['quarantined']} quarantined."
    )
    table = Table(title="Sources")
    table.add_column("source")
    table.add_column("articles", justify="right")
    for source in found_sources:
        table.add_row(source.name, str(source.articles))
    console.print(table)
    # The front page: stories with the most outlets first, then the most recent.
    listing = Table(title="Stories (most outlets first)")
    for column in ("story", "outlets", "articles", "title", "sources"):
        listing.add_column(column, overflow="fold")
    for found in sorted(found_stories, key=lambda s: (-s.source_count, -s.last_seen.timestamp())):
        listing.add_row(
            str(found.id),
            str(found.source_count),
            str(found.article_count),
            found.title,
            ", ".join(found.sources),
        )
    console.print(listing)
    command = f"{_program()} --db {_db_argument(app.settings.db_url)}"
    console.print(f"\nStore: {redact_url(app.settings.db_url)}\nLook closer:", markup=False)
    first_story = found_stories[0].id if found_stories else 1
    for example in (
        "stories",
        f"story {first_story}",
        "article 1",
        "search strike",
        "sources",
        "entities --type person",
        "entity Morisaki",
        "articles --json",
    ):
        console.print(f"  {command} {example}", markup=False, soft_wrap=True)


def _program() -> str:
    """How the user called us (``.venv/bin/broadsheet`` after ``make demo``), for hints."""
    called = sys.argv[0] if sys.argv and sys.argv[0] else "broadsheet"
    if called.endswith("__main__.py") or Path(called).name != "broadsheet":
        return "broadsheet"
    return os.path.relpath(called) if not os.path.relpath(called).startswith("..") else called


def _db_argument(url: str) -> str:
    """A SQLite URL shown as the plain path ``--db`` also accepts."""
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="broadsheet")
