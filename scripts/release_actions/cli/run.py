"""release-actions run: the whole release rehearsed locally."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .. import gha, markdown
from ._shared import Parser, rel

if TYPE_CHECKING:
    from ..rehearsal import Rehearsal


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "run",
        help="rehearse the whole release locally: build, hash, attest, verify, publish, notes, release page",
        description="Run every stage of a release with the actions' own code, stopping at the "
        "first failure. With no options it needs no account and no network: the provenance is "
        "signed with a key made for the run, the files go to a local folder index, and the "
        "release page is rendered to Markdown. Everything lands in one folder.",
    )
    p.add_argument("project_dir", nargs="?", default=".", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--tag", help="the tag to rehearse (default: the tag at HEAD)")
    p.add_argument("--out-dir", type=Path,
                   help="where everything goes (default: PROJECT_DIR/.release-rehearsal/VERSION)")  # fmt: skip
    p.add_argument("--repository-url", metavar="URL",
                   help="publish to this index (TWINE_USERNAME/TWINE_PASSWORD) instead of a local folder")  # fmt: skip
    p.add_argument("--signer", choices=("key", "none"), default="key",
                   help="key: a key made for this run (default); none: unsigned")  # fmt: skip
    p.add_argument("--github", action="store_true",
                   help="create the draft release on GitHub for real (GITHUB_TOKEN from the environment)")  # fmt: skip
    p.add_argument(
        "--allow-dirty", action="store_true", help="rehearse a work tree with uncommitted changes"
    )
    p.add_argument("--skip-check", action="append", default=[], metavar="'NAME: REASON'",
                   help="skip one of the build's checks, saying why (repeatable; see 'build --help')")  # fmt: skip
    p.add_argument("--changelog", type=Path, metavar="PATH",
                   help="the change log (default: found in PROJECT_DIR or its docs/ or doc/ folder)")  # fmt: skip
    p.add_argument("--require-notes", action="store_true",
                   help="stop when the change log or its section for the version is missing "
                   "(default: warn, as the release page then uses GitHub's generated notes)")  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..checks import parse_skips
    from ..rehearsal import Options, StageFailed, rehearse

    options = Options(
        project=args.project_dir, tag=args.tag, out_dir=args.out_dir, repository_url=args.repository_url,
        signer=args.signer, github=args.github, allow_dirty=args.allow_dirty,
        changelog=args.changelog, require_notes=args.require_notes,
        skip_checks=parse_skips(args.skip_check),
    )  # fmt: skip
    runner.mask(runner.env.get("GITHUB_TOKEN", "").strip())
    runner.mask(runner.env.get("TWINE_PASSWORD", "").strip())
    try:
        run = rehearse(options, env=runner.env, reporter=runner)
    except StageFailed as failure:
        _print_rehearsal(failure.rehearsal, runner)
        raise
    _print_rehearsal(run, runner)
    print(f"\nRehearsal of {run.tag} passed: everything is in {rel(run.out_dir)}")
    if run.index_url.startswith("file:"):
        print(try_it(run))
    return 0


def try_it(run: Rehearsal) -> str:
    """A pip command that installs the rehearsed release as a user would get it.

    The rehearsal's files come from --find-links and the project's dependencies
    from the index pip is configured with (an index URL alone would offer only
    the project itself, so any dependency would fail to resolve).
    """
    import shlex

    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    first = run.files[0].name
    name = (
        parse_wheel_filename(first)[0] if first.endswith(".whl") else parse_sdist_filename(first)[0]
    )
    requirement = shlex.quote(f"{name}=={run.version}")
    where = shlex.quote(rel(run.out_dir / "dist"))
    return f"Try it: pip install --find-links {where} {requirement}"


def _print_rehearsal(run: Rehearsal, runner: gha.Runner) -> None:
    rows = [[s.name, s.result, f"{s.seconds:.2f} s", s.output or s.message] for s in run.stages]
    widths = [
        max(len(r[i]) for r in [["stage", "result", "time", "output"], *rows]) for i in range(3)
    ]
    print()
    for row in [["stage", "result", "time", "output"], *rows]:
        print("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)))
    runner.summary(
        f"### Release rehearsal of {run.tag}\n\n"
        + markdown.table(["Stage", "Result", "Time", "Output"], rows)
    )
