"""Check, after the fact, that the release policy holds for every version on the index.

The promises, per version on the package index: a git tag names it (with or
without a leading ``v``), a GitHub release page exists for that tag and is
published, a milestone named after the version exists and is closed, and the
release page carries every file the index has. With ``verify``, every file is
downloaded from the index, its sha256 must equal the index's own digest, and
that digest must be covered by verified evidence: the file's PEP 740
attestations (from the index's Integrity API, signed by the repository's
publishing workflow), else the release's provenance (``multiple.intoto.jsonl``,
verified) or its ``SHA256SUMS``.

The index is read once per project (``index_api``). A request that fails for
one version (a 404, a timeout, an answer that is not what was asked for) makes
that version's check ``unreachable``, with the status and URL, and the audit
goes on. Yanked versions are reported as yanked and not checked. Reading is
parallel (a bounded thread pool), paginated and retried; see ``webclient``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from packaging.version import InvalidVersion, Version

from . import git
from .errors import (
    AuditError,
    CredentialError,
    InputError,
    NetworkError,
    ReleaseError,
    SubjectsError,
    UsageError,
    VerificationError,
    shown,
)
from .github import DEFAULT_API_URL, ClientSettings
from .hashing import parse_subjects
from .index_api import (
    INTEGRITY_ACCEPT,
    IndexClient,
    IndexFile,
    IndexProject,
    IndexRelease,
    describe,
    parse_time,
    select_version,
    version_key,
)
from .retry import Policy
from .versions import names_version
from .webclient import WebClient

OK, BROKEN, UNREACHABLE, SKIPPED = "ok", "broken", "unreachable", "skipped"
CHECKS = ("tag", "release", "milestone", "assets", "provenance")
PROVENANCE_NAME = "multiple.intoto.jsonl"
SUMS_NAMES = ("SHA256SUMS", "SHA256SUMS.txt")
DEFAULT_JOBS = 8
# Reading many pages: PyGithub's own pause between requests, our capped retries.
GITHUB_SETTINGS = ClientSettings(
    policy=Policy(attempts=6, backoff=1.0), seconds_between_requests=0.25
)

# -- messages (cause, fix) -------------------------------------------------------

TAG_MISSING = "no git tag '{v}' or 'v{v}'"
TAG_FIX = "Tag the released commit and push the tag: git tag v{v} COMMIT && git push origin v{v}."
RELEASE_MISSING = "no GitHub release for tag '{tag}'"
RELEASE_MISSING_NO_TAG = "no GitHub release for '{v}' or 'v{v}'"
RELEASE_FIX = "Create the release page for tag '{tag}' with its change log section and the files on the index (the release-page action does this)."
RELEASE_DRAFT = "the release for tag '{tag}' is still a draft, invisible to users"
RELEASE_DRAFT_FIX = "Publish the draft release {url}."
MILESTONE_MISSING = "no milestone named '{v}' or 'v{v}'"
MILESTONE_FIX = (
    "Create a milestone named '{v}', add the version's issues and pull requests, and close it."
)
MILESTONE_OPEN = "milestone '{title}' is still open"
MILESTONE_OPEN_FIX = (
    "Close milestone '{title}' ({url}); move any issue still open to the next milestone first."
)
ASSETS_MISSING = "release '{tag}' lacks {files} from the index"
ASSETS_FIX = (
    "Upload those files, downloaded from the index with their sha256 checked, to release '{tag}'."
)
ASSET_DIFFERS = "release asset '{name}' is not the index's file (sha256 {asset} on the release, {index} on the index)"
ASSET_DIFFERS_FIX = "One of the two was replaced after the release: run the audit with --verify to see which, then yank or re-release the version; never replace a file by hand."
INDEX_NO_DIGEST = "the index gives no sha256 for '{name}'"
INDEX_NO_DIGEST_FIX = "Ask the index's operators; without a digest nobody can check the file."
DOWNLOAD_FAILED = "'{name}' could not be downloaded from the index: {cause}"
DOWNLOAD_FAILED_FIX = "Check that {url} is reachable from here, then run the audit again."
PEP740_FAILED = "the PEP 740 provenance of '{name}' does not verify: {cause}"
PEP740_FIX = "Its attestations do not show that {workflow} of {repo} published it: check the project's trusted publishers on the index, and yank the version if it was published from elsewhere (pass --workflow when the release workflow was renamed)."
PEP740_UNREACHABLE = "the PEP 740 provenance of '{name}' could not be read: {cause}"
PEP740_UNREACHABLE_FIX = (
    "Check that {url} (the index's Integrity API) is reachable from here, then run the audit again."
)
EVIDENCE_UNREACHABLE = "{source} of release '{tag}' could not be read: {cause}"
EVIDENCE_UNREACHABLE_FIX = (
    "Check that the token can read the release assets ({repo}), then run the audit again."
)
NO_RELEASES_READ = "release pages not read (--skip release) and no PEP 740 attestations"
INDEX_DIGEST_MISMATCH = "the index serves '{name}' with sha256 {got}, not the {want} it lists"
INDEX_DIGEST_MISMATCH_FIX = "Do not install this file; report it to the index's operators."
NO_EVIDENCE = "release '{tag}' has neither {prov} nor SHA256SUMS"
NO_EVIDENCE_FIX = "Attach the provenance the attest action made (or the SHA256SUMS of the hash action) to release '{tag}'."
EVIDENCE_UNREADABLE = "{source} of release '{tag}' could not be used: {cause}"
SUMS_FIX = "Replace it with the SHA256SUMS the hash action wrote for this release, unchanged."
NOT_A_SUBJECT = (
    "'{name}' on the index (sha256 {digest}) is not a subject of {source} of release '{tag}'"
)
NOT_A_SUBJECT_FIX = "The file on the index was replaced after it was built, or built elsewhere: yank version {v} and publish a new one from the release workflow."
MSG_REPO_REFUSED = "GitHub refused access to {repo} (HTTP {status})."
FIX_REPO_REFUSED = (
    "Pass a token that can read the repository (GITHUB_TOKEN, or the action's token input)."
)
MSG_NO_REPO = "Repository {repo} was not found at {api} (HTTP 404)."
FIX_NO_REPO = "Check --repo (OWNER/REPO) and, for a private repository, that the token can read it."
MSG_GITHUB = "The GitHub API at {api} failed for {repo}: {cause}."
MSG_RATE_LIMITED = (
    "GitHub is rate-limiting this token while reading {repo}, for another {seconds:.0f} s."
)
FIX_RATE_LIMITED = "Run the audit again after that time (a token raises the limit: GITHUB_TOKEN)."
FIX_GITHUB = (
    "Run the audit again later; if it persists, check the API URL (--api-url / GITHUB_API_URL)."
)
FIX_GIT = "Run the audit inside a complete clone (fetch-depth: 0) or use --tags-from=github."


# -- what GitHub and git hold -------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    name: str
    url: str  # API URL (download with Accept: application/octet-stream)
    download_url: str  # browser_download_url
    digest: str | None  # sha256 hex when GitHub reports one
    size: int | None = None


@dataclass(frozen=True)
class Release:
    tag: str
    draft: bool
    prerelease: bool
    url: str
    assets: tuple[Asset, ...] = ()

    def asset(self, *names: str) -> Asset | None:
        for name in names:
            for a in self.assets:
                if a.name == name:
                    return a
        return None


@dataclass(frozen=True)
class Milestone:
    title: str
    closed: bool
    url: str = ""


@dataclass(frozen=True)
class RepoState:
    repo: str
    tags: frozenset[str]
    tags_from: str  # "git" or "github"
    releases: tuple[Release, ...]
    milestones: tuple[Milestone, ...]


# -- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | broken | unreachable | skipped
    detail: str = ""
    fix: str = ""


@dataclass
class VersionReport:
    version: str
    prerelease: bool
    yanked: bool
    yanked_reason: str | None
    files: tuple[IndexFile, ...]
    tag: str | None = None
    release: Release | None = None
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def broken(self) -> list[Check]:
        return [c for c in self.checks.values() if c.status == BROKEN]

    @property
    def unreachable(self) -> list[Check]:
        return [c for c in self.checks.values() if c.status == UNREACHABLE]

    @property
    def status(self) -> str:
        if self.yanked:
            return "yanked"
        if self.broken:
            return BROKEN
        return UNREACHABLE if self.unreachable else OK

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "status": self.status,
            "prerelease": self.prerelease,
            "yanked": self.yanked,
            "yanked_reason": self.yanked_reason,
            "tag": self.tag,
            "release": None
            if self.release is None
            else {"tag": self.release.tag, "draft": self.release.draft, "url": self.release.url},
            "files": [
                {
                    "filename": f.filename,
                    "sha256": f.sha256,
                    "size": f.size,
                    "upload_time": f.upload_time or None,
                    "provenance": f.provenance,
                }
                for f in self.files
            ],
            "checks": {
                c.name: {"status": c.status, "detail": c.detail, "fix": c.fix}
                for c in self.checks.values()
            },
        }


@dataclass
class AuditReport:
    project: str
    repo: str
    index_url: str
    tags_from: str
    verified: bool
    versions: list[VersionReport]
    checks: tuple[str, ...]
    index_source: str = ""  # which API listed the versions
    notes: list[str] = field(default_factory=list)  # what the index lacked, and what filled in
    since: str | None = None
    excluded: list[str] = field(default_factory=list)  # versions older than --since

    @property
    def broken(self) -> list[tuple[VersionReport, Check]]:
        return [(v, c) for v in self.versions for c in v.broken]

    @property
    def unreachable(self) -> list[tuple[VersionReport, Check]]:
        return [(v, c) for v in self.versions for c in v.unreachable]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "repository": self.repo,
            "index": self.index_url,
            "index_source": self.index_source,
            "index_notes": list(self.notes),
            "tags_from": self.tags_from,
            "verified": self.verified,
            "checks": list(self.checks),
            "ok": not self.broken and not self.unreachable,
            "broken": len(self.broken),
            "unreachable": len(self.unreachable),
            "since": self.since,
            "excluded": list(self.excluded),
            "versions": [v.to_json() for v in self.versions],
        }


# -- which versions -------------------------------------------------------------------

MSG_SINCE = "--since '{value}' is neither a version nor a date (YYYY-MM-DD)."
FIX_SINCE = "Pass the first version released under the policy (e.g. --since 2.0.0) or the date it was adopted (e.g. --since 2023-01-31)."
MSG_SINCE_NO_TIMES = "--since {value} needs upload times, and the index gives none for {count} file(s) of {project} ({notes})."
FIX_SINCE_NO_TIMES = (
    "Use --since VERSION instead, or an index that serves PEP 700 upload times or the JSON API."
)


@dataclass(frozen=True)
class Since:
    """--since: versions older than a version, or first uploaded before a date, are left out."""

    text: str
    version: Version | None = None
    date: datetime | None = None

    @classmethod
    def parse(cls, value: str) -> Since:
        text = value.strip()
        if _DATE.fullmatch(text):
            when = parse_time(text)
            if when is None:
                raise UsageError(MSG_SINCE.format(value=shown(value)), FIX_SINCE)
            return cls(text, date=when)
        try:
            return cls(text, version=Version(text))
        except InvalidVersion:
            raise UsageError(MSG_SINCE.format(value=shown(value)), FIX_SINCE) from None

    def excludes(self, release: IndexRelease) -> bool:
        if self.version is not None:
            try:
                return Version(release.version) < self.version
            except InvalidVersion:
                return True  # a version from before PEP 440 is older than any policy
        uploaded = release.uploaded
        return uploaded is not None and self.date is not None and uploaded < self.date


_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)


# -- reading the repository ------------------------------------------------------------


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
        self._repo: Any = None
        self._lock = threading.Lock()

    def _wrap(self, exc: Exception) -> ReleaseError:
        from github import GithubException

        from .github import rate_limit_wait

        wait = rate_limit_wait(exc)
        if wait is not None:
            return NetworkError(
                MSG_RATE_LIMITED.format(repo=self.repo_name, seconds=wait), FIX_RATE_LIMITED
            )
        if isinstance(exc, GithubException):
            if exc.status in (401, 403):
                return CredentialError(
                    MSG_REPO_REFUSED.format(repo=self.repo_name, status=exc.status),
                    FIX_REPO_REFUSED,
                )
            if exc.status == 404:
                return AuditError(
                    MSG_NO_REPO.format(repo=self.repo_name, api=self.api_url), FIX_NO_REPO
                )
            cause = f"HTTP {exc.status}"
        else:
            cause = str(exc) or type(exc).__name__
        return NetworkError(
            MSG_GITHUB.format(api=self.api_url, repo=self.repo_name, cause=cause), FIX_GITHUB
        )

    def _repository(self) -> Any:
        from .github import new_client

        with self._lock:
            if self._repo is None:
                client = new_client(
                    self.api_url, self.token, self.settings, user_agent="release-actions-audit"
                )
                self._repo = client.get_repo(self.repo_name)
            return self._repo

    def _call(self, read: Callable[[Any], Any]) -> Any:
        import requests

        try:
            return read(self._repository())
        except ReleaseError:
            raise
        except (requests.RequestException, OSError) as exc:
            raise self._wrap(exc) from None
        except Exception as exc:
            from github import GithubException

            if isinstance(exc, GithubException):
                raise self._wrap(exc) from None
            raise

    def tags(self) -> frozenset[str]:
        return frozenset(self._call(lambda r: [t.name for t in r.get_tags()]))

    def releases(self) -> tuple[Release, ...]:
        def read(repo: Any) -> list[Release]:
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

        return tuple(self._call(read))

    def milestones(self) -> tuple[Milestone, ...]:
        def read(repo: Any) -> list[Milestone]:
            return [
                Milestone(m.title, m.state == "closed", m.html_url or "")
                for m in repo.get_milestones(state="all")
            ]

        return tuple(self._call(read))

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


def _candidates(version: str) -> tuple[str, ...]:
    return (version, f"v{version}")


def _matching(names: Iterable[str], version: str) -> list[str]:
    """Names equal to the version or v+version first, then names whose version is equal."""
    names = list(names)
    exact = [n for n in _candidates(version) if n in names]
    if exact:
        return exact
    try:
        wanted = Version(version)
    except InvalidVersion:
        return []
    return sorted(n for n in names if names_version(n, wanted))


def find_tag(state: RepoState, version: str) -> str | None:
    found = _matching(state.tags, version)
    return found[0] if found else None


def find_release(state: RepoState, version: str, tag: str | None) -> Release | None:
    """The release for the tag (a published one before a draft)."""
    found = [r for r in state.releases if r.tag == tag]
    if not found:
        names = _matching({r.tag for r in state.releases}, version)
        found = [r for r in state.releases if r.tag in names]
    found.sort(key=lambda r: r.draft)
    return found[0] if found else None


def find_milestone(state: RepoState, version: str) -> Milestone | None:
    names = _matching({m.title for m in state.milestones}, version)
    found = [m for m in state.milestones if m.title in names]
    found.sort(key=lambda m: not m.closed)
    return found[0] if found else None


# -- the checks ---------------------------------------------------------------------------


def _short(digest: str) -> str:
    return digest[:12] + "…" if len(digest) > 12 else digest or "(none)"


def check_basic(release: IndexRelease, state: RepoState, checks: Sequence[str]) -> VersionReport:
    """Tag, release page, milestone and assets: everything but downloads."""
    v = release.version
    report = VersionReport(
        v, release.prerelease, release.yanked, release.yanked_reason, release.files
    )
    if release.yanked:
        return report
    tag = find_tag(state, v)
    report.tag = tag
    if "tag" in checks:
        report.checks["tag"] = (
            Check("tag", OK, tag)
            if tag
            else Check("tag", BROKEN, TAG_MISSING.format(v=v), TAG_FIX.format(v=v))
        )
    gh = find_release(state, v, tag)
    report.release = gh
    wanted_tag = tag or f"v{v}"
    if "release" in checks:
        if gh is None:
            cause = RELEASE_MISSING.format(tag=tag) if tag else RELEASE_MISSING_NO_TAG.format(v=v)
            report.checks["release"] = Check(
                "release", BROKEN, cause, RELEASE_FIX.format(tag=wanted_tag)
            )
        elif gh.draft:
            report.checks["release"] = Check(
                "release",
                BROKEN,
                RELEASE_DRAFT.format(tag=gh.tag),
                RELEASE_DRAFT_FIX.format(url=gh.url or gh.tag),
            )
        else:
            report.checks["release"] = Check("release", OK, gh.url)
    if "milestone" in checks:
        m = find_milestone(state, v)
        if m is None:
            report.checks["milestone"] = Check(
                "milestone", BROKEN, MILESTONE_MISSING.format(v=v), MILESTONE_FIX.format(v=v)
            )
        elif not m.closed:
            report.checks["milestone"] = Check(
                "milestone",
                BROKEN,
                MILESTONE_OPEN.format(title=m.title),
                MILESTONE_OPEN_FIX.format(title=m.title, url=m.url or "on GitHub"),
            )
        else:
            report.checks["milestone"] = Check("milestone", OK, m.title)
    if "assets" in checks:
        report.checks["assets"] = _check_assets(release, gh)
    return report


def _check_assets(release: IndexRelease, gh: Release | None) -> Check:
    if gh is None:
        return Check("assets", SKIPPED, "no release page")
    if not release.files:
        return Check("assets", SKIPPED, "the index has no files for this version")
    names = {a.name: a for a in gh.assets}
    missing = [f.filename for f in release.files if f.filename not in names]
    if missing:
        shown = ", ".join(f"'{m}'" for m in missing)
        return Check(
            "assets",
            BROKEN,
            ASSETS_MISSING.format(tag=gh.tag, files=shown),
            ASSETS_FIX.format(tag=gh.tag),
        )
    for f in release.files:
        asset = names[f.filename]
        if asset.digest and f.sha256 and asset.digest != f.sha256:
            return Check(
                "assets",
                BROKEN,
                ASSET_DIFFERS.format(
                    name=f.filename, asset=_short(asset.digest), index=_short(f.sha256)
                ),
                ASSET_DIFFERS_FIX,
            )
    return Check("assets", OK, f"{len(release.files)} file(s)")


# -- verification ----------------------------------------------------------------------------

ProvenanceVerifier = Callable[[bytes, str, str], set[str]]
"""(multiple.intoto.jsonl bytes, OWNER/REPO, tag) -> the sha256 digests of its verified subjects."""

AttestationVerifier = Callable[[bytes, IndexFile, str, str, str], None]
"""(PEP 740 attestations, one per line; the file; OWNER/REPO; tag; workflow) -> None, or raises."""


def verify_provenance(data: bytes, repo: str, tag: str) -> set[str]:
    """Verify a release's provenance with the verify command's code; its subjects' digests.

    It must have been built from ``repo`` at exactly ``tag``; any failed check
    (signature, identity, claims) makes the whole file unusable as evidence.
    """
    from .verify import Expectations, verify

    report = verify(
        [], data, PROVENANCE_NAME, Expectations(source_uri=f"github.com/{repo}", tag=tag)
    )
    # With no artifacts given, only the subjects check is left undone: anything else
    # undecided (an unchecked log entry, an unsupported format) is no evidence.
    undecided = report.findings(leave_out=("subjects",))
    if undecided:
        raise VerificationError(
            f"{PROVENANCE_NAME} of {repo}@{tag} is not verified: {undecided}",
            f"Check it with 'release-actions verify --provenance {PROVENANCE_NAME} --source-uri github.com/{repo} "
            f"--source-tag {tag} FILES…'; re-attest the release if its provenance is wrong.",
        )
    return report.verified_digests()


def verify_attestations(data: bytes, f: IndexFile, repo: str, tag: str, workflow: str) -> None:
    """Verify a file's PEP 740 attestations with the verify command's code.

    Each must be signed by ``repo``'s ``workflow`` (when known) running for
    ``tag`` (when known), and name the file and the index's sha256 of it as subject.
    """
    from .verify import Artifact, Expectations, verify

    fix = PEP740_FIX.format(repo=repo, workflow=workflow or "the publishing workflow")
    try:
        report = verify(
            [Artifact(f.filename, f.sha256)],
            data,
            "the Integrity API's answer",
            Expectations(source_uri=f"github.com/{repo}", tag=tag, workflow=workflow),
        )
    except ReleaseError as exc:  # not attestations verify can read
        raise VerificationError(exc.cause.rstrip("."), fix) from None
    undecided = report.findings()
    if undecided:
        raise VerificationError(undecided, fix)


@dataclass(frozen=True)
class Provenance:
    """A file's PEP 740 provenance from the Integrity API: its attestations, or why none."""

    filename: str
    data: bytes = b""  # the attestations, one JSON object per line (what verify reads)
    workflow: str = ""  # the publisher's workflow, as the index recorded it
    unreachable: str = ""


def read_pep740(filename: str, url: str, web: WebClient) -> Provenance:
    """GET a file's provenance from the Integrity API; a failure is described, never raised."""
    try:
        response = web.get(url, headers={"Accept": INTEGRITY_ACCEPT})
    except NetworkError as exc:
        return Provenance(filename, unreachable=exc.cause.rstrip("."))
    if response.status != 200:
        return Provenance(filename, unreachable=describe(response))
    try:
        document = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return Provenance(filename, unreachable=f"{describe(response)} is not JSON")
    found = document.get("attestation_bundles") if isinstance(document, dict) else None
    bundles = [b for b in found if isinstance(b, dict)] if isinstance(found, list) else []
    attestations = [
        a for b in bundles if isinstance(b.get("attestations"), list) for a in b["attestations"]
    ]
    if not attestations or not all(isinstance(a, dict) for a in attestations):
        return Provenance(
            filename,
            unreachable=f"{describe(response)} is not a PEP 740 provenance object with attestations",
        )
    publisher = bundles[0].get("publisher")
    workflow = publisher.get("workflow") if isinstance(publisher, dict) else None
    lines = "".join(json.dumps(a, separators=(",", ":")) + "\n" for a in attestations)
    return Provenance(filename, lines.encode(), workflow if isinstance(workflow, str) else "")


@dataclass(frozen=True)
class Evidence:
    source: str  # asset name
    digests: frozenset[str] = frozenset()
    error: ReleaseError | None = None
    unreachable: str = ""


def read_evidence(
    gh: Release,
    repo: str,
    web: WebClient,
    headers: dict[str, str],
    verifier: ProvenanceVerifier,
) -> Evidence | None:
    """The verified subjects of the release's provenance, else its SHA256SUMS; None if neither."""
    asset = gh.asset(PROVENANCE_NAME) or next(
        (a for a in gh.assets if a.name.endswith(".intoto.jsonl")), None
    )
    sums = gh.asset(*SUMS_NAMES)
    chosen = asset or sums
    if chosen is None:
        return None
    try:
        response = web.get(chosen.url, headers=headers)
    except NetworkError as exc:
        return Evidence(chosen.name, unreachable=exc.cause.rstrip("."))
    if response.status != 200:
        return Evidence(chosen.name, unreachable=describe(response))
    try:
        if asset is not None:
            digests = verifier(response.body, repo, gh.tag)
        else:
            text = response.body.decode("utf-8", errors="strict")
            digests = {s.sha256 for s in parse_subjects(text, chosen.name)}
    except UnicodeDecodeError:
        return Evidence(chosen.name, error=SubjectsError("it is not UTF-8 text", SUMS_FIX))
    except SubjectsError as exc:
        return Evidence(chosen.name, error=SubjectsError(exc.cause, SUMS_FIX))
    except ReleaseError as exc:
        return Evidence(chosen.name, error=exc)
    return Evidence(chosen.name, frozenset(digests))


@dataclass(frozen=True)
class Download:
    """A file fetched from the index through sha256: its digest, or why it could not be read."""

    sha256: str = ""
    unreachable: str = ""


def download(web: WebClient, url: str) -> Download:
    try:
        status, digest, _size = web.sha256(url)
    except NetworkError as exc:
        return Download(unreachable=exc.cause.rstrip("."))
    if status != 200:
        return Download(unreachable=f"HTTP {status} from {url}")
    return Download(digest)


@dataclass
class Findings:
    """What one version's provenance check found: promises broken, and ones that could not be checked."""

    broken: list[tuple[str, str]] = field(default_factory=list)  # (cause, fix)
    unreachable: list[tuple[str, str]] = field(default_factory=list)

    def check(self, ok_detail: str) -> Check:
        for status, found in ((BROKEN, self.broken), (UNREACHABLE, self.unreachable)):
            if found:
                everything = self.broken + self.unreachable
                fixes = list(dict.fromkeys(fix for _, fix in everything if fix))
                return Check(
                    "provenance", status, "; ".join(p for p, _ in everything), " ".join(fixes)
                )
        return Check("provenance", OK, ok_detail)


def check_provenance(
    report: VersionReport,
    downloads: dict[str, Download],
    evidence: Evidence | None,
    pep740: dict[str, Provenance | ReleaseError] | None = None,
    *,
    releases_read: bool = True,
) -> Check:
    """The index's files match their digests and are covered by verified evidence.

    Evidence is a file's PEP 740 attestations (verified; ``pep740`` maps the
    file name to its provenance, or to the error verifying it) or the release's
    provenance or SHA256SUMS (``evidence``).
    """
    v = report.version
    if not report.files:
        return Check("provenance", SKIPPED, "the index has no files for this version")
    pep740 = pep740 or {}
    found = Findings()
    attested = []
    for f in report.files:
        if not f.sha256:
            found.broken.append((INDEX_NO_DIGEST.format(name=f.filename), INDEX_NO_DIGEST_FIX))
            continue
        got = downloads.get(f.filename, Download(unreachable="not downloaded"))
        if got.unreachable:
            found.unreachable.append(
                (
                    DOWNLOAD_FAILED.format(name=f.filename, cause=got.unreachable),
                    DOWNLOAD_FAILED_FIX.format(url=f.url),
                )
            )
        elif got.sha256 != f.sha256:
            found.broken.append(
                (
                    INDEX_DIGEST_MISMATCH.format(name=f.filename, got=got.sha256, want=f.sha256),
                    INDEX_DIGEST_MISMATCH_FIX,
                )
            )
        outcome = pep740.get(f.filename) if f.provenance else None
        if isinstance(outcome, ReleaseError):
            found.broken.append(
                (
                    PEP740_FAILED.format(name=f.filename, cause=outcome.cause.rstrip(".")),
                    outcome.fix,
                )
            )
        elif outcome is not None and outcome.unreachable:
            found.unreachable.append(
                (
                    PEP740_UNREACHABLE.format(name=f.filename, cause=outcome.unreachable),
                    PEP740_UNREACHABLE_FIX.format(url=f.provenance),
                )
            )
        elif outcome is not None:
            attested.append(f.filename)
    uncovered = [f for f in report.files if f.sha256 and f.filename not in attested]
    sources = ["PEP 740 attestations"] if attested else []
    gh = report.release
    if uncovered and gh is None:
        if found.broken or found.unreachable:
            return found.check("")
        if not releases_read:
            return Check("provenance", SKIPPED, NO_RELEASES_READ)
        return Check("provenance", SKIPPED, "no release page")
    if uncovered and gh is not None:
        if evidence is None:
            found.broken.append(
                (
                    NO_EVIDENCE.format(tag=gh.tag, prov=PROVENANCE_NAME),
                    NO_EVIDENCE_FIX.format(tag=gh.tag),
                )
            )
        elif evidence.unreachable:
            found.unreachable.append(
                (
                    EVIDENCE_UNREACHABLE.format(
                        source=evidence.source, tag=gh.tag, cause=evidence.unreachable
                    ),
                    EVIDENCE_UNREACHABLE_FIX.format(repo=gh.url or gh.tag),
                )
            )
        elif evidence.error is not None:
            found.broken.append(
                (
                    EVIDENCE_UNREADABLE.format(
                        source=evidence.source, tag=gh.tag, cause=evidence.error.cause.rstrip(".")
                    ),
                    evidence.error.fix,
                )
            )
        else:
            sources.append(evidence.source)
            for f in uncovered:
                if f.sha256 not in evidence.digests:
                    found.broken.append(
                        (
                            NOT_A_SUBJECT.format(
                                name=f.filename, digest=f.sha256, source=evidence.source, tag=gh.tag
                            ),
                            NOT_A_SUBJECT_FIX.format(v=v),
                        )
                    )
    return found.check(f"{len(report.files)} file(s) match {' and '.join(sources)}")


# -- the whole audit --------------------------------------------------------------------------


@dataclass
class AuditOptions:
    project: str
    repo: str
    versions: Sequence[str] | None = None  # None: every version on the index
    verify: bool = False
    skip: Sequence[str] = ()
    tags_from: str = "auto"
    checkout: Path | None = None
    jobs: int = DEFAULT_JOBS
    since: Since | None = None
    workflow: str = ""  # the publishing workflow PEP 740 attestations must name ("" = the index's)


def audit(
    options: AuditOptions,
    index: IndexClient,
    github: RepoSource,
    *,
    verifier: ProvenanceVerifier = verify_provenance,
    attestation_verifier: AttestationVerifier = verify_attestations,
    log: Callable[[str], None] = lambda _: None,
) -> AuditReport:
    checks = tuple(
        c for c in CHECKS if c not in options.skip and (c != "provenance" or options.verify)
    )
    # Release assets are evidence for --verify, unless the user said not to read release pages.
    need = checks if "release" in checks else tuple(c for c in checks if c != "provenance")
    since = options.since
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        # The repository is read while the index answers.
        state_read = pool.submit(
            read_repo_state,
            github,
            tags_from=options.tags_from,
            checkout=options.checkout,
            need=need,
        )
        project = index.project(
            options.project, need_upload_times=since is not None and since.date is not None
        )
        log(
            f"{options.project}: {len(project.releases)} version(s) from the {project.source} at {project.url}"
        )
        for note in project.notes:
            log(f"{options.project}: {note}")
        if options.versions:
            releases = [select_version(project, v, index.index_url) for v in options.versions]
        else:
            releases = list(project.releases)
        excluded: list[str] = []
        if since is not None:
            excluded = _older(since, releases, project)
            releases = [r for r in releases if r.version not in excluded]
            log(f"{len(excluded)} version(s) older than --since {since.text} left out")
        state = state_read.result()
        log(
            f"{state.repo}: {len(state.tags)} tag(s) (from {state.tags_from}), "
            f"{len(state.releases)} release(s), {len(state.milestones)} milestone(s)"
        )
        reports = [check_basic(r, state, checks) for r in releases]
        if "provenance" in checks:
            _verify_all(
                reports,
                index.web,
                github,
                pool,
                log,
                verifier=verifier,
                attestation_verifier=attestation_verifier,
                workflow=options.workflow,
                releases_read="release" in checks,
            )
    reports.sort(key=lambda r: version_key(r.version), reverse=True)
    return AuditReport(
        options.project,
        state.repo,
        index.index_url,
        state.tags_from,
        options.verify,
        reports,
        checks,
        index_source=project.source,
        notes=list(project.notes),
        since=since.text if since else None,
        excluded=sorted(excluded, key=version_key, reverse=True),
    )


def _older(since: Since, releases: Sequence[IndexRelease], project: IndexProject) -> list[str]:
    """The versions --since leaves out; an InputError when there are no upload times to go by."""
    if since.date is not None:
        undated = [f for r in releases for f in r.files if not f.upload_time]
        if undated:
            raise InputError(
                MSG_SINCE_NO_TIMES.format(
                    value=since.text,
                    count=len(undated),
                    project=project.name,
                    notes="; ".join(project.notes) or "no upload-time",
                ),
                FIX_SINCE_NO_TIMES,
            )
    return [r.version for r in releases if since.excludes(r)]


def _verify_all(
    reports: list[VersionReport],
    web: WebClient,
    github: RepoSource,
    pool: ThreadPoolExecutor,
    log: Callable[[str], None],
    *,
    verifier: ProvenanceVerifier,
    attestation_verifier: AttestationVerifier,
    workflow: str,
    releases_read: bool,
) -> None:
    """Downloads, PEP 740 provenance and release evidence, in parallel; no failure stops the rest."""
    todo = [r for r in reports if not r.yanked]
    files = [(r, f) for r in todo for f in r.files if f.sha256]
    attested = [(r, f, f.provenance) for r in todo for f in r.files if f.provenance and f.sha256]
    log(
        f"downloading {len(files)} file(s) from the index to check their sha256"
        + (f", and the PEP 740 provenance of {len(attested)}" if attested else "")
    )
    fetched = pool.map(lambda item: download(web, item[1].url), files)
    provenance = pool.map(lambda item: read_pep740(item[1].filename, item[2], web), attested)
    downloads = {(r.version, f.filename): d for (r, f), d in zip(files, fetched, strict=True)}
    outcomes: dict[tuple[str, str], Provenance | ReleaseError] = {}

    def check_one(item: tuple[VersionReport, IndexFile, Provenance]) -> Provenance | ReleaseError:
        r, f, p = item
        if p.unreachable:
            return p
        try:
            attestation_verifier(p.data, f, github.repo_name, r.tag or "", workflow or p.workflow)
        except ReleaseError as exc:
            return exc
        return p

    read = [(r, f, p) for (r, f, _), p in zip(attested, provenance, strict=True)]
    for (r, f, _), outcome in zip(read, pool.map(check_one, read), strict=True):
        outcomes[(r.version, f.filename)] = outcome

    def attested_ok(r: VersionReport, f: IndexFile) -> bool:
        outcome = outcomes.get((r.version, f.filename))
        return isinstance(outcome, Provenance) and not outcome.unreachable

    headers = github.asset_headers()
    # Release evidence is read only where a file is not covered by verified attestations.
    with_release = [
        r
        for r in todo
        if r.release is not None and not all(attested_ok(r, f) for f in r.files if f.sha256)
    ]
    evidence = pool.map(
        lambda r: read_evidence(r.release, github.repo_name, web, headers, verifier),
        with_release,
    )
    by_version = dict(zip((r.version for r in with_release), evidence, strict=True))
    for r in todo:
        keys = [(r.version, f.filename) for f in r.files]
        r.checks["provenance"] = check_provenance(
            r,
            {name: downloads[(v, name)] for v, name in keys if (v, name) in downloads},
            by_version.get(r.version),
            {name: outcomes[(v, name)] for v, name in keys if (v, name) in outcomes},
            releases_read=releases_read,
        )


# -- rendering (the CLI prints these) ------------------------------------------------------

SYMBOLS = {OK: "✓", BROKEN: "✗", UNREACHABLE: "?", SKIPPED: "–"}  # noqa: RUF001 - the dash is meant
ASCII_SYMBOLS = {OK: "ok", BROKEN: "X", UNREACHABLE: "?", SKIPPED: "-"}
HEADERS = {
    "tag": "Tag",
    "release": "Release",
    "milestone": "Milestone",
    "assets": "Assets",
    "provenance": "Provenance",
}


def _note(v: VersionReport) -> str:
    notes = []
    if v.yanked:
        notes.append(f"yanked: {v.yanked_reason}" if v.yanked_reason else "yanked")
    if v.prerelease:
        notes.append("pre-release")
    if v.release is not None and v.release.draft:
        notes.append("draft")
    if v.unreachable:
        notes.append("unreachable")
    if any(f.provenance for f in v.files):
        notes.append("PEP 740")
    return ", ".join(notes)


def _cells(report: AuditReport, symbols: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    header = ["Version"] + [HEADERS[c] for c in report.checks] + ["Note"]
    rows = []
    for v in report.versions:
        cells = [
            symbols[v.checks[c].status] if c in v.checks else symbols[SKIPPED]
            for c in report.checks
        ]
        rows.append([v.version, *cells, _note(v)])
    return header, rows


def render_table(report: AuditReport, *, ascii_only: bool = False) -> str:
    """The table of versions and checks, for a terminal."""
    header, rows = _cells(report, ASCII_SYMBOLS if ascii_only else SYMBOLS)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines) + "\n"


def render_broken(report: AuditReport) -> list[str]:
    """One line per broken promise: version, check, cause, fix."""
    return [f"{v.version} {c.name}: {c.detail}. Fix: {c.fix}" for v, c in report.broken]


def render_unreachable(report: AuditReport) -> list[str]:
    """One line per promise that could not be checked: version, check, what failed, fix."""
    return [f"{v.version} {c.name}: {c.detail}. Fix: {c.fix}" for v, c in report.unreachable]


def summary_counts(report: AuditReport) -> str:
    yanked = sum(1 for v in report.versions if v.yanked)
    broken_versions = sum(1 for v in report.versions if v.broken)
    unreachable_versions = sum(1 for v in report.versions if v.unreachable)
    text = (
        f"{len(report.versions)} version(s) of {report.project} audited against {report.repo}: "
        f"{broken_versions} with broken promises ({len(report.broken)} in all), "
        f"{unreachable_versions} not fully checked (unreachable), {yanked} yanked"
    )
    if report.since is not None:
        text += f"; {len(report.excluded)} older than --since {report.since} left out"
    return text


def render_markdown(report: AuditReport, *, limit: int = 200) -> str:
    """The job summary: counts, the table (newest first, capped), then each broken promise."""
    from .markdown import details, table

    header, rows = _cells(report, SYMBOLS)
    mark = "❌" if report.broken else "⚠️" if report.unreachable else "✅"
    parts = [f"### {mark} Release audit of {report.project}", summary_counts(report) + "."]
    shown = rows[:limit]
    body = table(header, shown)
    if len(rows) > limit:
        body += f"\n\n{len(rows) - limit} older version(s) not shown; see the JSON report."
    parts.append(body)
    if report.broken:
        items = "\n".join(
            f"- **{v.version}** {c.name}: {c.detail}.<br>Fix: {c.fix}" for v, c in report.broken
        )
        parts.append(details(f"{len(report.broken)} broken promise(s)", items))
    if report.unreachable:
        items = "\n".join(
            f"- **{v.version}** {c.name}: {c.detail}.<br>Fix: {c.fix}"
            for v, c in report.unreachable
        )
        parts.append(details(f"{len(report.unreachable)} promise(s) not checked", items))
    if report.notes:
        items = "\n".join(f"- {n}" for n in report.notes)
        parts.append(details(f"How the index was read ({report.index_source})", items))
    if report.excluded:
        parts.append(
            details(
                f"{len(report.excluded)} version(s) older than --since {report.since}",
                ", ".join(report.excluded),
            )
        )
    return "\n\n".join(parts)
