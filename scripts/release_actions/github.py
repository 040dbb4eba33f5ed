"""GitHub's REST API through PyGithub: one client factory, capped retries, one error mapping.

Shared by the release page and the audit, so both talk to GitHub the same way:

- ``new_client`` makes every PyGithub client: the API URL (``DEFAULT_API_URL``
  or a GitHub Enterprise Server's ``…/api/v3``), the token, the pauses PyGithub
  keeps between requests and writes, a read timeout, and a ``GithubRetry``
  whose waits are capped: a ``Retry-After`` beyond the policy's ``max_wait``
  fails the call with a message saying when to re-run, instead of sleeping it
  out. Every request runs under a total deadline (``deadline``); a per-read
  timeout never fires on a server that dribbles.
- ``wrap`` turns a ``GithubException`` (or a transport error) into one of our
  errors, with the cause and the fix; the token never appears in it.
- ``releases_for_tag``, ``canonical`` and ``find_milestone`` are the lookups
  both stages make.

Settings come from ``RA_GITHUB_*`` (see ``ClientSettings.from_env``).

Some 440 lines, on purpose: this is the one boundary with PyGithub (what it
raises, how it retries, how its connections are made), kept in one place so
no stage reaches past it.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:  # PyGithub loads with the first client: reading no GitHub costs no import
    from github import Github, GithubException
    from github.GithubRetry import GithubRetry
    from github.GitRelease import GitRelease
    from github.Milestone import Milestone
    from github.Repository import Repository
    from packaging.version import Version

from . import deadline
from .errors import CredentialError, NetworkError, ReleaseError, ReleasePageError
from .git import GITHUB, runner_server, server_host
from .retry import Policy, number, retry_after
from .text import neutral
from .versions import names_of

DEFAULT_API_URL = "https://api.github.com"

FIX_CREDENTIALS = (
    "Pass a valid token in GITHUB_TOKEN (in a workflow, the job's github.token); "
    "a token from another server or an expired one is refused."
)
FIX_UNREACHABLE = (
    "Check GITHUB_API_URL and the network; re-run the job: it picks up where this one stopped."
)
FIX_CONTENTS = "Give the job 'permissions: contents: write' (releases and their assets need it)."
# GitHub's advice for a secondary rate limit that names no time: wait at least a minute.
SECONDARY_LIMIT_WAIT = 60.0


@dataclass(frozen=True)
class Target:
    """A repository on a GitHub server, and the token to use there."""

    api_url: str
    repo: str
    token: str
    server_url: str = GITHUB  # GITHUB_SERVER_URL: where the repository's pages are

    @classmethod
    def from_env(cls, env: Mapping[str, str], repo: str, token: str) -> Target:
        """``repo`` on the GitHub server the job runs on (github.com off a runner)."""
        return cls(env.get("GITHUB_API_URL") or DEFAULT_API_URL, repo, token, runner_server(env))

    @property
    def host(self) -> str:
        return server_host(self.server_url)


@dataclass(frozen=True)
class ClientSettings:
    """How hard we talk to GitHub.

    PyGithub waits 0.25 s before every request and 1 s before every write by
    default, to stay under GitHub's secondary rate limits. A release makes a
    handful of writes, so the release page keeps a pause between writes of one
    client but drops the pause before reads. Idempotent requests are retried
    by the transport under ``policy``; POSTs (create, upload) are retried by
    the release page, after checking what the failed attempt left behind.
    """

    policy: Policy = field(default_factory=lambda: Policy(attempts=5, backoff=2.0))
    seconds_between_requests: float = 0.0
    seconds_between_writes: float = 0.5
    upload_workers: int = 4
    timeout: int = 120  # per read: uploads of large wheels need more than PyGithub's 15 s
    deadline: float = 1800.0  # per request, start to end

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], default: ClientSettings | None = None
    ) -> ClientSettings:
        """Overrides for tests and unusual servers: ``RA_GITHUB_ATTEMPTS``, ``_BACKOFF``,
        ``_MAX_BACKOFF``, ``_MAX_WAIT``, ``_REQUEST_INTERVAL``, ``_WRITE_INTERVAL``,
        ``_UPLOAD_WORKERS``, ``_TIMEOUT``, ``_DEADLINE``."""
        base = default or cls()
        return replace(
            base,
            policy=Policy.from_env(env, "RA_GITHUB_", base.policy),
            seconds_between_requests=number(
                env, "RA_GITHUB_REQUEST_INTERVAL", base.seconds_between_requests
            ),
            seconds_between_writes=number(
                env, "RA_GITHUB_WRITE_INTERVAL", base.seconds_between_writes
            ),
            upload_workers=int(
                number(
                    env, "RA_GITHUB_UPLOAD_WORKERS", base.upload_workers, integer=True, minimum=1
                )
            ),
            timeout=int(number(env, "RA_GITHUB_TIMEOUT", base.timeout, integer=True, minimum=1)),
            deadline=number(env, "RA_GITHUB_DEADLINE", base.deadline, minimum=1),
        )


# -- errors ---------------------------------------------------------------------------------


def message(exc: GithubException) -> str:
    """GitHub's own words for a refusal (status, message, error codes), made inert."""
    data = exc.data if isinstance(exc.data, dict) else {}
    text = str(data.get("message") or exc.message or "no message")
    errors = data.get("errors")
    if isinstance(errors, list):
        codes = [str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code")]
        if codes:
            text += f" ({', '.join(codes)})"
    # The server's words are relayed into logs and annotations: made inert first.
    return f"{exc.status} {neutral(text)[:500]}"


def is_code(exc: GithubException, code: str) -> bool:
    """Whether a validation failure (422) carries the error ``code`` (``already_exists``, …)."""
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors")
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("code") == code for e in errors
    )


def _refusal(exc: BaseException) -> GithubException | None:
    """``exc`` when it is PyGithub's error for an answer (PyGithub is not loaded for others)."""
    if not type(exc).__module__.startswith("github."):
        return None
    from github import GithubException

    return exc if isinstance(exc, GithubException) else None


def describe(exc: BaseException) -> str:
    """A failure, short, for a retry log line."""
    refusal = _refusal(exc)
    if refusal is not None:
        return message(refusal)
    return type(exc).__name__


def rate_limit_wait(exc: BaseException) -> float | None:
    """Seconds GitHub asks us to wait when ``exc`` is a rate-limit answer (403/429), else None."""
    refusal = _refusal(exc)
    if refusal is None or refusal.status not in (403, 429):
        return None
    from github.GithubException import RateLimitExceededExceedsMaxWait, RateLimitExceededException

    if isinstance(exc, RateLimitExceededExceedsMaxWait) and exc.wait is not None:
        return float(exc.wait)
    wait = retry_after(refusal.headers or {}, time.time())
    if wait is not None:
        return wait
    return SECONDARY_LIMIT_WAIT if isinstance(exc, RateLimitExceededException) else None


def transient(exc: BaseException, policy: Policy) -> bool:
    """Whether trying again may help: a 5xx, a reset, or a rate limit shorter than the budget."""
    wait = rate_limit_wait(exc)
    if wait is not None:
        return wait <= policy.max_wait
    refusal = _refusal(exc)
    if refusal is not None:
        return refusal.status >= 500 or refusal.status == 429
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError))


def wrap(
    exc: BaseException,
    doing: str,
    repo: str,
    *,
    fix_403: str = FIX_CONTENTS,
    refused: type[ReleaseError] = ReleasePageError,
    unreachable_fix: str = FIX_UNREACHABLE,
) -> ReleaseError:
    """A PyGithub or transport exception as one of our errors: the cause, and the fix.

    ``fix_403`` names the permission the stage needs; ``refused`` is the stage's
    error for what GitHub refuses for good (a missing repository, a 422).
    """
    wait = rate_limit_wait(exc)
    if wait is not None:
        return NetworkError(
            f"GitHub is rate-limiting this token while {doing}, for another {wait:.0f} s.",
            "Re-run the job after that time; it picks up where this one stopped.",
        )
    refusal = _refusal(exc)
    if refusal is not None:
        if refusal.status == 401:
            return CredentialError(
                f"GitHub refused the token while {doing} ({message(refusal)}).", FIX_CREDENTIALS
            )
        if refusal.status == 403:
            return CredentialError(
                f"The token lacks the permission for {doing} in {repo} ({message(refusal)}).",
                fix_403,
            )
        if refusal.status == 404:
            return refused(
                f"Repository {repo} was not found while {doing} (404), or the token cannot see it.",
                f"Check that {repo} is the repository meant and that the token belongs to it.",
            )
        if refusal.status >= 500 or refusal.status == 429:
            return NetworkError(
                f"GitHub kept failing while {doing} ({message(refusal)}).",
                "GitHub may be having trouble; re-run the job: it picks up where this one stopped.",
            )
        return refused(
            f"GitHub refused {doing} ({message(refusal)}).", "See the message from GitHub above."
        )
    return NetworkError(
        f"Could not reach GitHub while {doing}: {type(exc).__name__}.", unreachable_fix
    )


# -- clients ------------------------------------------------------------------------------------


@functools.cache
def _capped_retry() -> type[GithubRetry]:
    from github.GithubException import RateLimitExceededExceedsMaxWait
    from github.GithubRetry import GithubRetry

    class CappedRetry(GithubRetry):
        """GithubRetry caps the waits it computes (``max_rate_limit_wait``), but sleeps
        whatever a ``Retry-After`` says: a job must not hang for an hour, so that is capped too."""

        transport: _Transport | None = None  # the client's connections (``new_client``)

        def get_retry_after(self, response: Any) -> float | None:
            wait = super().get_retry_after(response)
            cap = self.max_rate_limit_wait
            if wait is not None and cap is not None and wait > cap:
                raise RateLimitExceededExceedsMaxWait(
                    response.status, {"message": "rate limited"}, dict(response.headers), wait=wait
                )
            return wait

    return CappedRetry


def __getattr__(name: str) -> Any:
    # ``CappedRetry`` is made with PyGithub's base class when first asked for.
    if name == "CappedRetry":
        return _capped_retry()
    raise AttributeError(name)


def new_client(
    api_url: str,
    token: str | None,
    settings: ClientSettings,
    *,
    user_agent: str = "release-actions",
) -> Github:
    """A PyGithub client with our retries, pauses, timeout and deadline."""
    _deadline_connections()
    policy = settings.policy
    from github import Auth

    retry = _capped_retry()(
        max_rate_limit_wait=policy.max_wait,
        total=policy.attempts - 1,
        backoff_factor=policy.backoff / 2,
        backoff_max=policy.max_backoff,
        backoff_jitter=policy.backoff / 2 if policy.jitter else 0.0,
        # POST is not idempotent: creating and uploading are retried by the caller,
        # after looking at what the failed attempt left behind.
        allowed_methods=frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"}),
        raise_on_status=False,
    )
    transport = _Transport(retry, settings.deadline)
    retry.transport = transport  # type: ignore[attr-defined]
    return _closing_github()(
        transport,
        base_url=api_url.rstrip("/"),
        auth=Auth.Token(token) if token else None,
        retry=retry,
        timeout=settings.timeout,
        per_page=100,
        seconds_between_requests=settings.seconds_between_requests or None,
        seconds_between_writes=settings.seconds_between_writes or None,
        user_agent=user_agent,
    )


class Client:
    """One PyGithub client per thread (a PyGithub client is not thread-safe)."""

    def __init__(self, target: Target, settings: ClientSettings) -> None:
        self.target = target
        self.settings = settings
        self._local = threading.local()
        self._made: list[Github] = []
        self._lock = threading.Lock()

    def github(self) -> Github:
        gh: Github | None = getattr(self._local, "github", None)
        if gh is None:
            gh = new_client(self.target.api_url, self.target.token, self.settings)
            with self._lock:
                self._made.append(gh)
            self._local.github = gh
        return gh

    def repo(self) -> Repository:
        repo: Repository | None = getattr(self._local, "repo", None)
        if repo is None:
            repo = self._local.repo = self.github().get_repo(self.target.repo)
        return repo

    def release(self, release_id: int) -> GitRelease:
        return self.repo().get_release(release_id)

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, []
        for gh in made:
            gh.close()


class _Transport:
    """What every request of one client shares: one requests session (so connections are
    kept alive between requests), the deadline, and the watch over its sockets."""

    def __init__(self, retry: GithubRetry, seconds: float) -> None:
        from .webclient import no_netrc

        self.seconds = seconds
        self.watch = deadline.Watch()
        self.session = requests.Session()
        self.session.auth = no_netrc  # as PyGithub's own sessions: never a password from netrc
        adapter = requests.adapters.HTTPAdapter(max_retries=retry)
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, adapter)


@functools.cache
def _closing_github() -> Callable[..., Github]:
    from github import Github

    class ClosingGithub(Github):
        """A PyGithub client that also closes the connections its requests shared."""

        def __init__(self, transport: _Transport, **kw: Any) -> None:
            super().__init__(**kw)
            self.transport = transport

        def close(self) -> None:
            super().close()
            self.transport.session.close()

    return ClosingGithub


def _deadline_connections() -> None:
    """Run every PyGithub request under its client's total deadline (``deadline.within``).

    PyGithub's supported hook for this is its connection classes
    (``Requester.injectConnectionClasses``). With classes of one's own it
    makes a new connection object per request; ours take their client's one
    session (carried by its retry object, which PyGithub hands to every
    connection it makes), so connections are still reused between requests.
    """
    from github.Requester import (
        HTTPRequestsConnectionClass,
        HTTPSRequestsConnectionClass,
        Requester,
    )

    if getattr(Requester, "_ra_deadlines", False):
        return

    def adopt(connection: Any, retry: Any) -> _Transport | None:
        transport = getattr(retry, "transport", None)
        if isinstance(transport, _Transport):
            connection.session.close()  # the session PyGithub made for this one request
            connection.session = transport.session
        return transport if isinstance(transport, _Transport) else None

    class _Shared:
        """Mixed into PyGithub's connection classes: the client's session, under its deadline."""

        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, **kw)
            self.transport = adopt(self, kw.get("retry"))

        def getresponse(self) -> Any:
            if self.transport is None:
                return super().getresponse()  # type: ignore[misc]
            with deadline.within(self.transport.seconds, self.transport.watch):
                return super().getresponse()  # type: ignore[misc]

        def close(self) -> None:
            if self.transport is None:  # a shared session is closed with its client
                super().close()  # type: ignore[misc]

    class _Http(_Shared, HTTPRequestsConnectionClass):
        pass

    class _Https(_Shared, HTTPSRequestsConnectionClass):
        pass

    Requester.injectConnectionClasses(_Http, _Https)
    setattr(Requester, "_ra_deadlines", True)  # noqa: B010 - installed once per process


# -- lookups ----------------------------------------------------------------------------------------


def releases_for_tag(repo: Repository, tag: str) -> list[GitRelease]:
    """Every release of ``tag``, drafts included (GitHub's get-by-tag hides them), oldest first."""
    return sorted((r for r in repo.get_releases() if r.tag_name == tag), key=lambda r: r.id)


def canonical(releases: Sequence[GitRelease]) -> GitRelease:
    """The one release every run agrees on: the published one, else the oldest draft."""
    published = [r for r in releases if not r.draft]
    return (published or list(releases))[0]


def find_milestone(repo: Repository, version: Version) -> Milestone | None:
    """The milestone named after ``version`` (see ``versions.names_of``), open or closed."""
    milestones = list(repo.get_milestones(state="all"))
    names = names_of((m.title for m in milestones), version)
    return next((m for name in names for m in milestones if m.title == name), None)
