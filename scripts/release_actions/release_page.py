"""The GitHub release page of a tag: notes, milestone link, every asset.

Safe to re-run and to run twice at once:

- The release for the tag is found by *listing* releases, because GitHub's
  get-by-tag endpoint hides drafts. A new release is always created as a
  draft; after creating it we list again and converge on one release per tag
  (a published one if any, else the oldest draft), deleting only a draft this
  run created.
- Assets are uploaded when missing, skipped when an asset of that name has
  the same size and sha256 (GitHub's ``digest``; the bytes are downloaded and
  hashed when an older asset has none), replaced only with ``overwrite``.
  Uploads run in parallel, each worker with its own client (PyGithub's
  requester keeps per-request state on a shared connection object, so one
  client must not be used from several threads), and are retried with
  exponential backoff on 5xx answers and connection resets; a half-made
  ``starter`` asset a failed upload left behind is deleted first.
- Publishing is the last write, so a repository with immutable releases
  never sees an asset added after the release is locked.

The token never appears in a message: errors quote GitHub's message, never
request headers.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import requests
from github import GithubException
from github.GithubObject import NotSet
from github.GitRelease import GitRelease
from github.GitReleaseAsset import GitReleaseAsset
from github.Repository import Repository
from packaging.version import Version

from .errors import NetworkError, ReleaseError, ReleasePageError
from .github import (
    FIX_CONTENTS,
    Client,
    ClientSettings,
    Target,
    canonical,
    describe,
    find_milestone,
    is_code,
    message,
    rate_limit_wait,
    releases_for_tag,
    transient,
    wrap,
)
from .hashing import Subject
from .markdown import code, link, table
from .retry import GiveUp, Retries

Log = Callable[[str], None]


@dataclass(frozen=True)
class Request:
    tag: str
    version: Version
    name: str
    notes: str
    draft: bool = True
    prerelease: bool = False
    files: Sequence[Subject] = ()
    overwrite: bool = False
    close_milestone: bool = False
    # No notes of our own: ask GitHub to generate them (kept if the release already has a body).
    generate_notes: bool = False
    target_commitish: str = ""  # where the tag will point, for generating notes before it exists
    # Replace differing assets on a draft (a rehearsal's own draft), never on a published release.
    overwrite_drafts: bool = False
    # The hash action's subjects: the files are checked against them before any is attached.
    subjects: Sequence[Subject] | None = None


def check_files(request: Request, repo: str | None) -> None:
    """The integrity gate, before anything is attached or previewed (publish has its own).

    Distributions must be the subjects; SHA256SUMS and attestations are attached
    only when they are what their names claim.
    """
    if request.subjects is None:
        return
    from .hashing import is_sidecar, match_files
    from .sidecars import check_sidecars

    match_files(request.subjects, [f for f in request.files if not is_sidecar(f.name)])
    check_sidecars(request.files, request.subjects, repo)


@dataclass(frozen=True)
class MilestoneInfo:
    title: str
    number: int
    html_url: str
    state: str


@dataclass
class Result:
    id: int
    url: str
    html_url: str
    upload_url: str
    draft: bool
    prerelease: bool
    created: bool
    body: str
    milestone: MilestoneInfo | None = None
    milestone_closed: bool = False
    assets: dict[str, str] = field(default_factory=dict)  # name → uploaded|unchanged|replaced
    deleted_duplicates: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes_source: str = "given"  # given | generated (by GitHub) | kept (the release's own body)


# -- messages ---------------------------------------------------------------------------

FIX_ISSUES = (
    "Give the job 'permissions: issues: write' to close milestones, or drop --close-milestone."
)


def _is_immutable_refusal(exc: GithubException) -> bool:
    data = exc.data if isinstance(exc.data, dict) else {}
    return exc.status == 422 and "immutable" in str(data.get("message", "")).lower()


# -- the body ---------------------------------------------------------------------------------


def compose_body(notes: str, milestone: MilestoneInfo | None) -> str:
    parts = [notes.strip()] if notes.strip() else []
    if milestone is not None:
        parts.append(
            f"**Milestone:** {link(milestone.title, milestone.html_url + '?closed=1')} "
            "lists the issues and pull requests of this release."
        )
    return "\n\n".join(parts) + "\n" if parts else ""


# -- assets --------------------------------------------------------------------------------------


def content_type(name: str) -> str:
    if name.endswith(".whl"):
        return "application/zip"
    if name.endswith((".jsonl", ".attestation", ".sigstore", ".sigstore.json")):
        return "application/json"
    if name in ("SHA256SUMS", "SHA256SUMS.txt"):
        return "text/plain"
    guessed, encoding = mimetypes.guess_type(name)
    if encoding == "gzip":
        return "application/gzip"
    return guessed or "application/octet-stream"


def _asset_sha256(asset: GitReleaseAsset) -> str:
    digest = asset.digest
    if digest and digest.startswith("sha256:"):
        return digest.removeprefix("sha256:").lower()
    # Assets uploaded before GitHub recorded digests: hash the bytes.
    h = hashlib.sha256()
    _, _, chunks = asset.download_asset(chunk_size=1 << 20)
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def same_content(asset: GitReleaseAsset, subject: Subject) -> bool:
    if asset.state != "uploaded" or asset.size != subject.size:
        return False
    return _asset_sha256(asset) == subject.sha256


def plan_assets(
    assets: Sequence[GitReleaseAsset], files: Sequence[Subject], overwrite: bool
) -> tuple[list[Subject], list[tuple[Subject, GitReleaseAsset]], list[str]]:
    """(to upload, to replace, unchanged names); a different asset without overwrite fails."""
    by_name = {a.name: a for a in assets}
    upload: list[Subject] = []
    replace_: list[tuple[Subject, GitReleaseAsset]] = []
    same: list[str] = []
    conflicts: list[str] = []
    for subject in files:
        asset = by_name.get(subject.name)
        if asset is None or asset.state != "uploaded":
            upload.append(subject)  # a leftover 'starter' asset is cleaned up by the upload
        elif same_content(asset, subject):
            same.append(subject.name)
        elif overwrite:
            replace_.append((subject, asset))
        else:
            conflicts.append(subject.name)
    if conflicts:
        raise ReleasePageError(
            f"The release already has {_names(conflicts)} with different content.",
            "Releases must not change silently: check why the file differs, then re-run with "
            "--overwrite (overwrite: true) to replace it.",
        )
    return upload, replace_, same


def _names(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return f"an asset {quoted[0]}"
    return "assets " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


class _Uploader:
    def __init__(self, client: Client, release_id: int, overwrite: bool, log: Log) -> None:
        self.client = client
        self.release_id = release_id
        self.overwrite = overwrite
        self.log = log

    def _find(self, release: GitRelease, name: str) -> GitReleaseAsset | None:
        return next((a for a in release.get_assets() if a.name == name), None)

    def upload(self, subject: Subject, replacing: GitReleaseAsset | None = None) -> str:
        settings = self.client.settings
        repo_name = self.client.target.repo
        assert subject.path is not None
        try:
            release = self.client.release(self.release_id)
            if replacing is not None:
                self._delete(release, subject.name)
        except (GithubException, requests.RequestException) as exc:
            raise wrap(exc, f"preparing the upload of '{subject.name}'", repo_name) from None
        failed_before = False
        retries = Retries(settings.policy)
        while True:
            try:
                release.upload_asset(
                    str(subject.path), content_type=content_type(subject.name), name=subject.name
                )
                return "replaced" if replacing is not None else "uploaded"
            except (GithubException, requests.RequestException, ConnectionError) as exc:
                outcome = self._after_failure(release, subject, exc, failed_before)
                if outcome is not None:
                    return outcome
                failed_before = True
                try:
                    pause = retries.next(rate_limit_wait(exc))
                except GiveUp:
                    raise wrap(exc, f"uploading '{subject.name}'", repo_name) from None
                self.log(
                    f"upload of {subject.name} failed ({describe(exc)}); retry {retries.made - 1} "
                    f"of {settings.policy.attempts - 1} in {pause:.1f} s"
                )
                retries.sleep(pause)

    def _delete(self, release: GitRelease, name: str) -> None:
        asset = self._find(release, name)
        if asset is not None:
            try:
                asset.delete_asset()
            except GithubException as exc:
                if exc.status != 404:  # already gone is what we wanted
                    raise

    def _after_failure(
        self, release: GitRelease, subject: Subject, exc: BaseException, failed_before: bool
    ) -> str | None:
        """Look at what a failed upload left; 'unchanged' when the asset is there after all."""
        repo_name = self.client.target.repo
        conflict = (
            isinstance(exc, GithubException)
            and exc.status == 422
            and is_code(exc, "already_exists")
        )
        immutable = isinstance(exc, GithubException) and _is_immutable_refusal(exc)
        if not (conflict or immutable or transient(exc, self.client.settings.policy)):
            raise wrap(exc, f"uploading '{subject.name}'", repo_name) from None
        try:
            existing = self._find(release, subject.name)
            if existing is not None and existing.state == "uploaded":
                if same_content(existing, subject):
                    return "unchanged"  # another run (or the failed attempt) uploaded it
                if immutable:
                    raise _immutable_error([subject.name])
                if not self.overwrite:
                    raise ReleasePageError(
                        f"'{subject.name}' appeared on the release with different content while this run was uploading it.",
                        "Another run released a different file under this name; find out which one is right, "
                        "then re-run with --overwrite (overwrite: true) if it is this one.",
                    )
                existing.delete_asset()
            elif existing is not None:
                # A 'starter' asset: the remains of a failed upload (GitHub's advice: delete, retry).
                # Another run may be mid-upload; give it one backoff before taking over.
                if conflict and not failed_before:
                    return None
                existing.delete_asset()
            elif immutable:
                raise _immutable_error([subject.name])
        except (GithubException, requests.RequestException) as inner:
            raise wrap(inner, f"checking the upload of '{subject.name}'", repo_name) from None
        return None


def _immutable_error(names: Sequence[str]) -> ReleasePageError:
    return ReleasePageError(
        f"The release is published and immutable, so {_names(names)} can no longer be added or changed.",
        "Immutable releases lock their assets when published: publish a new version, or delete this "
        "release (the tag stays reserved) and release again as a draft first.",
    )


def published_release(target: Target, tag: str, settings: ClientSettings | None = None) -> str:
    """The web page of the published release of ``tag``, or "" when it has none."""
    client = Client(target, settings or ClientSettings())
    try:
        found = [r for r in releases_for_tag(client.repo(), tag) if not r.draft]
    except (GithubException, requests.RequestException) as exc:
        raise wrap(exc, "listing the releases", target.repo) from None
    finally:
        client.close()
    return found[0].html_url if found else ""


# -- the whole stage ---------------------------------------------------------------------------------


def make_release(
    target: Target,
    request: Request,
    *,
    settings: ClientSettings | None = None,
    log: Log = lambda _: None,
) -> Result:
    """Create or complete the release of ``request.tag``; see the module docstring."""
    check_files(request, target.repo)
    client = Client(target, settings or ClientSettings())
    try:
        return _make_release(client, request, log)
    except (ValueError, RecursionError):
        # PyGithub parses every answer as JSON: an HTML page from a proxy, or
        # garbage, surfaces here rather than as a GithubException.
        raise NetworkError(
            f"The GitHub API at {target.api_url} answered with something that is not JSON.",
            "Check GITHUB_API_URL (on GitHub Enterprise Server it ends in /api/v3); re-run the job: "
            "it picks up where this one stopped.",
        ) from None
    finally:
        client.close()


def _make_release(client: Client, request: Request, log: Log) -> Result:
    repo_name = client.target.repo
    doing = "reading the repository"
    try:
        repo = client.repo()
        doing = "looking for the milestone"
        milestone = find_milestone(repo, request.version)
        doing = "listing the releases"
        existing = releases_for_tag(repo, request.tag)
    except (GithubException, requests.RequestException) as exc:
        raise wrap(exc, doing, repo_name) from None

    info = (
        MilestoneInfo(milestone.title, milestone.number, milestone.html_url, milestone.state)
        if milestone is not None
        else None
    )
    result_warnings: list[str] = []
    if info is None:
        result_warnings.append(
            f"No milestone titled {request.version} (or v{request.version}) in {repo_name}; "
            "the release body has no milestone link."
        )

    release: GitRelease | None = canonical(existing) if existing else None
    notes_source = "given"
    notes = request.notes
    if request.generate_notes:
        if release is not None and (release.body or "").strip():
            # An earlier run generated them, or a maintainer edited the draft: keep that.
            notes_source = "kept"
        else:
            notes_source = "generated"
            notes, problem = _generated_notes(repo, request, repo_name)
            if problem:
                result_warnings.append(problem)
    if notes_source == "kept" and release is not None:
        body = release.body or ""
    else:
        body = compose_body(notes, info)
    if request.overwrite_drafts and release is not None and release.draft:
        request = replace(request, overwrite=True)
    created = False
    deleted: list[int] = []
    plan: tuple[list[Subject], list[tuple[Subject, GitReleaseAsset]], list[str]] | None = None
    planned_for = None

    # Before any write: conflicting assets, and a published immutable release
    # that cannot take new ones, fail the run with nothing changed.
    if release is not None:
        try:
            plan = plan_assets(list(release.get_assets()), request.files, request.overwrite)
            planned_for = release.id
        except (GithubException, requests.RequestException) as exc:
            raise wrap(exc, "reading the release's assets", repo_name) from None
        if not release.draft and release.immutable and (plan[0] or plan[1]):
            raise _immutable_error([s.name for s in plan[0]] + [s.name for s, _ in plan[1]])

    try:
        if release is None:
            doing = "creating the draft release"
            release, created = _create(client, repo, request, body, log)
            doing = "checking for a concurrent run"
            all_for_tag = releases_for_tag(repo, request.tag)
            winner = canonical(all_for_tag) if all_for_tag else release
            if winner.id != release.id:
                log(f"another run created release {winner.id} for {request.tag} first; using it")
                if created and release.draft:
                    release.delete_release()
                    deleted.append(release.id)
                created = False
                release = winner
        doing = "updating the release"
        release = _update(release, request, body)
        if len(existing) > 1:
            others = ", ".join(str(r.id) for r in existing if r.id != release.id)
            result_warnings.append(
                f"{request.tag} has other draft releases ({others}); this run used {release.id}. "
                "Delete the extra drafts on the releases page."
            )
        if plan is None or planned_for != release.id:
            doing = "reading the release's assets"
            plan = plan_assets(list(release.get_assets()), request.files, request.overwrite)
        upload, replacing, same = plan
    except ReleaseError:
        raise
    except (GithubException, requests.RequestException) as exc:
        raise wrap(exc, doing, repo_name) from None

    if not release.draft and release.immutable and (upload or replacing):
        raise _immutable_error([s.name for s in upload] + [s.name for s, _ in replacing])

    outcome: dict[str, str] = dict.fromkeys(same, "unchanged")
    jobs: list[tuple[Subject, GitReleaseAsset | None]] = [(s, None) for s in upload]
    jobs += [(s, a) for s, a in replacing]
    if jobs:
        uploader = _Uploader(client, release.id, request.overwrite, log)
        workers = max(1, min(client.settings.upload_workers, len(jobs)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {s.name: pool.submit(uploader.upload, s, a) for s, a in jobs}
            errors: list[ReleaseError] = []
            for name, future in futures.items():
                try:
                    outcome[name] = future.result()
                    log(f"{outcome[name]}: {name}")
                except ReleaseError as error:
                    errors.append(error)
            if errors:
                raise errors[0]

    try:
        if release.draft and not request.draft:
            doing = "publishing the release"
            release = _patch(release, {"draft": False})
            log(f"published {request.tag}")
        closed = False
        if request.close_milestone and milestone is not None and milestone.state == "open":
            doing = "closing the milestone"
            milestone.edit(milestone.title, state="closed")
            closed = True
            log(f"closed milestone {milestone.title}")
    except GithubException as exc:
        if (
            doing == "publishing the release"
            and exc.status == 422
            and is_code(exc, "already_exists")
        ):
            raise ReleasePageError(
                f"Another release for {request.tag} was published while this run worked on release {release.id}.",
                "Keep one of them: delete the draft this run left on the releases page.",
            ) from None
        fix = FIX_ISSUES if doing == "closing the milestone" else FIX_CONTENTS
        raise wrap(exc, doing, repo_name, fix_403=fix) from None
    except requests.RequestException as exc:
        raise wrap(exc, doing, repo_name) from None

    return Result(
        id=release.id,
        url=release.url,
        html_url=release.html_url,
        upload_url=release.upload_url,
        draft=release.draft,
        prerelease=release.prerelease,
        created=created,
        body=body,
        milestone=replace(info, state="closed") if info and closed else info,
        milestone_closed=closed,
        assets={s.name: outcome.get(s.name, "unchanged") for s in request.files},
        deleted_duplicates=deleted,
        warnings=result_warnings,
        notes_source=notes_source,
    )


def _generated_notes(repo: Repository, request: Request, repo_name: str) -> tuple[str, str]:
    """GitHub's generated notes for the tag, and a warning when GitHub could not make them."""
    target = request.target_commitish or NotSet
    try:
        generated = repo.generate_release_notes(request.tag, target_commitish=target)
    except GithubException as exc:
        if exc.status in (404, 422):
            return "", (
                f"GitHub could not generate notes for {request.tag} ({message(exc)}); "
                "the release has no notes: write them on the release page."
            )
        raise wrap(exc, "generating the release notes", repo_name) from None
    except requests.RequestException as exc:
        raise wrap(exc, "generating the release notes", repo_name) from None
    return generated.body or "", ""


def _create(
    client: Client, repo: Repository, request: Request, body: str, log: Log
) -> tuple[GitRelease, bool]:
    settings = client.settings
    retries = Retries(settings.policy)
    while True:
        try:
            # Always a draft first: assets go up before anything is published.
            release = repo.create_git_release(
                request.tag, name=request.name, message=body, draft=True,
                prerelease=request.prerelease, make_latest="legacy",
            )  # fmt: skip
            log(f"created draft release {release.id} for {request.tag}")
            return release, True
        except (GithubException, requests.RequestException) as exc:
            if not transient(exc, settings.policy):
                raise
            try:
                pause = retries.next(rate_limit_wait(exc))
            except GiveUp:
                raise exc from None
            # The failed attempt may have created it after all: the re-list that follows converges.
            found = releases_for_tag(repo, request.tag)
            if found:  # not provably ours, so never deleted by this run
                return canonical(found), False
            log(f"creating the release failed ({describe(exc)}); retry in {pause:.1f} s")
            retries.sleep(pause)


def _patch(release: GitRelease, fields: dict[str, Any]) -> GitRelease:
    """PATCH only the given fields (PyGithub's update_release always sends draft=…,
    which could turn a release another run just published back into a draft)."""
    headers, data = release.requester.requestJsonAndCheck("PATCH", release.url, input=fields)
    return GitRelease(release.requester, headers, data, completed=True)


def _update(release: GitRelease, request: Request, body: str) -> GitRelease:
    wanted: dict[str, Any] = {"name": request.name, "body": body, "prerelease": request.prerelease}
    current = {"name": release.name, "body": release.body or "", "prerelease": release.prerelease}
    changes = {k: v for k, v in wanted.items() if current[k] != v}
    return _patch(release, changes) if changes else release


# -- without a token: the page as Markdown -------------------------------------------------------


def render_preview(request: Request, repo: str | None) -> str:
    """The release page as it would be made, for local rehearsal without a token."""
    check_files(request, repo)
    flags = ["draft" if request.draft else "published"]
    if request.prerelease:
        flags.append("prerelease")
    lines = [
        f"# {request.name}",
        "",
        f"Tag {code(request.tag)} in {repo or '(repository not set)'} · {' · '.join(flags)}",
        "",
        "The milestone link is added when the page is made on GitHub (it needs the API).",
        "",
    ]
    if request.generate_notes:
        notes = "_No notes in the change log: GitHub's generated notes go here when the page is made on GitHub._"
    else:
        notes = request.notes.strip() or "_No release notes._"
    lines += [notes, ""]
    if request.files:
        rows = [[code(s.name), str(s.size), code(s.sha256)] for s in request.files]
        lines += ["## Assets", "", table(["File", "Size", "SHA-256"], rows), ""]
    return "\n".join(lines)
