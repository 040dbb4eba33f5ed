"""release-actions notes: the change log's section for one version."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .. import gha
from ._shared import Parser, rel, repo_arg

if TYPE_CHECKING:
    from packaging.version import Version


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "notes",
        help="the change log's section for one version, as GitHub Markdown",
        description="Find the change log (CHANGES.*, CHANGELOG.*, NEWS.*, HISTORY.*, in the "
        "current directory or its docs/ or doc/ folder), extract the section of one version "
        "and print it as GitHub Markdown, with Sphinx roles such as :issue: and :pr: turned "
        "into links for the repository.",
    )
    p.add_argument("changelog", nargs="?", type=Path, metavar="CHANGELOG",
                   help="the change log (default: found in the current directory)")  # fmt: skip
    p.add_argument("--version", dest="notes_version", required=True, metavar="VERSION",
                   help="the version (or tag, v1.2.3) whose section to print; a development "
                   "version (3.2.0.dev0, 0.1.dev1+g1a2b3c4) takes the section of the version it "
                   "leads to, or the one marked unreleased")  # fmt: skip
    p.add_argument(
        "--repo", metavar="OWNER/REPO", help="repository for links (default: GITHUB_REPOSITORY)"
    )
    p.add_argument("--require-released", action="store_true",
                   help="fail when the section is still marked unreleased")  # fmt: skip
    p.add_argument("--output", type=Path, help="also write the Markdown to this file")
    p.set_defaults(handler=run)


FIX_NOTES_PATH = (
    "Pass the change log's path as the CHANGELOG argument, or add a CHANGES.rst or CHANGES.md "
    "with a section per version."
)


def notes_for(
    path: Path | None, version: str, repo: str | None, env: dict[str, str], require_released: bool,
    runner: gha.Runner, *, project: Path | None = None, fix: str = FIX_NOTES_PATH,
) -> tuple[str, Path]:  # fmt: skip
    """The Markdown notes of ``version`` and the change log they came from.

    Raises MissingNotesError when there is no change log or no section, so each
    command decides what that means (release-page falls back to GitHub's notes).
    """
    from ..changelog import DEFAULT_SERVER, extract, find_changelog
    from ..errors import ChangelogError
    from ..versions import version_from_tag

    wanted = version_from_tag(version)
    changelog = path or find_changelog(project or Path("."), fix)
    notes = extract(
        changelog, wanted, repo=repo, server_url=env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER
    )
    if notes.chosen:
        runner.info(f"{wanted} is a development version: using {notes.chosen} of {changelog.name}")
    # A development version is expected to be unreleased; a release is not.
    if notes.released is False and not _is_dev(wanted):
        cause = f"{changelog.name}: the section for {wanted} is still marked unreleased."
        fix = "Replace 'Unreleased' with 'Released <date>' before tagging the release."
        if require_released:
            raise ChangelogError(cause, fix)
        runner.warning(f"{cause} {fix}", title="Unreleased change log section")
    return notes.markdown, changelog


def _is_dev(version: Version) -> bool:
    return version.is_devrelease or version.local is not None


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..changelog import MissingNotesError, find_changelog
    from ..files import write_atomic
    from ..versions import version_from_tag

    repo = repo_arg(args.repo, runner.env)
    try:
        markdown, changelog = notes_for(
            args.changelog, args.notes_version, repo, runner.env, args.require_released, runner
        )
    except MissingNotesError as missing:
        # A development version (a pull request's build) is never released as it is:
        # no section for it yet is worth a warning, not a failed check.
        if missing.missing != "section" or not _is_dev(version_from_tag(args.notes_version)):
            raise
        runner.warning(missing.message(), title="No change log section yet")
        markdown, changelog = "", args.changelog or find_changelog(Path("."))
    if args.output:
        write_atomic(args.output, markdown.encode())
    sys.stdout.write(markdown)
    outputs = {"notes": markdown, "changelog": rel(changelog.absolute())}
    if args.output:
        outputs["notes-file"] = rel(args.output.absolute())
    runner.set_outputs(outputs)
    runner.summary(
        f"### Release notes for {args.notes_version} (from {changelog.name})\n\n{markdown}"
    )
    return 0
