from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.errors import BroadsheetError, InvalidField
from broadsheet.timestamps import parse_timestamp
from broadsheet.urls import canonical_url, check_url, hostname


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://Example.COM:443/a/b?utm_source=x&b=2&a=1#frag",
            "https://example.com/a/b?a=1&b=2",
        ),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:8080/x?fbclid=abc", "http://example.com:8080/x"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("data:text/html,<script>", "scheme 'data'"),
        ("https://", "no host"),
        ("https://a.example/" + "x" * 3000, "over 2048"),
        ("https://a.example/a b", "whitespace"),
        ("https://a.example:99999/", "malformed"),
        ("", "empty"),
    ],
)
def test_hostile_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(InvalidField, match=reason):
        check_url(url)


def test_hostname() -> None:
    assert hostname("https://www.harbourledger.example/x") == "harbourledger.example"
    assert hostname(None) is None
    assert hostname("not a url") is None


@given(st.text(max_size=200))
def test_canonical_url_never_raises_anything_else(text: str) -> None:
    try:
        result = canonical_url(text)
    except BroadsheetError:
        return
    assert result.startswith(("http://", "https://"))
    assert canonical_url(result) == result  # idempotent


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-10T08:15:00+01:00", datetime(2026, 11, 10, 7, 15, tzinfo=UTC)),
        ("2026-11-10T08:15:00Z", datetime(2026, 11, 10, 8, 15, tzinfo=UTC)),
        ("2026-11-10", datetime(2026, 11, 10, tzinfo=UTC)),
        ("Tue, 10 Nov 2026 08:15:00 GMT", datetime(2026, 11, 10, 8, 15, tzinfo=UTC)),
        (1_789_000_000, datetime.fromtimestamp(1_789_000_000, tz=UTC)),
        (1_789_000_000_000, datetime.fromtimestamp(1_789_000_000, tz=UTC)),
    ],
)
def test_parse_timestamp(value: object, expected: datetime) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    "value", ["yesterday", "", "0000-01-01", "9999-01-01T00:00:00", True, None, [2026], 1e30]
)
def test_parse_timestamp_refuses(value: object) -> None:
    with pytest.raises(InvalidField):
        parse_timestamp(value)


@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(allow_nan=True)))
def test_parse_timestamp_total(value: object) -> None:
    try:
        parsed = parse_timestamp(value)
    except BroadsheetError:
        return
    assert parsed.tzinfo is UTC
