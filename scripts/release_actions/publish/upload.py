"""Talking to the index: what sha256 it holds for a file, and one upload with its retries.

An upload is retried after a reset, a timeout, a 429 or a 5xx, waiting what
the index's ``Retry-After`` says (seconds or an HTTP-date) or backing off,
within ``UploadSettings.policy``; a file the index already holds is compared by its
sha256: the same bytes are "skipped", other bytes fail loudly.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from packaging.utils import canonicalize_name

from .. import deadline
from ..errors import CredentialError, NetworkError, PublishError
from ..hashing import Subject
from ..reporter import Reporter
from ..retry import GiveUp, Policy, Retries, number, retry_after
from ..text import neutral

USER_AGENT = "release-actions (publish; +https://github.com/release-actions/release-actions)"


@dataclass(frozen=True)
class UploadSettings:
    policy: Policy = field(default_factory=lambda: Policy(attempts=4, backoff=1.0, max_wait=300.0))
    timeout: float = 300.0  # per read
    deadline: float = 1800.0  # per upload attempt, start to end
    sleep: Callable[[float], None] = time.sleep

    @property
    def lookup_deadline(self) -> float:
        """A question about one file (what sha256 does the index hold?) is quick or fails."""
        return min(120.0, self.deadline)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> UploadSettings:
        """``RA_PUBLISH_ATTEMPTS``, ``_BACKOFF``, ``_MAX_BACKOFF``, ``_MAX_WAIT``, ``_TIMEOUT``,
        ``_DEADLINE`` (tests retry without waiting; slow indexes get more time)."""
        base = cls()
        return cls(
            policy=Policy.from_env(env, "RA_PUBLISH_", base.policy),
            timeout=number(env, "RA_PUBLISH_TIMEOUT", base.timeout, minimum=0.001),
            deadline=number(env, "RA_PUBLISH_DEADLINE", base.deadline, minimum=0.001),
        )


# -- the index's view of a file -----------------------------------------------------------------------


def remote_sha256(
    base: str, name: str, version: str, filename: str, deadline_s: float = 120.0
) -> str | None:
    """The sha256 the index has for ``filename``: from its JSON API, else its simple index.

    Whatever the index answers (HTML where JSON was asked for, JSON of another
    shape), the answer is "not known", never a crash.
    """
    from ..retry import Policy
    from ..webclient import WebClient

    # Three attempts, each with a third of the deadline: the whole lookup stays within it.
    web = WebClient(policy=Policy(attempts=3, backoff=0.2, max_wait=10.0), deadline=deadline_s / 3)
    project = canonicalize_name(name)
    with web:
        with contextlib.suppress(NetworkError):
            answer = web.get(f"{base}/pypi/{project}/{version}/json")
            if answer.status == 200:
                found = _json_sha256(answer.body, filename)
                if found is not None:
                    return found
        with contextlib.suppress(NetworkError):
            answer = web.get(f"{base}/simple/{project}/")
            if answer.status == 200:
                page = answer.body.decode("utf-8", "replace")
                match = re.search(re.escape(filename) + r"#sha256=([0-9a-f]{64})", page)
                if match:
                    return match.group(1)
    return None


def _json_sha256(body: bytes, filename: str) -> str | None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # HTML, nesting too deep, numbers too long
        return None
    urls = document.get("urls") if isinstance(document, dict) else None
    for entry in urls if isinstance(urls, list) else []:
        if isinstance(entry, dict) and entry.get("filename") == filename:
            digests = entry.get("digests")
            digest = digests.get("sha256") if isinstance(digests, dict) else None
            return (
                digest.lower()
                if isinstance(digest, str) and re.fullmatch(r"[0-9a-fA-F]{64}", digest)
                else None
            )
    return None


def _message(response: requests.Response) -> str:
    """What the index said: PyPI puts it in the reason phrase, pypiserver in an HTML page."""
    body = response.text[:4000]
    pre = re.search(r"<pre>(.*?)</pre>", body, re.S)
    if pre:
        body = pre.group(1)
    body = html.unescape(re.sub(r"<[^>]+>", " ", body))
    reason = response.reason or ""
    text = reason if reason and reason in body else f"{reason} {body}"
    return neutral(" ".join(text.split())[:300])


def _form(package: Any) -> list[tuple[str, Any]]:
    """The upload form of a twine PackageFile, as PyPI's legacy API reads it."""
    fields: list[tuple[str, Any]] = []
    for key, value in package.metadata_dictionary().items():
        if key == "project_urls":
            fields += [(key, f"{name}, {url}") for name, url in value.items()]
        elif key == "keywords":
            fields.append((key, ", ".join(value)))
        elif isinstance(value, (list, tuple)) and key != "gpg_signature":
            fields += [(key, item) for item in value]
        elif value is not None:
            fields.append((key, value))
    return [*fields, (":action", "file_upload"), ("protocol_version", "1")]


def _post(session: requests.Session, url: str, package: Any) -> requests.Response:
    from requests_toolbelt import MultipartEncoder  # type: ignore[import-untyped]

    with open(package.filename, "rb") as content:
        encoder = MultipartEncoder(
            [
                *_form(package),
                ("content", (package.basefilename, content, "application/octet-stream")),
            ]
        )
        return session.post(
            url, data=encoder, headers={"Content-Type": encoder.content_type}, allow_redirects=False
        )


def upload_one(
    session: requests.Session, url: str, package: Any, subject: Subject, base: str, version: str,
    settings: UploadSettings, reporter: Reporter, watch: deadline.Watch,
) -> str:  # fmt: skip
    """'uploaded' or 'skipped' (the index holds these very bytes); raises otherwise."""
    project = package.safe_name
    name = neutral(subject.name)
    retries = Retries(settings.policy, settings.sleep)
    while True:
        asked: float | None = None
        try:
            with deadline.within(settings.deadline, watch):
                response = _post(session, url, package)
        except (requests.ConnectionError, requests.Timeout) as exc:
            reason = (
                f"no answer within {settings.deadline:g} s" if watch.expired else type(exc).__name__
            )
        else:
            status, text = response.status_code, _message(response)
            if status in (200, 201):
                return "uploaded"
            if status == 409 or (status == 400 and "exist" in text.lower()):
                there = remote_sha256(
                    base, project, version, subject.name, settings.lookup_deadline
                )
                if there == subject.sha256:
                    return "skipped"
                if there is None:
                    raise PublishError(
                        f"The index already has a file named {name} and does not say what it holds.",
                        "Check the file on the index by hand; a published file name can never be reused.",
                    )
                raise PublishError(
                    f"The index already has {name} with other content (sha256 {there}, ours {subject.sha256}).",
                    "A published file name can never be reused: bump the version and release again.",
                )
            if status in (401, 403):
                raise CredentialError(
                    f"The index refused the credentials while uploading {name} (HTTP {status}: {text}).",
                    "Check the API token in TWINE_PASSWORD, or the trusted publisher; a minted token lasts 15 minutes.",
                )
            if status < 500 and status != 429:
                raise PublishError(
                    f"The index refused {name}: HTTP {status} {text}.",
                    "Fix what the index names and re-run.",
                )
            # 429 (PyPI rate-limits creating projects) and 5xx: the index says when, or we back off.
            reason = f"HTTP {status} {text}"
            asked = retry_after(response.headers, time.time())
        try:
            delay = retries.next(asked)
        except GiveUp as stop:
            if stop.asked is not None:
                raise NetworkError(
                    f"The index is rate-limiting uploads of {name} for another {stop.asked:.0f} s ({reason}).",
                    "Re-run the job after that time.",
                ) from None
            raise NetworkError(
                f"Uploading {name} failed {retries.made} times: {reason}.",
                "The index is unavailable; re-run the job later.",
            ) from None
        reporter.info(
            f"{name}: {reason}; retrying in {delay:.1f} s ({retries.made - 1}/{settings.policy.attempts})"
        )
        retries.sleep(delay)
