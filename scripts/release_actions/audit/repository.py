"""What the repository holds: tags (from the clone or GitHub), releases and milestones.

GitHub is read through the ``github`` module's client (capped retries, a
deadline per request); its errors become the audit's, with the fix. Tags,
releases and milestones are matched to a version by ``versions.names_of``, the
rule the release page uses too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import requests

if TYPE_CHECKING:  # PyGithub loads only when GitHub is read (not for --tags-from=git alone)
    from github import Github
    from github.Repository import Repository

from .. import git
from ..errors import AuditError, InputError, ReleaseError
from ..github import DEFAULT_API_URL, ClientSettings, new_client, wrap
from ..retry import Policy
from ..versions import names_of
from .model import CHECKS, Asset, Milestone, Release, RepoState

T = TypeVar("T")

# Reading many pages: PyGithub's own pause between requests, our capped retries.
GITHUB_SETTINGS = ClientSettings(
    policy=Policy(attempts=6, backoff=1.0), seconds_between_requests=0.25
)

FIX_REPO_REFUSED = (
    "Pass a token that can read the repository (GITHUB_TOKEN, or the action's token input)."
)
FIX_GITHUB = (
    "Run the audit again later; if it persists, check the API URL (--api-url / GITHUB_API_URL)."
)
FIX_GIT = "Run the audit inside a complete clone (fetch-depth: 0) or use --tags-from=github."


def _sha256_digest(value: object) -> str | None:
    if isinstance(value, str) and value.startswith("sha256:") and len(value) == 71:
        return value[7:].lower()
    return None


class GitHubReader:
    """Tags, releases (drafts included when the token may see them) and milestones, via PyGithub."""

    def __init__(
        self,
        repo: str,
        *,
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        self.repo_name = repo
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.settings = settings or GITHUB_SETTINGS
        self._client: Github | None = None
        self._repo: Repository | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the client's connections (it is made again if read from later)."""
        with self._lock:
            client, self._client, self._repo = self._client, None, None
        if client is not None:
            client.close()

    def __enter__(self) -> GitHubReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wrap(self, exc: Exception, doing: str) -> ReleaseError:
        return wrap(exc, doing, self.repo_name, fix_403=FIX_REPO_REFUSED, refused=AuditError,
                    unreachable_fix=FIX_GITHUB)  # fmt: skip

    def _repository(self) -> Repository:
        with self._lock:
            if self._repo is None:
                if self._client is None:
                    self._client = new_client(
                        self.api_url, self.token, self.settings, user_agent="release-actions-audit"
                    )
                self._repo = self._client.get_repo(self.repo_name)
            return self._repo

    def _call(self, doing: str, read: Callable[[Repository], T]) -> T:
        from github import GithubException

        try:
            return read(self._repository())
        except (GithubException, requests.RequestException, OSError) as exc:
            raise self._wrap(exc, doing) from None

    def tags(self) -> frozenset[str]:
        return frozenset(self._call("listing the tags", lambda r: [t.name for t in r.get_tags()]))

    def releases(self) -> tuple[Release, ...]:
        def read(repo: Repository) -> list[Release]:
            return [
                Release(
                    tag=r.tag_name,
                    draft=bool(r.draft),
                    prerelease=bool(r.prerelease),
                    url=r.html_url or "",
                    assets=tuple(
                        Asset(
                            a.name,
                            a.url,
                            a.browser_download_url,
                            _sha256_digest(a.digest),
                            a.size,
                        )
                        for a in r.assets
                    ),
                )
                for r in repo.get_releases()
            ]

        return tuple(self._call("listing the releases", read))

    def milestones(self) -> tuple[Milestone, ...]:
        def read(repo: Repository) -> list[Milestone]:
            return [
                Milestone(m.title, m.state == "closed", m.html_url or "")
                for m in repo.get_milestones(state="all")
            ]

        return tuple(self._call("listing the milestones", read))

    def asset_headers(self) -> dict[str, str]:
        headers = {"Accept": "application/octet-stream"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


class RepoSource(Protocol):
    """Where tags, releases and milestones come from (GitHubReader, or data in tests)."""

    repo_name: str

    def tags(self) -> frozenset[str]: ...
    def releases(self) -> tuple[Release, ...]: ...
    def milestones(self) -> tuple[Milestone, ...]: ...
    def asset_headers(self) -> dict[str, str]: ...


def read_repo_state(
    github: RepoSource,
    *,
    tags_from: str = "auto",
    checkout: Path | None = None,
    need: Sequence[str] = CHECKS,
) -> RepoState:
    """What the repository holds; tags from the local clone when it is complete and of ``repo``."""
    where = checkout or Path.cwd()
    if tags_from == "auto":
        origin = git.origin(where) if git.is_complete_checkout(where) else None
        same = origin is not None and origin.slug.lower() == github.repo_name.lower()
        tags_from = "git" if same else "github"
    tags: frozenset[str] = frozenset()
    if "tag" in need or "release" in need:
        tags = _git_tags(where) if tags_from == "git" else github.tags()
    needs_releases = {"release", "assets", "provenance"} & set(need)
    releases = github.releases() if needs_releases else ()
    milestones = github.milestones() if "milestone" in need else ()
    return RepoState(github.repo_name, tags, tags_from, releases, milestones)


def _git_tags(where: Path) -> frozenset[str]:
    try:
        return git.tags(where)
    except InputError as exc:
        raise AuditError(exc.cause, FIX_GIT) from None


# -- matching --------------------------------------------------------------------------


def find_tag(state: RepoState, version: str) -> str | None:
    found = names_of(state.tags, version)
    return found[0] if found else None


def find_release(state: RepoState, version: str, tag: str | None) -> Release | None:
    """The release for the tag (a published one before a draft)."""
    found = [r for r in state.releases if r.tag == tag]
    if not found:
        names = names_of({r.tag for r in state.releases}, version)
        found = [r for r in state.releases if r.tag in names]
    found.sort(key=lambda r: r.draft)
    return found[0] if found else None


def find_milestone(state: RepoState, version: str) -> Milestone | None:
    names = names_of({m.title for m in state.milestones}, version)
    found = [m for m in state.milestones if m.title in names]
    found.sort(key=lambda m: not m.closed)
    return found[0] if found else None
