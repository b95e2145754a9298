"""The fetch client against real servers on 127.0.0.1 (tests/loopback.py): limits and safety."""

from __future__ import annotations

import gzip
import ipaddress
import zlib
from collections.abc import Iterator

import brotli
import pytest

from broadsheet.errors import (
    BlockedAddress,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ResponseTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
)
from broadsheet.pipeline.fetch import AddressGuard, Fetcher, FetchPolicy, HostGate, blocked_reason
from tests.loopback import Handler, LoopbackServer, drip, endless, server, stall

__all__ = ["server"]  # the fixture, imported for pytest


class Sleeps(list[float]):
    """Records the waits the fetcher asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_fetcher(sleeps: Sleeps | None = None, **overrides: object) -> Fetcher:
    values: dict[str, object] = {
        "allow_hosts": ("127.0.0.1",),
        "host_delay_s": 0.0,
        "retries": 0,
        "timeout_s": 5.0,
        "read_timeout_s": 2.0,
        "backoff_s": 0.5,
    }
    values.update(overrides)
    return Fetcher(FetchPolicy(**values), sleep=sleeps if sleeps is not None else Sleeps())  # type: ignore[arg-type]


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with make_fetcher() as opened:
        yield opened


def test_fetches_a_body_with_user_agent_and_validators(server, fetcher) -> None:
    server.serve(
        "/feed",
        "<rss/>",
        content_type="application/rss+xml; charset=ISO-8859-1",
        headers={"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 10:00:00 GMT"},
    )
    response = fetcher.fetch(server.url("/feed"))
    assert response.status == 200 and response.data == b"<rss/>"
    assert response.charset == "iso8859-1"
    assert response.etag == '"v1"'
    assert response.last_modified == "Mon, 23 Nov 2026 10:00:00 GMT"
    (request,) = [r for r in server.requests if r.path == "/feed"]
    assert request.headers["user-agent"].startswith("Broadsheet/")
    assert "gzip" in request.headers["accept-encoding"]


def test_conditional_get_answers_304_without_a_body(server, fetcher) -> None:
    server.serve("/feed", "<rss/>", etag='"abc"')
    first = fetcher.fetch(server.url("/feed"))
    again = fetcher.fetch(server.url("/feed"), etag=first.etag)
    assert again.not_modified and again.data == b""
    assert server.requests[-1].headers["if-none-match"] == '"abc"'


# --- addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not globally routable"),
        ("::ffff:127.0.0.1", "IPv4-embedded loopback"),
        ("::ffff:10.0.0.1", "IPv4-embedded private"),
        ("2002:7f00:1::", "IPv4-embedded loopback"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_blocked_reason(address: str, reason: str | None) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) == reason


def test_allowlist_takes_hosts_and_networks() -> None:
    guard = AddressGuard.from_allowlist(["intranet.example", "10.0.0.0/8"])
    guard.check_address("intranet.example", ipaddress.ip_address("192.168.0.5"))
    guard.check_address("other.example", ipaddress.ip_address("10.9.9.9"))
    with pytest.raises(BlockedAddress, match=r"192.168.0.5, a private address"):
        guard.check_address("other.example", ipaddress.ip_address("192.168.0.5"))


def test_loopback_refused_without_allowlist(server) -> None:
    server.serve("/", "secret")
    with make_fetcher(allow_hosts=()) as fetcher:
        with pytest.raises(BlockedAddress, match="loopback"):
            fetcher.fetch(server.url("/"))
        # Checked after DNS resolution too: the name "localhost" resolves to loopback.
        with pytest.raises(BlockedAddress, match=r"localhost resolves to .*loopback"):
            fetcher.fetch(server.url("/", host="localhost"))
    assert server.paths() == []


def test_ipv4_mapped_literal_refused(server) -> None:
    with make_fetcher(allow_hosts=()) as fetcher, pytest.raises(BlockedAddress, match="IPv4"):
        fetcher.fetch(f"http://[::ffff:127.0.0.1]:{server.port}/")
    with make_fetcher(allow_hosts=()) as fetcher, pytest.raises(BlockedAddress, match="private"):
        fetcher.fetch("http://10.0.0.1/feed")  # refused before any connection is tried


@pytest.mark.parametrize("scheme_url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"])
def test_non_http_schemes_refused(fetcher, scheme_url: str) -> None:
    with pytest.raises(BlockedAddress, match="only http and https"):
        fetcher.fetch(scheme_url)


def test_redirects_are_followed_and_reported(server, fetcher) -> None:
    server.redirect("/old", "/middle", status=301)
    server.redirect("/middle", server.url("/new"), status=308)
    server.serve("/new", "here")
    response = fetcher.fetch(server.url("/old"))
    assert response.data == b"here"
    assert response.url == server.url("/new")
    assert response.permanent_url == server.url("/new")
    assert response.redirects == (server.url("/middle"), server.url("/new"))


def test_redirect_to_a_private_address_is_refused(server) -> None:
    # The feed host is allowed by name; the redirect goes to an address nobody allowed.
    server.redirect("/feed", server.url("/admin", host="127.0.0.1"))
    server.serve("/admin", "secret")
    with make_fetcher(allow_hosts=("localhost",)) as fetcher:
        with pytest.raises(BlockedAddress, match="loopback"):
            fetcher.fetch(server.url("/feed", host="localhost"))
    assert "/admin" not in server.paths()
    server.redirect("/meta", "http://169.254.169.254/latest/meta-data/")
    with make_fetcher() as fetcher, pytest.raises(BlockedAddress, match="link-local"):
        fetcher.fetch(server.url("/meta"))
    server.redirect("/file", "file:///etc/passwd")
    with make_fetcher() as fetcher, pytest.raises(BlockedAddress, match="only http"):
        fetcher.fetch(server.url("/file"))


def test_at_most_five_redirects(server, fetcher) -> None:
    for n in range(7):
        server.redirect(f"/r{n}", f"/r{n + 1}")
    server.serve("/r5", "five hops")
    assert fetcher.fetch(server.url("/r0")).data == b"five hops"
    server.redirect("/r5", "/r6")
    with pytest.raises(TooManyRedirects, match="more than 5 redirects"):
        fetcher.fetch(server.url("/r0"))
    server.redirect("/loop", "/loop2")
    server.redirect("/loop2", "/loop")
    with pytest.raises(TooManyRedirects, match="loop"):
        fetcher.fetch(server.url("/loop"))


# --- time and size limits ------------------------------------------------------------------------


def test_a_stalled_response_times_out(server) -> None:
    server.routes["/stall"] = stall(3.0)
    with make_fetcher(read_timeout_s=0.3) as fetcher, pytest.raises(FetchTimeout):
        fetcher.fetch(server.url("/stall"))


def test_a_slow_drip_hits_the_total_deadline(server) -> None:
    server.routes["/drip"] = drip(0.05, 400)
    with make_fetcher(read_timeout_s=1.0, timeout_s=0.4) as fetcher:
        with pytest.raises(FetchTimeout, match=r"not complete within 0.4 s"):
            fetcher.fetch(server.url("/drip"))


def test_declared_length_over_the_cap(server) -> None:
    server.serve("/big", b"x" * 5000)
    with make_fetcher(max_bytes=1000) as fetcher:
        with pytest.raises(ResponseTooLarge, match="Content-Length 5,000 is over 1,000"):
            fetcher.fetch(server.url("/big"))


def test_endless_body_stops_at_the_cap(server) -> None:
    server.routes["/endless"] = endless()
    with make_fetcher(max_bytes=300_000) as fetcher:
        with pytest.raises(ResponseTooLarge, match="over 300,000 bytes"):
            fetcher.fetch(server.url("/endless"))


def test_gzip_bomb_stops_at_the_decompressed_cap(server) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    server.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with make_fetcher(max_bytes=1_000_000) as fetcher:
        with pytest.raises(ResponseTooLarge, match="decompresses to over 1,000,000"):
            fetcher.fetch(server.url("/bomb"))


def test_brotli_bomb_stops_at_the_decompressed_cap(server) -> None:
    bomb = brotli.compress(b"\0" * 20_000_000, quality=4)
    server.serve("/bomb", bomb, headers={"Content-Encoding": "br"})
    with make_fetcher(max_bytes=1_000_000) as fetcher:
        with pytest.raises(ResponseTooLarge, match="decompresses"):
            fetcher.fetch(server.url("/bomb"))


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
    ],
)
def test_compressed_bodies_are_decoded(server, fetcher, coding, compress) -> None:
    text = ("<p>Ministers met in Brussels.</p>" * 2000).encode()
    server.serve("/c", compress(text), headers={"Content-Encoding": coding})
    assert fetcher.fetch(server.url("/c")).data == text


def test_corrupt_compression_is_a_fetch_error(server, fetcher) -> None:
    server.serve("/c", b"this is not gzip", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="gzip body is corrupt"):
        fetcher.fetch(server.url("/c"))


# --- retries -------------------------------------------------------------------------------------


def test_5xx_is_retried_with_exponential_backoff(server) -> None:
    server.sequence(
        "/flaky",
        lambda h: h.reply(503),
        lambda h: h.reply(502),
        lambda h: h.reply(200, b"ok"),
    )
    sleeps = Sleeps()
    with make_fetcher(sleeps, retries=2) as fetcher:
        assert fetcher.fetch(server.url("/flaky")).data == b"ok"
    assert sleeps == [0.5, 1.0]


def test_429_waits_for_retry_after(server) -> None:
    server.sequence(
        "/busy", lambda h: h.reply(429, b"", {"Retry-After": "7"}), lambda h: h.reply(200, b"ok")
    )
    sleeps = Sleeps()
    with make_fetcher(sleeps, retries=1, max_retry_after_s=30) as fetcher:
        assert fetcher.fetch(server.url("/busy")).data == b"ok"
    assert sleeps == [7.0]


def test_a_long_retry_after_is_not_waited_for(server) -> None:
    server.serve("/busy", status=429, headers={"Retry-After": "3600"})
    sleeps = Sleeps()
    with make_fetcher(sleeps, retries=3) as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            fetcher.fetch(server.url("/busy"))
    assert caught.value.code == "fetch_http_429" and caught.value.retry_after_s == 3600
    assert sleeps == []


def test_timeouts_are_retried(server) -> None:
    server.sequence("/slow", stall(1.0), lambda h: h.reply(200, b"ok"))
    sleeps = Sleeps()
    with make_fetcher(sleeps, retries=1, read_timeout_s=0.3) as fetcher:
        assert fetcher.fetch(server.url("/slow")).data == b"ok"
    assert sleeps == [0.5]


def test_4xx_is_not_retried(server) -> None:
    server.serve("/gone", status=410)
    sleeps = Sleeps()
    with make_fetcher(sleeps, retries=3) as fetcher:
        with pytest.raises(HTTPStatusError, match="gone for good"):
            fetcher.fetch(server.url("/gone"))
    assert sleeps == [] and server.paths().count("/gone") == 1


# --- politeness ----------------------------------------------------------------------------------


def test_robots_disallow_is_obeyed_and_cached(server, fetcher) -> None:
    server.serve("/robots.txt", "User-agent: *\nDisallow: /private/\nCrawl-delay: 3\n")
    server.serve("/private/feed", "secret")
    server.serve("/public/feed", "fine")
    with pytest.raises(RobotsDisallowed, match=r"disallowed by .*robots.txt"):
        fetcher.fetch(server.url("/private/feed"))
    assert fetcher.fetch(server.url("/public/feed")).data == b"fine"
    assert server.paths() == ["/robots.txt", "/public/feed"]
    assert fetcher.gate._delays[f"127.0.0.1:{server.port}"] == 3.0


def test_robots_that_cannot_be_read_disallow_for_now(server, fetcher) -> None:
    server.serve("/robots.txt", status=500)
    server.serve("/feed", "x")
    with pytest.raises(RobotsDisallowed, match="answered 500"):
        fetcher.fetch(server.url("/feed"))
    assert "/feed" not in server.paths()


def test_host_gate_spaces_requests_to_one_host() -> None:
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)

    gate = HostGate(
        concurrency=4, host_concurrency=1, host_delay_s=2.0, clock=lambda: now[0], sleep=sleep
    )
    for _ in range(3):
        with gate.slot("a.example"):
            pass
    with gate.slot("b.example"):
        pass
    assert waits == [2.0, 4.0]  # a.example at 100, 102, 104; b.example at once


def test_requests_carry_handler_headers(server: LoopbackServer, fetcher: Fetcher) -> None:
    def echo(h: Handler) -> None:
        h.reply(200, h.headers.get("Accept", "").encode())

    server.routes["/echo"] = echo
    assert fetcher.fetch(server.url("/echo"), accept="application/rss+xml").data == (
        b"application/rss+xml"
    )


def test_refused_connection_is_retried_then_reported() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    with make_fetcher(sleeps, retries=1, obey_robots=False) as fetcher:
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(f"http://127.0.0.1:{port}/feed")
    assert caught.value.code == "fetch_connection_failed" and sleeps == [0.5]
    # With robots.txt obeyed, the site is unreachable for it first: the feed waits.
    with make_fetcher() as fetcher, pytest.raises(RobotsDisallowed, match="could not be fetched"):
        fetcher.fetch(f"http://127.0.0.1:{port}/feed")
