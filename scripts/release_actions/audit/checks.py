"""The checks that need no download: tag, release page, milestone, the release's assets."""

from __future__ import annotations

from collections.abc import Sequence

from ..index_api import IndexRelease
from .model import BROKEN, OK, SKIPPED, Promise, Release, RepoState, VersionReport
from .repository import find_milestone, find_release, find_tag

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
            Promise("tag", OK, tag)
            if tag
            else Promise("tag", BROKEN, TAG_MISSING.format(v=v), TAG_FIX.format(v=v))
        )
    gh = find_release(state, v, tag)
    report.release = gh
    wanted_tag = tag or f"v{v}"
    if "release" in checks:
        if gh is None:
            cause = RELEASE_MISSING.format(tag=tag) if tag else RELEASE_MISSING_NO_TAG.format(v=v)
            report.checks["release"] = Promise(
                "release", BROKEN, cause, RELEASE_FIX.format(tag=wanted_tag)
            )
        elif gh.draft:
            report.checks["release"] = Promise(
                "release",
                BROKEN,
                RELEASE_DRAFT.format(tag=gh.tag),
                RELEASE_DRAFT_FIX.format(url=gh.url or gh.tag),
            )
        else:
            report.checks["release"] = Promise("release", OK, gh.url)
    if "milestone" in checks:
        m = find_milestone(state, v)
        if m is None:
            report.checks["milestone"] = Promise(
                "milestone", BROKEN, MILESTONE_MISSING.format(v=v), MILESTONE_FIX.format(v=v)
            )
        elif not m.closed:
            report.checks["milestone"] = Promise(
                "milestone",
                BROKEN,
                MILESTONE_OPEN.format(title=m.title),
                MILESTONE_OPEN_FIX.format(title=m.title, url=m.url or "on GitHub"),
            )
        else:
            report.checks["milestone"] = Promise("milestone", OK, m.title)
    if "assets" in checks:
        report.checks["assets"] = _check_assets(release, gh)
    return report


def _check_assets(release: IndexRelease, gh: Release | None) -> Promise:
    if gh is None:
        return Promise("assets", SKIPPED, "no release page")
    if not release.files:
        return Promise("assets", SKIPPED, "the index has no files for this version")
    names = {a.name: a for a in gh.assets}
    missing = [f.filename for f in release.files if f.filename not in names]
    if missing:
        shown = ", ".join(f"'{m}'" for m in missing)
        return Promise(
            "assets",
            BROKEN,
            ASSETS_MISSING.format(tag=gh.tag, files=shown),
            ASSETS_FIX.format(tag=gh.tag),
        )
    for f in release.files:
        asset = names[f.filename]
        if asset.digest and f.sha256 and asset.digest != f.sha256:
            return Promise(
                "assets",
                BROKEN,
                ASSET_DIFFERS.format(
                    name=f.filename, asset=_short(asset.digest), index=_short(f.sha256)
                ),
                ASSET_DIFFERS_FIX,
            )
    return Promise("assets", OK, f"{len(release.files)} file(s)")
