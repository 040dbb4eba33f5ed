"""release-actions verify: provenance checked offline, one line per check."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import gha, markdown
from ..errors import InputError, UnsupportedProvenanceError, UsageError, VerificationError
from ..text import shortened
from ._shared import Parser

if TYPE_CHECKING:
    from ..verify import Artifact


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "verify",
        help="verify provenance (ours, slsa-github-generator, actions/attest, PEP 740) offline",
        description="Check the signature, transparency log, signer identity and claims of "
        "provenance, and that every artifact's sha256 equals one of its subjects. Offline: "
        "Sigstore's trust root is the one shipped with the sigstore package.",
    )
    p.add_argument(
        "artifacts", nargs="+", metavar="ARTIFACT", help="a file, or its digest as sha256:<64 hex>"
    )
    p.add_argument("--provenance", required=True, type=Path, metavar="PATH",
                   help="multiple.intoto.jsonl, a .sigstore bundle or a .publish.attestation")  # fmt: skip
    p.add_argument("--source-uri", default="", metavar="github.com/OWNER/REPO",
                   help="repository that must have built the artifacts (required for Sigstore signatures)")  # fmt: skip
    ref = p.add_mutually_exclusive_group()
    ref.add_argument(
        "--source-tag", default="", metavar="TAG", help="exact tag it must be built from"
    )
    ref.add_argument(
        "--source-branch", default="", metavar="BRANCH", help="branch it must be built from"
    )
    ref.add_argument("--source-versioned-tag", default="", metavar="vX[.Y[.Z]]",
                     help="a tag of this version it must be built from (slsa-verifier's semantics: v1 matches v1.4.2)")  # fmt: skip
    p.add_argument("--builder-id", default="", metavar="ID",
                   help="builder the provenance must name: ID, ID@vX.Y.Z or ID@refs/tags/vX.Y.Z; "
                   "also trusts a builder outside the source repository")  # fmt: skip
    p.add_argument("--workflow", default="", metavar="FILE[@REF]",
                   help="workflow file that must have run the build (checked against the signing certificate)")  # fmt: skip
    p.add_argument(
        "--key", type=Path, metavar="PUBPEM", help="public key for key-signed provenance"
    )
    p.add_argument("--allow-unsigned", action="store_true",
                   help="accept unsigned provenance (rehearsals); the signature is reported as not done")  # fmt: skip
    p.add_argument("--online", action="store_true",
                   help="refresh Sigstore's trust root (TUF) before verifying; offline is the default")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run)


_MARKS = {
    "pass": "✓",
    "fail": "✗",
    "not done": "?",
    "unsupported": "!",
    "waived": "-",
    "not checked": "-",
}


def _artifacts(values: Sequence[str]) -> list[Artifact]:
    """Digests written ``sha256:<64 hex>`` for files the user does not hold; everything else
    names files exactly as ``hash`` and ``publish`` read them (globs, folders, no links)."""
    from ..hashing import collect_files, is_sha256_hex, sha256_file
    from ..verify import Artifact

    artifacts = []
    for value in values:
        if not value.startswith("sha256:"):
            artifacts += [Artifact(p.name, sha256_file(p)) for p in collect_files([value])]
        elif is_sha256_hex(digest := value.removeprefix("sha256:").lower()):
            artifacts.append(Artifact(value, digest, by_digest=True))
        else:
            raise UsageError(
                f"'{shortened(value, 160)}' is not a sha256 digest.",
                "Write a digest as 'sha256:' and 64 hex digits.",
            )
    return artifacts


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..verify import Expectations, verify

    artifacts = _artifacts(args.artifacts)
    try:
        data = args.provenance.read_bytes()
        key = args.key.read_bytes() if args.key else None
    except OSError as exc:
        raise InputError(f"'{shortened(exc.filename, 160)}' cannot be read: {exc.strerror}.",
                         "Pass the provenance file (and key) downloaded from the release page.") from None  # fmt: skip
    source_uri = args.source_uri
    if not source_uri and runner.active and runner.env.get("GITHUB_REPOSITORY"):
        from ..git import runner_server, server_host

        # This repository, on the GitHub (Enterprise) server the job runs on.
        source_uri = f"{server_host(runner_server(runner.env))}/{runner.env['GITHUB_REPOSITORY']}"
    expect = Expectations(
        source_uri=source_uri, tag=args.source_tag, branch=args.source_branch,
        versioned_tag=args.source_versioned_tag, builder_id=args.builder_id, workflow=args.workflow,
        public_key_pem=key, allow_unsigned=args.allow_unsigned, online=args.online,
    )  # fmt: skip
    name = shortened(args.provenance.name, 160)
    try:
        report = verify(artifacts, data, name, expect)
    except VerificationError as error:
        # A file refused whole (malformed, or a format we cannot judge) still sets the outputs.
        outcome = "unsupported" if isinstance(error, UnsupportedProvenanceError) else "failed"
        print(f"Outcome: {outcome.upper()}")
        runner.set_outputs({"verified": "false", "outcome": outcome})
        raise
    lines = []
    for att in report.attestations:
        prefix = f"line {att.line} ({att.kind})" if len(report.attestations) > 1 else att.kind
        lines.append(prefix)
        lines += [f"  {_MARKS[c.status]} {c.name}: {c.detail}" for c in att.checks]
    lines.append(
        f"{_MARKS[report.subjects.status]} {report.subjects.name}: {report.subjects.detail}"
    )
    lines.append(f"Outcome: {report.outcome.upper()}")
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(lines))
    runner.set_outputs({"verified": "true" if report.ok else "false", "outcome": report.outcome})
    runner.summary(f"### Provenance {report.outcome.upper()}: `{name}`\n\n"
                   + markdown.table(["Check", "Result", "Detail"],
                               [[c.name, f"{_MARKS[c.status]} {c.status}", c.detail] for c in report.checks]))  # fmt: skip
    for c in report.checks:
        if c.status in ("not done", "waived"):
            runner.warning(
                f"{c.name}: {c.detail}",
                title="Verification incomplete" if c.status == "not done" else "Check waived",
            )
    failure = report.error()
    if failure is not None:
        raise failure
    return 0
