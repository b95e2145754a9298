"""Quotes, figures and dates through the real pipeline and store, as `article --json` shows them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import article_html

Run = Callable[..., Result]

PARAGRAPHS = [
    "Hoshikawa Electronics agreed on Monday to buy the chip designer Veltrix for 4.2 trillion "
    "yen (US$28 billion), the largest takeover of a US technology company by a Japanese buyer.",
    '"This is the deal of a generation for us," chief executive Kenji Morisaki told reporters in '
    "Tokyo. Morisaki said the company expected the purchase to close next year.",
    "Veltrix shares rose 12.5 per cent in New York trading after the announcement, and the "
    "company said it would keep all 4,000 of its employees.",
]


def _json(run: Run, *args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_article_json_has_quotes_figures_and_dates(run: Run, inputs: Callable[..., Path]) -> None:
    page = article_html(
        "Hoshikawa to buy Veltrix",
        PARAGRAPHS,
        extra_head='<meta property="article:published_time" content="2026-11-17T06:00:00Z">',
    )
    assert run("ingest", inputs("deal.html", page), "--quiet").exit_code == 0
    (listing,) = _json(run, "articles")
    article = _json(run, "article", str(listing["id"]))
    body = "\n\n".join(article["paragraphs"])

    (quote,) = [q for q in article["quotes"] if q["direct"]]
    assert quote["speaker"] == "Kenji Morisaki"
    assert quote["speaker_entity_id"] is not None
    assert quote["text"].startswith("This is the deal of a generation")
    assert body[quote["start"] : quote["end"]] == quote["text"]

    money = [f for f in article["figures"] if f["unit"] == "JPY"]
    assert money and money[0]["value"] == 4.2e12
    assert money[0]["alt_unit"] == "USD" and money[0]["alt_value"] == 28e9
    assert any(f["unit"] == "percent" and f["value"] == 12.5 for f in article["figures"])
    for figure in article["figures"]:
        start, end = figure["offsets"]
        assert body[start:end] == figure["text"]

    by_text = {d["text"]: d for d in article["dates"]}
    assert by_text["Monday"]["start"] == by_text["Monday"]["end"] == "2026-11-16"
    assert by_text["next year"]["start"] == "2027-01-01"
    assert by_text["next year"]["end"] == "2027-12-31"
    assert not by_text["Monday"]["guessed"]

    # The speaker is the same entity `entities` lists.
    entity = _json(run, "entity", str(quote["speaker_entity_id"]))
    assert entity["name"] == "Kenji Morisaki"
