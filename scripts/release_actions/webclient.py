"""HTTP GET with retries: what reading a package index or downloading release files needs.

Transient failures are retried with exponential backoff and jitter: 429, and
403 when the server says when to come back (``Retry-After``, or GitHub's
``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset``), 5xx, connection
resets and timeouts. A ``Retry-After`` longer than ``max_wait`` is not waited
out: the request fails with a message that says when to try again. Every
other status is returned to the caller, which knows what a 404 means.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from . import __version__
from .errors import NetworkError

T = TypeVar("T")

CHUNK = 1 << 20
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"release-actions/{__version__} (+https://github.com/release-actions/release-actions)"

MSG_GAVE_UP = "{what} failed after {attempts} attempts: {reason}."
FIX_GAVE_UP = (
    "The service is unavailable or rate-limiting this runner; run the command again later."
)
MSG_WAIT_TOO_LONG = "{what} is rate-limited for another {seconds:.0f} s (the server's Retry-After)."
FIX_WAIT_TOO_LONG = (
    "Run the command again after that time, or lower the number of parallel requests (--jobs)."
)
MSG_SCHEME = "Refusing to fetch '{url}': only http(s) URLs are read."
FIX_SCHEME = "Check the index URL and the file URLs the index reports."


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


class _Transient(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asked us to wait (Retry-After or a rate-limit reset), if it said."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now)
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(0.0, float(reset) - now)
    return None


class _NoRedirectAuth(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but only for GET, and never hand our credentials to another host.

    Credentials are added with ``add_unredirected_header``, so urllib itself
    drops them on a redirect; this class only narrows what is followed.
    """

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not newurl.startswith(("http://", "https://")):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


@dataclass
class WebClient:
    """A small retrying GET client; safe to share between threads."""

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_wait: float = 120.0
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    headers: dict[str, str] = field(default_factory=dict)
    # Requests made, counted per status ("error" for no response): for tests and logs.
    stats: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirectAuth())
        self._lock = threading.Lock()

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def _request(self, url: str, headers: Mapping[str, str] | None) -> urllib.request.Request:
        if not url.startswith(("https://", "http://")):
            raise NetworkError(MSG_SCHEME.format(url=url), FIX_SCHEME)
        request = urllib.request.Request(url, method="GET")  # noqa: S310 - scheme checked above
        request.add_header("User-Agent", USER_AGENT)
        for name, value in {**self.headers, **(headers or {})}.items():
            if name.lower() == "authorization":
                request.add_unredirected_header(name, value)
            else:
                request.add_header(name, value)
        return request

    def _retrying(self, what: str, attempt: Callable[[], T]) -> T:
        reason = ""
        for number in range(1, self.attempts + 1):
            try:
                return attempt()
            except _Transient as exc:
                reason = exc.reason
                if number == self.attempts:
                    break
                if exc.wait is not None:
                    if exc.wait > self.max_wait:
                        raise NetworkError(
                            MSG_WAIT_TOO_LONG.format(what=what, seconds=exc.wait), FIX_WAIT_TOO_LONG
                        ) from None
                    delay = exc.wait
                else:
                    delay = min(self.max_backoff, self.backoff * 2 ** (number - 1))
                    delay *= 0.5 + random.random() / 2  # noqa: S311 - jitter, not crypto
                self.sleep(delay)
        raise NetworkError(
            MSG_GAVE_UP.format(what=what, attempts=self.attempts, reason=reason), FIX_GAVE_UP
        )

    def _open(
        self, url: str, headers: Mapping[str, str] | None
    ) -> tuple[int, Mapping[str, str], http.client.HTTPResponse | urllib.error.HTTPError]:
        try:
            response = self._opener.open(self._request(url, headers), timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            self._count(str(exc.code))
            hdrs = dict(exc.headers.items()) if exc.headers else {}
            if exc.code in TRANSIENT_STATUS or exc.code == 403:
                wait = _retry_after(hdrs, self.clock())
                if exc.code in TRANSIENT_STATUS or wait is not None:
                    exc.close()
                    raise _Transient(f"HTTP {exc.code} from {url}", wait) from None
            return exc.code, hdrs, exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            self._count("error")
            reason = getattr(exc, "reason", exc)
            raise _Transient(f"{reason} ({url})") from None
        self._count(str(response.status))
        return response.status, dict(response.headers.items()), response

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url``; the final response whatever its status, unless it stayed transient."""

        def attempt() -> Response:
            status, hdrs, stream = self._open(url, headers)
            try:
                body = stream.read()
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(f"{exc} while reading {url}") from None
            finally:
                stream.close()
            return Response(status, hdrs, body, url)

        return self._retrying(f"GET {url}", attempt)

    def sha256(self, url: str, headers: Mapping[str, str] | None = None) -> tuple[int, str, int]:
        """Stream ``url`` through sha256: (status, hex digest, size); a cut download starts over."""

        def attempt() -> tuple[int, str, int]:
            status, _, stream = self._open(url, headers)
            digest = hashlib.sha256()
            size = 0
            try:
                if status == 200:
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(f"{exc} while downloading {url}") from None
            finally:
                stream.close()
            return status, digest.hexdigest(), size

        return self._retrying(f"Download of {url}", attempt)
