"""A story too big to view whole is viewed through a bounded sample of its articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from broadsheet.evaluation.synthetic import insert_article, placeholder_raw, placeholder_sources
from broadsheet.store import Store
from broadsheet.store.stories import open_story
from broadsheet.store.storyviews import VIEW_MAX_COPIES, VIEW_MAX_ORIGINALS, view_inputs

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def _story(conn: sa.Connection) -> int:
    return open_story(
        conn, title="Harbour strike", language="en", title_article_id=None, at=NOW, now=NOW
    )


def _article(
    conn: sa.Connection, n: int, raw: int, source: int, story: int, copy_of: int | None = None
) -> int:
    return insert_article(
        conn,
        identity=f"strike:{n}",
        raw_and_source=(raw, source),
        title=f"Strike, day {n}",
        body=f"Dock workers at the harbour stayed out on day {n} of the strike, the union said.",
        published_at=NOW + timedelta(hours=n),
        now=NOW,
        duplicate_of=copy_of,
        story_id=story,
    )


def test_a_big_story_is_viewed_through_the_newest_of_each_outlet_and_then_the_newest(
    tmp_path: Path,
) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'cap.db'}") as store:
        with store.engine.begin() as conn:
            raw = placeholder_raw(conn, NOW)
            wire, courier, rare = placeholder_sources(conn, ["Wire", "Courier", "Rare"], NOW)
            big, small = _story(conn), _story(conn)
            rare_id = _article(conn, 0, raw, rare, big)  # the oldest article: Rare's only one
            originals = [rare_id]
            for n in range(1, 70):
                originals.append(_article(conn, n, raw, wire if n % 2 else courier, big))
            copies = [
                _article(conn, 100 + n, raw, courier, big, copy_of=originals[-1 - n % 10])
                for n in range(50)
            ]
            kept_small = [_article(conn, 200 + n, raw, wire, small) for n in range(3)]
        with store.engine.connect() as conn:
            viewed = view_inputs(conn, big)
            whole = view_inputs(conn, small)
        assert store.refresh_story_views(now=NOW) == 2  # both views build
    ids = [a.id for a in viewed]
    viewed_originals = [i for i in ids if i in originals]
    viewed_copies = [i for i in ids if i in copies]
    assert len(viewed_originals) == VIEW_MAX_ORIGINALS
    assert len(viewed_copies) == VIEW_MAX_COPIES
    # Every outlet keeps a column: Rare's one (and oldest) article is in, then the newest.
    assert rare_id in viewed_originals
    assert set(viewed_originals) == {rare_id, *originals[-(VIEW_MAX_ORIGINALS - 1) :]}
    assert all(a.duplicate_of in viewed_originals for a in viewed if a.id in copies)
    assert [a.id for a in whole] == kept_small
