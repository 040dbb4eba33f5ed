"""The one loopback HTTP server the test fakes are built on.

``Loopback(handler)`` serves ``handler`` (a ``BaseHTTPRequestHandler`` class,
or a factory such as ``functools.partial(SimpleHTTPRequestHandler,
directory=…)``) on ``127.0.0.1`` with a free port, each request in its own
daemon thread, from a daemon thread; it is a context manager (or
``start()``/``stop()``), ``url`` is its base URL, and ``log`` lists every
request as ``(method, path)``; ``connections`` counts the TCP connections. ``Handler`` is the base for handlers: quiet,
with ``body()`` and ``reply()`` for the common cases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: Callable[..., BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.log: list[tuple[str, str]] = []
        self.log_lock = threading.Lock()
        self.connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.log_lock:
            self.connections += 1  # one per TCP connection: kept-alive ones serve many requests
        super().process_request(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """A request handler that logs nothing to stderr and records each request on its server."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def parse_request(self) -> bool:
        ok = super().parse_request()
        server = self.server
        if ok and isinstance(server, _Server):
            with server.log_lock:
                server.log.append((self.command, self.path))
        return ok

    def body(self) -> bytes:
        """The request body (Content-Length bytes; none without the header)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(
        self,
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        reason: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """A complete answer: status (and reason phrase), headers, Content-Length, body."""
        self.send_response(status, reason)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


class Loopback:
    """A threaded HTTP server on 127.0.0.1 with a free port, for the life of a ``with`` block."""

    def __init__(
        self, handler: Callable[..., BaseHTTPRequestHandler], *, poll: float = 0.05
    ) -> None:
        self.server = _Server(handler)
        self._poll = poll
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def log(self) -> list[tuple[str, str]]:
        return self.server.log

    @property
    def connections(self) -> int:
        """How many TCP connections clients opened."""
        return self.server.connections

    def start(self) -> Loopback:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": self._poll}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread = None
        self.server.server_close()

    def __enter__(self) -> Loopback:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
