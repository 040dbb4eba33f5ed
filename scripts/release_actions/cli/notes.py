"""release-actions notes: the change log's section for one version."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import gha
from ._shared import Parser, rel, repo_arg


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "notes",
        help="the change log's section for one version, as GitHub Markdown",
        description="Find the change log (CHANGES.rst, CHANGES.md, CHANGELOG.*, HISTORY.*), "
        "extract the section of one version and print it as GitHub Markdown, with Sphinx "
        "roles such as :issue: and :pr: turned into links for the repository.",
    )
    p.add_argument("changelog", nargs="?", type=Path, metavar="CHANGELOG",
                   help="the change log (default: found in the current directory)")  # fmt: skip
    p.add_argument("--version", dest="notes_version", required=True, metavar="VERSION",
                   help="the version (or tag, v1.2.3) whose section to print")  # fmt: skip
    p.add_argument(
        "--repo", metavar="OWNER/REPO", help="repository for links (default: GITHUB_REPOSITORY)"
    )
    p.add_argument("--require-released", action="store_true",
                   help="fail when the section is still marked unreleased")  # fmt: skip
    p.add_argument("--output", type=Path, help="also write the Markdown to this file")
    p.set_defaults(handler=run)


def notes_for(
    path: Path | None, version: str, repo: str | None, env: dict[str, str], require_released: bool,
    runner: gha.Runner,
) -> tuple[str, Path]:  # fmt: skip
    from ..changelog import DEFAULT_SERVER, extract, find_changelog
    from ..errors import ChangelogError
    from ..versions import version_from_tag

    wanted = version_from_tag(version)
    changelog = path or find_changelog(Path.cwd())
    notes = extract(
        changelog, wanted, repo=repo, server_url=env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER
    )
    if notes.released is False:
        cause = f"{changelog.name}: the section for {wanted} is still marked unreleased."
        fix = "Replace 'Unreleased' with 'Released <date>' before tagging the release."
        if require_released:
            raise ChangelogError(cause, fix)
        runner.warning(f"{cause} {fix}", title="Unreleased change log section")
    return notes.markdown, changelog


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..files import write_atomic

    repo = repo_arg(args.repo, runner.env)
    markdown, changelog = notes_for(
        args.changelog, args.notes_version, repo, runner.env, args.require_released, runner
    )
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
