"""The runner's OIDC identity, and PyPI Trusted Publishing's exchange of it for an upload token.

Trusted Publishing: GET ``{index}/_/oidc/audience``, ask the runner for a token
with that audience, POST it to ``{index}/_/oidc/mint-token``, and use the
short-lived API token that comes back (masked before anything can print it).
Failures name what PyPI matches, so the publisher settings can be fixed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from . import deadline
from .errors import CredentialError, NetworkError, UsageError
from .reporter import Reporter
from .retry import GiveUp, Policy, Retries, retry_after
from .text import neutral

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TIMEOUT = 30  # per read
DEADLINE = 60  # per attempt, start to end
# A mint is quick or the index is in trouble: a few tries, then a clear failure.
MINT_RETRIES = Policy(attempts=4, backoff=1.0, max_wait=60.0)

FIX_PERMISSION = (
    "Add 'permissions: id-token: write' to the job that {does} (and nothing else: "
    "other jobs need not hold it)."
)


def runner_token(
    env: Mapping[str, str], reporter: Reporter, audience: str, *, does: str
) -> str | None:
    """The runner's OIDC token for ``audience``, masked; None off a CI runner."""
    from id import AmbientCredentialError, GitHubOidcPermissionCredentialError, detect_credential

    saved = dict(os.environ)
    os.environ.update(env)  # ``id`` reads the process environment only
    try:
        token = detect_credential(audience)
    except GitHubOidcPermissionCredentialError:
        if env.get("GITHUB_EVENT_NAME") in ("pull_request", "pull_request_target") and _from_fork(
            env
        ):
            raise CredentialError(
                "This job runs for a pull request from a fork, and GitHub never gives those an OIDC token.",
                "Release from a tag push or a workflow in the repository itself, not from a fork's pull request.",
            ) from None
        raise CredentialError(
            "This job cannot get an OIDC token: it lacks the 'id-token: write' permission.",
            FIX_PERMISSION.format(does=does),
        ) from None
    except AmbientCredentialError as exc:
        raise CredentialError(
            f"The runner refused an OIDC token: {exc}.",
            "Re-run the job; if it persists, check GitHub's status page.",
        ) from None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if token:
        reporter.mask(token)
    return token or None


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    """The payload of the event that started the workflow ({} when there is none)."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return event if isinstance(event, dict) else {}


def public_repository(env: Mapping[str, str]) -> bool:
    """Whether the workflow's repository is public, from the event payload.

    Only an explicit ``visibility: public`` (or ``private: false`` where
    visibility is absent) counts as public: a private or internal repository,
    or a payload that does not say, is treated as not public.
    """
    repository = _event(env).get("repository")
    if not isinstance(repository, dict):
        return False
    visibility = repository.get("visibility")
    if visibility is not None:
        return bool(visibility == "public")
    return repository.get("private") is False


def redact_url(url: str) -> str:
    """A URL fit to print: a password in it (``https://user:secret@host``) is replaced by ***."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _from_fork(env: Mapping[str, str]) -> bool:
    event = _event(env)
    head = ((event.get("pull_request") or {}).get("head") or {}).get("repo") or {}
    base = ((event.get("pull_request") or {}).get("base") or {}).get("repo") or {}
    return bool(head) and head.get("full_name") != base.get("full_name")


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read without checking the signature (only to explain a refusal)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


def index_base(repository_url: str) -> str:
    """Where an upload endpoint's index serves its other APIs (``/_/oidc``, ``/pypi``, ``/simple``)."""
    url = urllib.parse.urlsplit(repository_url)
    if url.hostname == "upload.pypi.org":
        return "https://pypi.org"
    path = url.path.rstrip("/")
    path = path.removesuffix("/legacy")
    return urllib.parse.urlunsplit((url.scheme, url.netloc, path, "", "")).rstrip("/")


def publisher_hint(claims: Mapping[str, Any], project: str, base: str) -> str:
    """What PyPI matches, and the publisher form prefilled with it."""
    repository = str(claims.get("repository", ""))
    owner, _, repo = repository.partition("/")
    workflow_ref = str(claims.get("job_workflow_ref") or claims.get("workflow_ref") or "")
    workflow = workflow_ref.split("@", 1)[0].rsplit("/", 1)[-1]
    environment = str(claims.get("environment", ""))
    lines = [
        f"repository: {repository or '-'}",
        f"workflow: {workflow or '-'} ({workflow_ref or 'no workflow ref'})",
        f"environment: {environment or '(none)'}",
        f"ref: {claims.get('ref', '-')}",
    ]
    query = {
        "provider": "github",
        "owner": owner,
        "repository": repo,
        "workflow_filename": workflow,
    }
    if environment:
        query["environment"] = environment
    host = (
        base
        if base.startswith(("https://pypi.org", "https://test.pypi.org"))
        else "https://pypi.org"
    )
    link = f"{host}/manage/project/{project}/settings/publishing/?{urllib.parse.urlencode(query)}"
    return "; ".join(lines) + f". Add or correct the trusted publisher: {link}"


def _failure(exc: Exception, watch: deadline.Watch) -> str:
    return f"no answer within {DEADLINE} s" if watch.expired else type(exc).__name__


def _exchange(
    shown: str, retries: Retries, watch: deadline.Watch, send: Callable[[], requests.Response]
) -> requests.Response:
    """``send()`` under the deadline, again after a reset, a timeout or a 5xx (never after a
    4xx: PyPI's answer then is final); a ``NetworkError`` when it never gets through."""
    while True:
        try:
            with deadline.within(DEADLINE, watch):
                answer = send()
            if answer.status_code < 500:
                return answer
            reason, asked = f"HTTP {answer.status_code}", retry_after(answer.headers, time.time())
        except requests.RequestException as exc:
            reason, asked = _failure(exc, watch), None
        try:
            retries.pause(asked)
        except GiveUp:
            raise NetworkError(
                f"{shown} is unreachable: {reason} (after {retries.made} attempts).",
                "Check the repository URL; re-run the job.",
            ) from None


def mint_token(
    repository_url: str,
    project: str,
    env: Mapping[str, str],
    reporter: Reporter,
    session: requests.Session | None = None,
    *,
    policy: Policy = MINT_RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Trusted Publishing: an upload token for ``repository_url`` in exchange for the job's identity."""
    from .webclient import session as new_session

    http = session or new_session(timeout=TIMEOUT)
    base = index_base(repository_url)
    shown = redact_url(base)
    watch = deadline.Watch()  # every call: a later one may reuse an earlier one's connection
    answer = _exchange(
        shown, Retries(policy, sleep), watch,
        lambda: http.get(f"{base}/_/oidc/audience", timeout=TIMEOUT, allow_redirects=False),
    )  # fmt: skip
    if answer.is_redirect:
        raise CredentialError(
            f"{shown}/_/oidc/audience answered with a redirect (HTTP {answer.status_code}); "
            "the job's identity is never sent after a redirect.",
            "Pass the index's own upload URL as the repository URL.",
        )
    if not answer.ok:
        raise CredentialError(
            f"{shown} does not offer Trusted Publishing (GET /_/oidc/audience answered HTTP {answer.status_code}).",
            "Use an API token for this index instead: pass it as TWINE_PASSWORD (a secret), with TWINE_USERNAME=__token__.",
        )
    try:
        audience = str(answer.json()["audience"])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise CredentialError(
            f"{shown}/_/oidc/audience did not answer with an audience.",
            "Check that the repository URL is the index's upload URL.",
        ) from None
    tokens: list[str] = []

    def post() -> requests.Response:
        # A fresh identity token for every attempt: PyPI refuses one it has seen
        # (invalid-reuse-token), and a failed attempt may have got that far.
        token = runner_token(env, reporter, audience, does="publishes")
        if token is None:
            raise UsageError(
                "Trusted Publishing needs a CI identity, and none is available here.",
                "Set TWINE_USERNAME and TWINE_PASSWORD (an API token) to publish from this machine.",
            )
        tokens.append(token)
        # Never redirected: a 307 would replay the OIDC token to another host.
        return http.post(
            f"{base}/_/oidc/mint-token", json={"token": token}, timeout=TIMEOUT,
            allow_redirects=False,
        )  # fmt: skip

    minted = _exchange(shown, Retries(policy, sleep), watch, post)
    token = tokens[-1]
    if minted.is_redirect:
        raise CredentialError(
            f"{shown}/_/oidc/mint-token answered with a redirect (HTTP {minted.status_code}); "
            "the job's identity was not sent on.",
            "Pass the index's own upload URL as the repository URL.",
        )
    if minted.status_code == 200:
        try:
            api_token = str(minted.json()["token"])
        except (ValueError, KeyError, TypeError, RecursionError):
            raise CredentialError(f"{shown} minted no token.", "Re-run the job.") from None
        reporter.mask(api_token)
        return api_token
    errors: list[dict[str, str]] = []
    with contextlib.suppress(ValueError, AttributeError, TypeError, RecursionError):
        errors = list(minted.json().get("errors") or [])
    codes = {str(e.get("code")) for e in errors if isinstance(e, dict)}
    described = neutral(
        "; ".join(str(e.get("description", "")) for e in errors if isinstance(e, dict))
        or minted.reason
    )[:500]
    if "invalid-publisher" in codes:
        raise CredentialError(
            f"{shown} has no trusted publisher matching this job ({described}).",
            publisher_hint(unverified_claims(token), project, base),
        )
    if "not-enabled" in codes:
        raise CredentialError(
            f"Trusted Publishing is disabled on {shown}.",
            "Use an API token (TWINE_PASSWORD) until the index enables it again.",
        )
    raise CredentialError(
        f"{shown} refused the job's identity (HTTP {minted.status_code}: {described}).",
        "Check the trusted publisher settings of the project against this job; then re-run it.",
    )
