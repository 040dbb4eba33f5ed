"""A total deadline for a network call, not only a timeout per read.

Socket timeouts bound each read: a server that dribbles one byte just inside
the timeout holds a call for ever. ``within(seconds)`` watches every socket
the calling thread connects while the block runs (through the interpreter's
``socket.connect`` audit event, so it works under requests, urllib and the
libraries built on them) and, once the time is up, shuts them down: the
blocked read or write returns at once and the call fails with the library's
own connection error, which the caller reports as a deadline.

A ``Watch`` can be kept across calls (``within(seconds, watch)``), so that a
connection a session keeps alive and reuses is covered by later deadlines.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

_local = threading.local()
_installed = False
_install_lock = threading.Lock()


class Watch:
    """The sockets connected under a deadline, and whether one expired."""

    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.expired = False

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets = [s for s in self._sockets if s.fileno() != -1]
            self._sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    # The plain socket's shutdown, also under TLS: it wakes a
                    # read blocked in another thread without touching TLS state.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        watch = getattr(_local, "watch", None)
        if watch is not None and isinstance(args[0], socket.socket):
            watch.add(args[0])


def _install() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_audit)
            _installed = True


@contextlib.contextmanager
def within(seconds: float, watch: Watch | None = None) -> Iterator[Watch]:
    """Run the block's network calls under a total deadline; ``.expired`` says if it struck."""
    _install()
    watch = watch or Watch()
    watch.expired = False
    outer = getattr(_local, "watch", None)
    _local.watch = watch
    timer = threading.Timer(seconds, watch.expire)
    timer.daemon = True
    timer.start()
    try:
        yield watch
    finally:
        timer.cancel()
        _local.watch = outer
