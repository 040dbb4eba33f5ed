"""Check, after the fact, that the release policy holds for every version on the index.

The promises, per version on the package index: a git tag names it (with or
without a leading ``v``), a GitHub release page exists for that tag and is
published, a milestone named after the version exists and is closed, and the
release page carries every file the index has. With ``verify``, every file is
downloaded from the index, its sha256 must equal the index's own digest, and
that digest must be a subject of the release's provenance
(``multiple.intoto.jsonl``, verified) or of its ``SHA256SUMS``.

Yanked versions are reported as yanked and not checked. Reading is parallel
(a bounded thread pool), paginated and retried; see ``webclient``.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from packaging.version import InvalidVersion, Version

from .errors import (
    AuditError,
    CredentialError,
    NetworkError,
    ReleaseError,
    SubjectsError,
    VerificationError,
)
from .hashing import parse_subjects
from .index_api import IndexClient, IndexFile, IndexRelease, version_key
from .versions import names_version
from .webclient import WebClient

OK, BROKEN, SKIPPED = "ok", "broken", "skipped"
CHECKS = ("tag", "release", "milestone", "assets", "provenance")
PROVENANCE_NAME = "multiple.intoto.jsonl"
SUMS_NAMES = ("SHA256SUMS", "SHA256SUMS.txt")
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_JOBS = 8

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
DOWNLOAD_FAILED = "downloading '{name}' from the index answered HTTP {status}"
DOWNLOAD_FAILED_FIX = "Check that {url} is reachable from here, then run the audit again."
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
FIX_GITHUB = (
    "Run the audit again later; if it persists, check the API URL (--api-url / GITHUB_API_URL)."
)
MSG_GIT = "git could not list the tags of {path}: {cause}."
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
    status: str  # ok | broken | skipped
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
    def status(self) -> str:
        if self.yanked:
            return "yanked"
        return BROKEN if self.broken else OK

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
            "files": [{"filename": f.filename, "sha256": f.sha256} for f in self.files],
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

    @property
    def broken(self) -> list[tuple[VersionReport, Check]]:
        return [(v, c) for v in self.versions for c in v.broken]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "repository": self.repo,
            "index": self.index_url,
            "tags_from": self.tags_from,
            "verified": self.verified,
            "checks": list(self.checks),
            "ok": not self.broken,
            "broken": len(self.broken),
            "versions": [v.to_json() for v in self.versions],
        }


# -- reading the repository ------------------------------------------------------------


def _git(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=False
    )


def git_checkout(path: Path) -> bool:
    """True when ``path`` is inside a complete (not shallow) git work tree."""
    try:
        inside = _git(path, "rev-parse", "--is-inside-work-tree")
    except OSError:
        return False
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return False
    shallow = _git(path, "rev-parse", "--is-shallow-repository")
    return shallow.returncode == 0 and shallow.stdout.strip() == "false"


def git_origin_repo(path: Path) -> str | None:
    """OWNER/REPO of the checkout's ``origin`` remote on a GitHub-style host."""
    try:
        result = _git(path, "remote", "get-url", "origin")
    except OSError:
        return None
    url = result.stdout.strip()
    if result.returncode != 0 or not url:
        return None
    tail = url.rsplit(":", 1)[-1] if "://" not in url else url.split("://", 1)[1].split("/", 1)[-1]
    parts = tail.removesuffix(".git").strip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else None


def git_tags(path: Path) -> frozenset[str]:
    try:
        result = _git(path, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags")
    except OSError as exc:
        raise AuditError(MSG_GIT.format(path=path, cause=exc.strerror), FIX_GIT) from None
    if result.returncode != 0:
        raise AuditError(MSG_GIT.format(path=path, cause=result.stderr.strip()), FIX_GIT)
    return frozenset(line for line in result.stdout.splitlines() if line)


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
        attempts: int = 5,
        seconds_between_requests: float = 0.25,
    ) -> None:
        self.repo_name = repo
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.attempts = attempts
        self.seconds_between_requests = seconds_between_requests
        self._repo: Any = None
        self._lock = threading.Lock()

    def _wrap(self, exc: Exception) -> ReleaseError:
        from github import GithubException

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
        from github import Auth, Github, GithubRetry

        with self._lock:
            if self._repo is None:
                client = Github(
                    base_url=self.api_url,
                    auth=Auth.Token(self.token) if self.token else None,
                    per_page=100,
                    retry=GithubRetry(total=self.attempts, backoff_factor=0.5),
                    seconds_between_requests=self.seconds_between_requests,
                    user_agent="release-actions-audit",
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
        origin = git_origin_repo(where) if git_checkout(where) else None
        same = origin is not None and origin.lower() == github.repo_name.lower()
        tags_from = "git" if same else "github"
    tags: frozenset[str] = frozenset()
    if "tag" in need or "release" in need:
        tags = git_tags(where) if tags_from == "git" else github.tags()
    needs_releases = {"release", "assets", "provenance"} & set(need)
    releases = github.releases() if needs_releases else ()
    milestones = github.milestones() if "milestone" in need else ()
    return RepoState(github.repo_name, tags, tags_from, releases, milestones)


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
    undecided = [
        c for c in report.checks if c.status not in ("pass", "waived") and c.name != "subjects"
    ]
    if undecided:
        raise VerificationError(
            f"{PROVENANCE_NAME} of {repo}@{tag} is not verified: "
            + "; ".join(f"{c.name}: {c.detail}" for c in undecided),
            f"Check it with 'release-actions verify --provenance {PROVENANCE_NAME} --source-uri github.com/{repo} "
            f"--source-tag {tag} FILES…'; re-attest the release if its provenance is wrong.",
        )
    return report.verified_digests()


@dataclass(frozen=True)
class Evidence:
    source: str  # asset name
    digests: frozenset[str] = frozenset()
    error: ReleaseError | None = None


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
    response = web.get(chosen.url, headers=headers)
    if response.status != 200:
        return Evidence(
            chosen.name,
            error=NetworkError(
                f"downloading it answered HTTP {response.status}",
                f"Check that the token can read the release assets of {repo}.",
            ),
        )
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


def check_provenance(
    report: VersionReport,
    downloads: dict[str, tuple[int, str, int]],
    evidence: Evidence | None,
) -> Check:
    v = report.version
    problems: list[tuple[str, str]] = []
    for f in report.files:
        if not f.sha256:
            problems.append((INDEX_NO_DIGEST.format(name=f.filename), INDEX_NO_DIGEST_FIX))
            continue
        status, got, _size = downloads[f.filename]
        if status != 200:
            problems.append(
                (
                    DOWNLOAD_FAILED.format(name=f.filename, status=status),
                    DOWNLOAD_FAILED_FIX.format(url=f.url),
                )
            )
        elif got != f.sha256:
            problems.append(
                (
                    INDEX_DIGEST_MISMATCH.format(name=f.filename, got=got, want=f.sha256),
                    INDEX_DIGEST_MISMATCH_FIX,
                )
            )
    gh = report.release
    if gh is None:
        if problems:
            return Check("provenance", BROKEN, "; ".join(p for p, _ in problems), problems[0][1])
        return Check("provenance", SKIPPED, "no release page")
    if evidence is None:
        problems.append(
            (
                NO_EVIDENCE.format(tag=gh.tag, prov=PROVENANCE_NAME),
                NO_EVIDENCE_FIX.format(tag=gh.tag),
            )
        )
    elif evidence.error is not None:
        problems.append(
            (
                EVIDENCE_UNREADABLE.format(
                    source=evidence.source, tag=gh.tag, cause=evidence.error.cause.rstrip(".")
                ),
                evidence.error.fix,
            )
        )
    else:
        for f in report.files:
            if f.sha256 and f.sha256 not in evidence.digests:
                problems.append(
                    (
                        NOT_A_SUBJECT.format(
                            name=f.filename, digest=f.sha256, source=evidence.source, tag=gh.tag
                        ),
                        NOT_A_SUBJECT_FIX.format(v=v),
                    )
                )
    if problems:
        fixes = list(dict.fromkeys(fix for _, fix in problems if fix))
        return Check("provenance", BROKEN, "; ".join(p for p, _ in problems), " ".join(fixes))
    source = evidence.source if evidence else ""
    return Check("provenance", OK, f"{len(report.files)} file(s) match {source}")


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


def audit(
    options: AuditOptions,
    index: IndexClient,
    github: RepoSource,
    *,
    verifier: ProvenanceVerifier = verify_provenance,
    log: Callable[[str], None] = lambda _: None,
) -> AuditReport:
    checks = tuple(
        c for c in CHECKS if c not in options.skip and (c != "provenance" or options.verify)
    )
    versions = list(options.versions) if options.versions else index.versions(options.project)
    log(f"{options.project}: {len(versions)} version(s) on {index.index_url}")
    jobs = max(1, options.jobs)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        state_future = pool.submit(
            read_repo_state,
            github,
            tags_from=options.tags_from,
            checkout=options.checkout,
            need=checks,
        )
        releases = list(pool.map(lambda v: index.release(options.project, v), versions))
        state = state_future.result()
        log(
            f"{state.repo}: {len(state.tags)} tag(s) (from {state.tags_from}), "
            f"{len(state.releases)} release(s), {len(state.milestones)} milestone(s)"
        )
        reports = [check_basic(r, state, checks) for r in releases]
        if "provenance" in checks:
            _verify_all(reports, index.web, github, verifier, pool, log)
    reports.sort(key=lambda r: version_key(r.version), reverse=True)
    return AuditReport(
        options.project,
        state.repo,
        index.index_url,
        state.tags_from,
        options.verify,
        reports,
        checks,
    )


def _verify_all(
    reports: list[VersionReport],
    web: WebClient,
    github: RepoSource,
    verifier: ProvenanceVerifier,
    pool: ThreadPoolExecutor,
    log: Callable[[str], None],
) -> None:
    todo = [r for r in reports if not r.yanked]
    files = [(r, f) for r in todo for f in r.files if f.sha256]
    log(f"downloading {len(files)} file(s) from the index to check their sha256")
    digests = pool.map(lambda item: web.sha256(item[1].url), files)
    downloads: dict[tuple[str, str], tuple[int, str, int]] = {
        (r.version, f.filename): d for (r, f), d in zip(files, digests, strict=True)
    }
    headers = github.asset_headers()
    with_release = [r for r in todo if r.release is not None]
    evidence = pool.map(
        lambda r: read_evidence(r.release, github.repo_name, web, headers, verifier),
        with_release,
    )
    by_version = dict(zip((r.version for r in with_release), evidence, strict=True))
    for r in todo:
        mine = {f.filename: downloads.get((r.version, f.filename), (0, "", 0)) for f in r.files}
        r.checks["provenance"] = check_provenance(r, mine, by_version.get(r.version))


# -- rendering (the CLI prints these) ------------------------------------------------------

SYMBOLS = {OK: "✓", BROKEN: "✗", SKIPPED: "–"}  # noqa: RUF001 - the dash is meant
ASCII_SYMBOLS = {OK: "ok", BROKEN: "X", SKIPPED: "-"}
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


def summary_counts(report: AuditReport) -> str:
    yanked = sum(1 for v in report.versions if v.yanked)
    broken_versions = sum(1 for v in report.versions if v.broken)
    return (
        f"{len(report.versions)} version(s) of {report.project} audited against {report.repo}: "
        f"{broken_versions} with broken promises ({len(report.broken)} in all), {yanked} yanked"
    )


def render_markdown(report: AuditReport, *, limit: int = 200) -> str:
    """The job summary: counts, the table (newest first, capped), then each broken promise."""
    from .gha import details, table

    header, rows = _cells(report, SYMBOLS)
    mark = "✅" if not report.broken else "❌"
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
    return "\n\n".join(parts)
