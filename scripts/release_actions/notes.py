"""A version's release notes: what a missing or still-unreleased change-log section means.

``changelog`` finds a change log and renders one section as GitHub Markdown;
this stage holds the rules around it, shared by the notes and release-page
commands and the rehearsal. A development version takes the section of the
version it leads to; a release whose section is still marked unreleased is
reported (or refused with ``require_released``); a release page without notes
falls back to GitHub's generated notes unless notes are required.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .reporter import Reporter

if TYPE_CHECKING:
    from packaging.version import Version

FIX_NOTES_PATH = (
    "Pass the change log's path as the CHANGELOG argument, or add a CHANGES.rst or CHANGES.md "
    "with a section per version."
)
FIX_UNRELEASED = "Replace 'Unreleased' with 'Released <date>' before tagging the release."
REQUIRE_NOTES = "set require-notes: true, or pass --require-notes,"


def is_dev(version: Version) -> bool:
    """A development or local version: never released as it is."""
    return version.is_devrelease or version.local is not None


def notes_for(
    version: Version, *, changelog: Path | None, project: Path, repo: str | None, server_url: str,
    require_released: bool, reporter: Reporter, fix: str = FIX_NOTES_PATH,
) -> tuple[str, Path]:  # fmt: skip
    """The Markdown notes of ``version`` and the change log they came from.

    Raises MissingNotesError when there is no change log or no section, so each
    caller decides what that means (the release page falls back to GitHub's notes).
    """
    from .changelog import extract, find_changelog
    from .errors import ChangelogError

    path = changelog or find_changelog(project, fix)
    notes = extract(path, version, repo=repo, server_url=server_url)
    if notes.chosen:
        reporter.info(f"{version} is a development version: using {notes.chosen} of {path.name}")
    # A development version is expected to be unreleased; a release is not.
    if notes.released is False and not is_dev(version):
        cause = f"{path.name}: the section for {version} is still marked unreleased."
        if require_released:
            raise ChangelogError(cause, FIX_UNRELEASED)
        reporter.warning(f"{cause} {FIX_UNRELEASED}", title="Unreleased change log section")
    return notes.markdown, path


@dataclass(frozen=True)
class ReleaseNotes:
    """A version's notes, and where they came from."""

    markdown: str
    changelog: Path | None  # None: the change log or its section is missing
    generate: bool = False  # no notes of ours: GitHub's generated notes take their place


def version_notes(
    version: Version, *, changelog: Path | None, project: Path, repo: str | None, server_url: str,
    require_released: bool, missing_ok: bool, reporter: Reporter,
) -> ReleaseNotes:  # fmt: skip
    """The notes command's rules around ``notes_for``.

    A development version (a pull request's build) is never released as it is:
    no section for it yet is a warning and empty notes. With ``missing_ok`` (a
    build job checking early) any other missing notes are a warning too, and the
    release page will fall back to GitHub's generated notes.
    """
    from .changelog import MissingNotesError, find_changelog

    try:
        markdown, path = notes_for(
            version, changelog=changelog, project=project, repo=repo, server_url=server_url,
            require_released=require_released, reporter=reporter,
        )  # fmt: skip
    except MissingNotesError as missing:
        if missing.missing == "section" and is_dev(version):
            reporter.warning(missing.message(), title="No change log section yet")
            return ReleaseNotes("", changelog or find_changelog(project))
        if not missing_ok:
            raise
        reporter.warning(
            f"{missing.message()} The release page will use GitHub's generated notes.",
            title="No release notes in the change log",
        )
        return ReleaseNotes("", None, generate=True)
    return ReleaseNotes(markdown, path)


def page_notes(
    version: Version, *, changelog: Path | None, project: Path, repo: str | None, server_url: str,
    require_notes: bool, reporter: Reporter, fix: str, require: str = REQUIRE_NOTES,
) -> ReleaseNotes:  # fmt: skip
    """The change log's notes for a release page, or GitHub's generated ones in their place.

    A missing change log or section does not stop the release (it still reaches
    PyPI): it is a warning, unless ``require_notes``. ``require`` says how to ask
    for the failure instead, in the caller's own terms.
    """
    from .changelog import MissingNotesError

    try:
        markdown, path = notes_for(
            version, changelog=changelog, project=project, repo=repo, server_url=server_url,
            require_released=False, reporter=reporter, fix=fix,
        )  # fmt: skip
    except MissingNotesError as missing:
        if require_notes:
            raise
        reporter.warning(
            f"{missing.cause} The release page uses GitHub's generated notes instead "
            f"({require} to fail here).",
            title="No release notes in the change log",
        )
        return ReleaseNotes("", None, generate=True)
    return ReleaseNotes(markdown, path)
