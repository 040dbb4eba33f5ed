"""HTTP for the whole suite: one session factory, and a retrying GET client.

``session()`` makes every ``requests.Session`` the suite opens (publish, the
OIDC exchange, the index client, audit's downloads), so all of them share one
proxy and CA configuration: the environment's, as requests reads it
(``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``). Nothing is read from
``~/.netrc`` (a stray entry must not send a password to an index), transport
retries are off (retrying is ``retry``'s), and every request gets a read
timeout.

``WebClient`` GETs what reading a package index or downloading release files
needs. Transient failures are retried under a ``retry.Policy``: 429, and 403
when the server says when to come back (``Retry-After``, or GitHub's
``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset``), 5xx, connection
resets and timeouts. Every other status is returned to the caller, which knows
what a 404 means. Each attempt, body included, runs under a total deadline
(``deadline``): a server that dribbles bytes cannot hold a call for ever.
Redirects are followed for GET; requests drops the ``Authorization`` header
when one leads to another host.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
import urllib3
from requests.adapters import HTTPAdapter

from . import __version__
from .deadline import Watch, within
from .errors import NetworkError
from .retry import Policy, Transient, call, number, retry_after

T = TypeVar("T")

CHUNK = 1 << 20
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"release-actions/{__version__} (+https://github.com/release-actions/release-actions)"

MSG_SCHEME = "Refusing to fetch '{url}': only http(s) URLs are read."
FIX_SCHEME = "Check the index URL and the file URLs the index reports."
MSG_REFUSED = "GET {url} failed: {reason}."
FIX_REFUSED = "Check the URL; it is not one this client can fetch."


class _Timeouts(HTTPAdapter):
    """An adapter that gives every request a read timeout, and never retries by itself."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


def no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Set as a session's auth, so requests never looks in ``~/.netrc`` for credentials."""
    return request


def session(*, timeout: float = 30.0, user_agent: str = USER_AGENT) -> requests.Session:
    """A session for one client: the environment's proxy and CA settings, no netrc, a
    read ``timeout`` on every request, no retries below ours."""
    http = requests.Session()
    http.trust_env = True  # HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE: one configuration for all
    http.auth = no_netrc
    http.headers["User-Agent"] = user_agent
    adapter = _Timeouts(timeout)
    for scheme in ("http://", "https://"):
        http.mount(scheme, adapter)
    return http


def describe(exc: BaseException) -> str:
    """A failed request's reason, short: "timed out", "Connection refused", … (no URL noise)."""
    if isinstance(exc, (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)):
        return "timed out"
    seen: BaseException | None = exc
    for _ in range(
        6
    ):  # requests → urllib3 MaxRetryError → NewConnectionError/ProtocolError → OSError
        if seen is None:
            break
        if isinstance(seen, OSError) and not isinstance(seen, requests.RequestException):
            if seen.strerror:
                return str(seen.strerror)
            if type(seen).__module__ == "builtins":
                return type(seen).__name__
        inner = getattr(seen, "reason", None)
        if not isinstance(inner, BaseException):
            args = [a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)]
            inner = args[-1] if args else seen.__cause__ or seen.__context__
        seen = inner
    return type(exc).__name__


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


@dataclass
class WebClient:
    """A retrying GET client; safe to share between threads (one session per thread)."""

    policy: Policy = field(default_factory=Policy)
    timeout: float = 30.0  # per read
    deadline: float = 300.0  # per attempt, start to end of the body
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    headers: dict[str, str] = field(default_factory=dict)
    # Requests made, counted per status ("error" for no response): for tests and logs.
    stats: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **kw: Any) -> WebClient:
        """``RA_HTTP_ATTEMPTS``, ``_BACKOFF``, ``_MAX_BACKOFF``, ``_MAX_WAIT``, ``_TIMEOUT``, ``_DEADLINE``."""
        return cls(
            policy=Policy.from_env(env, "RA_HTTP_"),
            timeout=number(env, "RA_HTTP_TIMEOUT", 30.0, minimum=0.001),
            deadline=number(env, "RA_HTTP_DEADLINE", 300.0, minimum=0.001),
            **kw,
        )

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._closer = weakref.finalize(self, _close_all, self._sessions)

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> WebClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _session(self) -> tuple[requests.Session, Watch]:
        # Per thread: a connection one thread opened is watched by that thread's deadline.
        mine: tuple[requests.Session, Watch] | None = getattr(self._local, "mine", None)
        if mine is None:
            mine = (session(timeout=self.timeout), Watch())
            with self._lock:
                self._sessions.append(mine[0])
            self._local.mine = mine
        return mine

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def _attempt(
        self, url: str, headers: Mapping[str, str] | None, read: Callable[[requests.Response], T]
    ) -> tuple[int, Mapping[str, str], T]:
        """One GET under the deadline; ``read`` consumes the body of a final answer."""
        if not url.startswith(("https://", "http://")):
            raise NetworkError(MSG_SCHEME.format(url=url), FIX_SCHEME)
        http, watch = self._session()
        try:
            with (
                within(self.deadline, watch),
                http.get(url, headers={**self.headers, **(headers or {})}, stream=True) as r,
            ):
                self._count(str(r.status_code))
                if r.status_code in TRANSIENT_STATUS or r.status_code == 403:
                    wait = retry_after(r.headers, self.clock())
                    if r.status_code in TRANSIENT_STATUS or wait is not None:
                        raise Transient(f"HTTP {r.status_code} from {url}", wait)
                return r.status_code, r.headers, read(r)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                urllib3.exceptions.HTTPError, OSError) as exc:  # fmt: skip
            self._count("error")
            reason = f"no answer within {self.deadline:g} s" if watch.expired else describe(exc)
            raise Transient(f"{reason} ({url})") from None
        except requests.RequestException as exc:
            raise NetworkError(
                MSG_REFUSED.format(url=url, reason=describe(exc)), FIX_REFUSED
            ) from None

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url``; the final response whatever its status, unless it stayed transient."""

        def attempt() -> Response:
            status, hdrs, body = self._attempt(url, headers, lambda r: r.content)
            return Response(status, hdrs, body, url)

        return call(f"GET {url}", attempt, self.policy, sleep=self.sleep)

    def sha256(self, url: str, headers: Mapping[str, str] | None = None) -> tuple[int, str, int]:
        """Stream ``url`` through sha256: (status, hex digest, size); a cut download starts over."""

        def digest(r: requests.Response) -> tuple[str, int]:
            h = hashlib.sha256()
            size = 0
            if r.status_code == 200:
                # The bytes as stored: a Content-Encoding is not undone (the digest is the file's).
                for chunk in r.raw.stream(CHUNK, decode_content=False):
                    h.update(chunk)
                    size += len(chunk)
            return h.hexdigest(), size

        def attempt() -> tuple[int, str, int]:
            wanted = {"Accept-Encoding": "identity", **(headers or {})}
            status, _, (hexdigest, size) = self._attempt(url, wanted, digest)
            return status, hexdigest, size

        return call(f"Download of {url}", attempt, self.policy, sleep=self.sleep)


def _close_all(sessions: list[requests.Session]) -> None:
    for http in sessions:
        http.close()
    sessions.clear()
