"""release-actions hash: sha256 subjects of release files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import gha, markdown
from ._shared import Parser, rel, size


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "hash",
        help="sha256 subjects of release files, as sha256sum prints them",
        description="Hash files, directories and globs (default: dist/*) and print "
        "sha256sum-compatible lines sorted by name, or their base64 form.",
    )
    p.add_argument("files", nargs="*", metavar="FILES", help="files, directories or globs")
    p.add_argument("--output", type=Path, help="also write the lines to this file (SHA256SUMS)")
    p.add_argument("--base64", action="store_true", help="print the base64 of the lines instead")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..files import write_atomic
    from ..hashing import collect_files, encode_base64, format_sums, hash_files

    subjects = hash_files(collect_files(args.files))
    sums = format_sums(subjects)
    encoded = encode_base64(subjects)
    if args.output:
        write_atomic(args.output, sums.encode())
    sys.stdout.write(encoded + "\n" if args.base64 else sums)
    outputs = {"subjects": encoded}
    if args.output:
        outputs["sums-file"] = rel(args.output.absolute())
    runner.set_outputs(outputs)
    rows = [[markdown.code(s.name), size(s.size or 0), f"`{s.sha256}`"] for s in subjects]
    runner.summary(
        f"### SHA-256 of {len(subjects)} file(s)\n\n"
        + markdown.table(["File", "Size", "SHA-256"], rows)
    )
    return 0
