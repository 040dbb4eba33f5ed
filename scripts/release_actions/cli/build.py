"""release-actions build: the sdist and wheel, checked, version = tag."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import gha, markdown
from ._shared import Parser, rel, size


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "build",
        help="build the sdist and wheel, check them, and check the version against the tag",
        description="Build the sdist and the wheel (from the sdist) in isolation, check "
        "metadata and contents, and move them into the output directory only if all passes.",
    )
    p.add_argument("project_dir", nargs="?", default=".", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--out-dir", type=Path, help="where the files go (default: PROJECT_DIR/dist)")
    p.add_argument("--sdist", action="store_true", help="build the sdist (default: both)")
    p.add_argument("--wheel", action="store_true", help="build the wheel (default: both)")
    version = p.add_mutually_exclusive_group()
    version.add_argument("--tag", help="release tag (1.2.3 or v1.2.3) the version must equal "
                         "(default: the pushed tag, on a tag push)")  # fmt: skip
    version.add_argument("--expect-version", metavar="VERSION", help="version the build must have")
    p.add_argument("--skip-check", action="append", default=[], metavar="'NAME: REASON'",
                   help="skip one check, saying why (repeatable): long-description, "
                   "description-content-type, package-inside, bytecode, platform-tag")  # fmt: skip
    p.add_argument(
        "--clean",
        action="store_true",
        help="remove distributions already in the output directory (refused otherwise)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..build import build
    from ..checks import parse_skips
    from ..git import pushed_tag
    from ..versions import parse_version, version_from_tag

    expected = None
    if args.tag is not None:  # an explicit empty tag is an error, not "no tag"
        expected = version_from_tag(args.tag)
    elif args.expect_version:
        expected = parse_version(args.expect_version)
    elif tag := pushed_tag(runner.env):
        expected = version_from_tag(tag)
    skips = parse_skips(args.skip_check)
    for name, reason in skips.items():
        runner.notice(f"The {name} check is skipped: {reason}", title="Check skipped")
    project = args.project_dir
    out_dir = args.out_dir or project / "dist"
    with runner.group(f"Build {project}"):
        result = build(
            project,
            out_dir,
            sdist=args.sdist or not args.wheel,
            wheel=args.wheel or not args.sdist,
            expected_version=expected,
            clean=args.clean,
            reporter=runner,
            skip_checks=skips,
        )
    # The project's build code ran in this job: keyless signing later in the
    # same job is refused (see signing.sign).
    runner.set_env({"RA_BUILT_IN_THIS_JOB": "true"})
    from ..hashing import hash_files  # not before: the build's first environment starts sooner

    subjects = {s.name: s for s in hash_files(result.artifacts)}
    for path in result.artifacts:
        print(rel(path))
    runner.info(f"built {result.name} {result.version} with {result.frontend}")
    runner.set_outputs(
        {
            "dist-dir": rel(result.out_dir),
            "name": result.name,
            "version": result.version,
            "artifacts": json.dumps([rel(p) for p in result.artifacts]),
        }
    )
    rows = []
    listings = []
    for info in result.dists:
        s = subjects[info.path.name]
        rows.append([markdown.code(s.name), size(s.size or 0), f"`{s.sha256}`"])
        listings.append(
            markdown.details(f"Contents of {s.name}", "```\n" + "\n".join(info.contents) + "\n```")
        )
    skipped = "".join(f"- Check `{n}` skipped: {r}\n" for n, r in skips.items())
    runner.summary(
        f"### Built {result.name} {result.version}\n\n"
        + (skipped + "\n" if skipped else "")
        + markdown.table(["File", "Size", "SHA-256"], rows)
        + "\n\n"
        + "\n\n".join(listings)
    )
    return 0
