"""Fetch benchmark: poll N feeds of 20 entries from a loopback server, twice.

A child process serves the feeds on 127.0.0.1 with ETags. The real command polls them
(``broadsheet feeds import`` of an OPML list, then ``broadsheet fetch --once`` twice, each in its
own process): the first poll downloads and ingests every feed; on the second, nine feeds in ten
answer 304 Not Modified and the tenth has two new entries; on a third, every feed answers 304,
which isolates the cost of polling from that of the pipeline. Figures are for the polling
process only (the server's CPU is not counted): wall time including the process start, feeds
per minute, CPU seconds, peak RSS.
Writes ``bench/results/fetch.json`` in the eval/bench shape (task, dataset, n, systems).

All feeds are on one host (127.0.0.1), so the per-host limits are raised to the global ones and
the per-host delay is zero; with the defaults (2 per host, 1 s apart) a single host would take
500 s by design.

    python bench/fetch.py             # 500 feeds
    python bench/fetch.py -n 50       # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from broadsheet.evaluation.report import machine_info, write_report

RESULTS = Path(__file__).resolve().parent / "results"
ENTRIES = 20
CHANGED_EVERY = 10  # on the second poll, one feed in ten has new entries
WORDS = (
    "government minister talks trade tariff port strike union wage vote election council bank "
    "rate inflation market shares deal company chip probe launch mission rescue quake village "
    "governor official said would could after before week month year percent billion million "
    "city region country capital workers families schools hospital river bridge road storm"
).split()


def _entry(feed: int, number: int) -> str:
    rng = random.Random(feed * 100_003 + number)
    sentences = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 24))).capitalize() + "."
        for _ in range(rng.randint(6, 10))
    ]
    published = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=37 * number + feed)
    return (
        f"<item><title>Outlet {feed} story {number}: {sentences[0][:60]}</title>"
        f"<link>https://outlet{feed}.example/{number}</link>"
        f"<pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description><![CDATA[<p>{'</p><p>'.join(sentences)}</p>]]></description></item>"
    )


def feed_xml(feed: int, version: int) -> bytes:
    first = 1 + (version - 1) * 2  # version 2 drops two old entries and adds two new ones
    items = "".join(_entry(feed, n) for n in range(first + ENTRIES - 1, first - 1, -1))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {feed}</title><link>https://outlet{feed}.example/</link>{items}"
        "</channel></rss>"
    ).encode()


class _Feeds(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[dict[int, int]] = {}
    lock = threading.Lock()

    def do_GET(self) -> None:
        if not self.path.startswith("/feed/"):
            self._send(404, b"")
            return
        feed = int(self.path.rsplit("/", 1)[1])
        with self.lock:
            polls = self.seen[feed] = self.seen.get(feed, 0) + 1
        version = 2 if polls > 1 and feed % CHANGED_EVERY == 0 else 1
        etag = f'"{feed}-{version}"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", etag)
            return
        self._send(200, feed_xml(feed, version), etag)

    def _send(self, status: int, body: bytes, etag: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve() -> None:
    """Child-process mode: serve feeds until stdin closes; print the port first."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()


def _run(args: list[str], env: dict[str, str]) -> tuple[dict[str, object], float, float]:
    """Run one broadsheet command; returns its JSON, wall seconds and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "broadsheet", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3) or not done.stdout.strip():
        sys.exit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(done.stdout), seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=500, help="feeds to serve (default 500)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=RESULTS / "fetch.json")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="broadsheet-bench-") as tmp:
            opml = Path(tmp) / "feeds.opml"
            outlines = "".join(
                f'<outline type="rss" text="Outlet {i}" xmlUrl="http://127.0.0.1:{port}/feed/{i}"/>'
                for i in range(args.n)
            )
            opml.write_text(
                f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}</body></opml>',
                encoding="utf-8",
            )
            env = {
                **os.environ,
                "BROADSHEET_DB": str(Path(tmp) / "bench.db"),
                "BROADSHEET_FETCH_ALLOW_HOSTS": "127.0.0.1",
                "BROADSHEET_FETCH_CONCURRENCY": str(args.concurrency),
                "BROADSHEET_FETCH_HOST_CONCURRENCY": str(args.concurrency),
                "BROADSHEET_FETCH_HOST_DELAY_S": "0",
                # Every feed is due again at once for the second poll.
                "BROADSHEET_FETCH_MIN_INTERVAL_S": "0.001",
            }
            _run(["feeds", "import", str(opml), "--json"], env)
            first, first_s, first_cpu = _run(["fetch", "--once", "--json", "--quiet"], env)
            second, second_s, second_cpu = _run(["fetch", "--once", "--json", "--quiet"], env)
            third, third_s, third_cpu = _run(["fetch", "--once", "--json", "--quiet"], env)
            peak_rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=10)

    def figures(report: dict[str, object], seconds: float, cpu: float) -> dict[str, object]:
        totals = report["totals"]
        assert isinstance(totals, dict)
        return {
            "seconds": round(seconds, 2),
            "feeds_per_minute": round(totals["feeds"] / seconds * 60, 1),
            "cpu_seconds": round(cpu, 2),
            "feeds": totals["feeds"],
            "new": totals["new"],
            "not_modified": totals["not_modified"],
            "failed": totals["failed"],
            "articles_new": totals["articles_new"],
        }

    result = {
        "task": "fetch",
        "dataset": f"generated: {args.n} RSS feeds x {ENTRIES} entries on 127.0.0.1; second "
        f"poll: 1 in {CHANGED_EVERY} feeds changed (2 new entries), the rest 304",
        "n": args.n,
        "systems": {
            "broadsheet-first-poll": figures(first, first_s, first_cpu),
            "broadsheet-second-poll": figures(second, second_s, second_cpu),
            "broadsheet-third-poll-all-304": figures(third, third_s, third_cpu),
        },
        "peak_rss_mb": round(peak_rss_kib / 1024, 1),
        "settings": {"concurrency": args.concurrency, "host_concurrency": args.concurrency},
        "machine": machine_info(),
    }
    write_report(args.out, result)


if __name__ == "__main__":
    main()
