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
    p.add_argument("--missing-ok", action="store_true",
                   help="a missing change log or section is a warning, not a failure (the release "
                   "page then uses GitHub's generated notes): a build job's early check")  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..files import write_atomic
    from ..git import runner_server
    from ..notes import version_notes
    from ..versions import version_from_tag

    repo = repo_arg(args.repo, runner.env)
    notes = version_notes(
        version_from_tag(args.notes_version), changelog=args.changelog, project=Path("."),
        repo=repo, server_url=runner_server(runner.env),
        require_released=args.require_released, missing_ok=args.missing_ok, reporter=runner,
    )  # fmt: skip
    if notes.changelog is None:  # missing, and --missing-ok: the warning said so
        runner.set_outputs({"notes": ""})
        return 0
    markdown, changelog = notes.markdown, notes.changelog
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
