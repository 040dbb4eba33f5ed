"""release-actions publish: uploads to PyPI or any index."""

from __future__ import annotations

import argparse
import contextlib
import json

from .. import gha, markdown
from ._shared import Parser, read_subjects_arg


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "publish",
        help="upload distributions to PyPI (Trusted Publishing, PEP 740) or any index",
        description="Check every file first (metadata, and sha256 against --subjects), then "
        "upload them one by one with twine's machinery. Credentials: TWINE_USERNAME/"
        "TWINE_PASSWORD, else PyPI Trusted Publishing with the runner's OIDC identity. "
        "Files already on the index with the same sha256 are skipped, so a re-run completes.",
    )
    p.add_argument(
        "files", nargs="*", metavar="FILES", help="files, directories or globs (default: dist/*)"
    )
    p.add_argument("--repository-url", default="https://upload.pypi.org/legacy/", metavar="URL",
                   help="the index's upload URL (default: PyPI; TestPyPI is https://test.pypi.org/legacy/)")  # fmt: skip
    p.add_argument("--subjects", metavar="FILE|-",
                   help="the hash action's subjects (SHA256SUMS or base64): every file must match before any upload")  # fmt: skip
    p.add_argument("--skip-existing", action="store_true",
                   help="ask the index first and do not send files it already holds with the same sha256")  # fmt: skip
    att = p.add_mutually_exclusive_group()
    att.add_argument("--attestations", dest="attestations", action="store_true", default=None,
                     help="sign and send PEP 740 attestations (default: with Trusted Publishing to PyPI/TestPyPI)")  # fmt: skip
    att.add_argument("--no-attestations", dest="attestations", action="store_false")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    import urllib.parse

    from ..hashing import collect_files, parse_subjects
    from ..oidc import redact_url
    from ..publish import publish

    runner.mask(runner.env.get("TWINE_PASSWORD", "").strip())
    # A password written into the URL is a secret too: masked, and never printed.
    with contextlib.suppress(ValueError):
        runner.mask(urllib.parse.unquote(urllib.parse.urlsplit(args.repository_url).password or ""))
        runner.mask(urllib.parse.urlsplit(args.repository_url).password or "")
    shown_url = redact_url(args.repository_url)
    subjects = parse_subjects(*read_subjects_arg(args.subjects)) if args.subjects else None
    paths = collect_files(args.files)
    with runner.group(f"Publish {len(paths)} file(s) to {gha.neutral(shown_url)}"):
        outcome = publish(
            paths, args.repository_url, subjects=subjects, skip_existing=args.skip_existing,
            attestations=args.attestations, env=runner.env, reporter=runner,
        )  # fmt: skip
    for name in outcome.uploaded:
        print(gha.neutral(name))
    runner.set_outputs(
        {"uploaded": json.dumps(outcome.uploaded), "skipped": json.dumps(outcome.skipped)}
    )
    rows = [[f"[{markdown.code(n)}]({outcome.links[n]})", "uploaded"] for n in outcome.uploaded]
    rows += [[markdown.code(n), "already there (same sha256)"] for n in outcome.skipped]
    runner.summary(
        f"### Published to {gha.neutral(shown_url)}\n\n" + markdown.table(["File", "Result"], rows)
    )
    return 0
