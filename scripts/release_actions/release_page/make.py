"""``make_release``: create or complete the release of a tag, one named step at a time.

Each request to GitHub runs inside ``step("what it does")``: a refusal or a
transport error there becomes one of our errors naming that step (and, for a
403, the permission it needs). See the package docstring for the guarantees:
draft first, one release per tag, assets before publishing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import requests
from github import GithubException
from github.GithubObject import NotSet
from github.GitRelease import GitRelease
from github.Milestone import Milestone
from github.Repository import Repository

from ..errors import NetworkError, ReleasePageError
from ..github import (
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
from ..reporter import Reporter, Silent
from ..retry import GiveUp, Retries
from .assets import Plan, plan_assets, upload_all
from .model import MilestoneInfo, NotesSource, Request, Result, check_files, compose_body

FIX_ISSUES = (
    "Give the job 'permissions: issues: write' to close milestones, or drop --close-milestone."
)
WARNING_TITLE = "Release page"


@contextmanager
def step(doing: str, repo: str, *, fix_403: str = FIX_CONTENTS) -> Iterator[None]:
    """Name what the requests inside are for: a failure becomes our error, saying so."""
    try:
        yield
    except (GithubException, requests.RequestException) as exc:
        raise wrap(exc, doing, repo, fix_403=fix_403) from None


def make_release(
    target: Target,
    request: Request,
    *,
    settings: ClientSettings | None = None,
    reporter: Reporter | None = None,
) -> Result:
    """Create or complete the release of ``request.tag``; see the package docstring."""
    check_files(request, target.repo, target.host)
    client = Client(target, settings or ClientSettings())
    try:
        return _make_release(client, request, reporter or Silent())
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


def published_release(target: Target, tag: str, settings: ClientSettings | None = None) -> str:
    """The web page of the published release of ``tag``, or "" when it has none."""
    client = Client(target, settings or ClientSettings())
    try:
        with step("listing the releases", target.repo):
            found = [r for r in releases_for_tag(client.repo(), tag) if not r.draft]
    finally:
        client.close()
    return found[0].html_url if found else ""


def _make_release(client: Client, request: Request, reporter: Reporter) -> Result:
    repo_name = client.target.repo
    with step("reading the repository", repo_name):
        repo = client.repo()
    with step("looking for the milestone", repo_name):
        milestone = find_milestone(repo, request.version)
    with step("listing the releases", repo_name):
        existing = releases_for_tag(repo, request.tag)
    info = _milestone_info(milestone)
    if info is None:
        reporter.warning(
            f"No milestone titled {request.version} (or v{request.version}) in {repo_name}; "
            "the release body has no milestone link.",
            title=WARNING_TITLE,
        )
    release: GitRelease | None = canonical(existing) if existing else None
    notes_source, body = _body(repo, release, request, info, repo_name, reporter)
    if request.overwrite_drafts and release is not None and release.draft:
        request = replace(request, overwrite=True)

    # Before any write: conflicting assets, and a published immutable release
    # that cannot take new ones, fail the run with nothing changed.
    plan: Plan | None = None
    if release is not None:
        with step("reading the release's assets", repo_name):
            plan = plan_assets(release, request.files, request.overwrite)
        plan.check_open(release)

    created, deleted = False, []
    if release is None:
        with step("creating the draft release", repo_name):
            release, created = _create(client, repo, request, body, reporter)
        with step("checking for a concurrent run", repo_name):
            winner = canonical(releases_for_tag(repo, request.tag) or [release])
        if winner.id != release.id:
            reporter.info(
                f"another run created release {winner.id} for {request.tag} first; using it"
            )
            if created and release.draft:
                with step("checking for a concurrent run", repo_name):
                    release.delete_release()
                deleted.append(release.id)
            created, release = False, winner
    with step("updating the release", repo_name):
        release = _update(release, request, body)
    if len(existing) > 1:
        others = ", ".join(str(r.id) for r in existing if r.id != release.id)
        reporter.warning(
            f"{request.tag} has other draft releases ({others}); this run used {release.id}. "
            "Delete the extra drafts on the releases page.",
            title=WARNING_TITLE,
        )
    if plan is None or plan.release_id != release.id:
        with step("reading the release's assets", repo_name):
            plan = plan_assets(release, request.files, request.overwrite)
    plan.check_open(release)
    outcome = upload_all(client, plan, request.overwrite, reporter)

    if release.draft and not request.draft:
        with step("publishing the release", repo_name):
            release = _publish(release, request)
        reporter.info(f"published {request.tag}")
    closed = False
    if request.close_milestone and milestone is not None and milestone.state == "open":
        with step("closing the milestone", repo_name, fix_403=FIX_ISSUES):
            milestone.edit(milestone.title, state="closed")
        closed = True
        reporter.info(f"closed milestone {milestone.title}")

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
        notes_source=notes_source,
    )


def _milestone_info(milestone: Milestone | None) -> MilestoneInfo | None:
    if milestone is None:
        return None
    return MilestoneInfo(milestone.title, milestone.number, milestone.html_url, milestone.state)


def _body(
    repo: Repository, release: GitRelease | None, request: Request, info: MilestoneInfo | None,
    repo_name: str, reporter: Reporter,
) -> tuple[NotesSource, str]:  # fmt: skip
    """Where the notes come from, and the body the release gets."""
    if not request.generate_notes:
        return "given", compose_body(request.notes, info)
    if release is not None and (release.body or "").strip():
        # An earlier run generated them, or a maintainer edited the draft: keep that.
        return "kept", release.body or ""
    return "generated", compose_body(_generated_notes(repo, request, repo_name, reporter), info)


def _generated_notes(repo: Repository, request: Request, repo_name: str, reporter: Reporter) -> str:
    """GitHub's generated notes for the tag; "" and a warning when GitHub could not make them."""
    with step("generating the release notes", repo_name):
        try:
            generated = repo.generate_release_notes(
                request.tag, target_commitish=request.target_commitish or NotSet
            )
        except GithubException as exc:
            if exc.status not in (404, 422):
                raise
            reporter.warning(
                f"GitHub could not generate notes for {request.tag} ({message(exc)}); "
                "the release has no notes: write them on the release page.",
                title=WARNING_TITLE,
            )
            return ""
    return generated.body or ""


def _create(
    client: Client, repo: Repository, request: Request, body: str, reporter: Reporter
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
            reporter.info(f"created draft release {release.id} for {request.tag}")
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
            reporter.info(f"creating the release failed ({describe(exc)}); retry in {pause:.1f} s")
            retries.sleep(pause)


def _publish(release: GitRelease, request: Request) -> GitRelease:
    try:
        return _patch(release, {"draft": False})
    except GithubException as exc:
        if exc.status == 422 and is_code(exc, "already_exists"):
            raise ReleasePageError(
                f"Another release for {request.tag} was published while this run worked on release {release.id}.",
                "Keep one of them: delete the draft this run left on the releases page.",
            ) from None
        raise


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
