"""A real HTTP server on 127.0.0.1 for fetch tests, with routes each test sets up.

Each route is a function of the request handler, so a test can answer slowly, stall, redirect,
compress, send an endless body or check conditional-GET headers. Every request is recorded
(path and headers) so a test can prove a refused URL was never requested.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

Route = Callable[["Handler"], None]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = owner.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.reply(404, b"not found")
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def reply(
        self,
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        content_type: str = "text/plain",
    ) -> None:
        self.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        if "content-type" not in sent:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up on a hostile answer is the point of the test


@dataclass
class LoopbackServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests]

    def serve(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str = "text/plain",
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
    ) -> None:
        """A fixed answer; with ``etag``, a matching If-None-Match gets 304."""
        data = body.encode("utf-8") if isinstance(body, str) else body

        def route(h: Handler) -> None:
            extra = dict(headers or {})
            if etag:
                extra["ETag"] = etag
                if h.headers.get("If-None-Match") == etag:
                    h.reply(304, headers=extra)
                    return
            h.reply(status, data, extra, content_type=content_type)

        self.routes[path] = route

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = lambda h: h.reply(status, b"", {"Location": location})

    def sequence(self, path: str, *answers: Route) -> None:
        """Answer the n-th request with the n-th route (the last one repeats)."""
        count = {"n": 0}

        def route(h: Handler) -> None:
            index = min(count["n"], len(answers) - 1)
            count["n"] += 1
            answers[index](h)

        self.routes[path] = route


def stall(seconds: float) -> Route:
    """Say nothing for ``seconds`` before answering."""

    def route(h: Handler) -> None:
        time.sleep(seconds)
        h.reply(200, b"late")

    return route


def drip(interval_s: float, total_bytes: int) -> Route:
    """Send the headers, then the body one byte at a time."""

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(total_bytes))
        h.end_headers()
        for _ in range(total_bytes):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(interval_s)

    return route


def endless(chunk: bytes = b"x" * 65536) -> Route:
    """A body with no length that never ends (until the client hangs up)."""

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        while True:
            h.wfile.write(chunk)

    return route


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    running = LoopbackServer()
    running.start()
    yield running
    running.stop()
