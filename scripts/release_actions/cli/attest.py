"""release-actions attest: signed SLSA v1 provenance."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import gha, markdown
from ..errors import UsageError
from ._shared import Parser, read_subjects_arg, rel


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "attest",
        help="signed SLSA v1 provenance for release files or their hashes",
        description="Write an in-toto Statement with an SLSA v1 provenance predicate for the "
        "files (or the hash action's subjects), signed keylessly with Sigstore, with a key, "
        "or (for rehearsals only) not at all, as one JSON line per attestation.",
    )
    p.add_argument(
        "files", nargs="*", metavar="FILES", help="files, directories or globs (default: dist/*)"
    )
    p.add_argument("--subjects", metavar="FILE|-",
                   help="a SHA256SUMS file or base64 subjects (the hash action's output) instead of files")  # fmt: skip
    p.add_argument("--output", type=Path,
                   help="where to write (default: multiple.intoto.jsonl, whatever the number of subjects)")  # fmt: skip
    p.add_argument("--signer", choices=("sigstore", "key", "none"), default="sigstore",
                   help="sigstore: keyless with the runner's OIDC identity (default); key: --key or "
                   "RA_SIGNING_KEY; none: unsigned, for rehearsals")  # fmt: skip
    p.add_argument(
        "--key",
        type=Path,
        metavar="PEM",
        help="ECDSA P-256 or Ed25519 private key for --signer key",
    )
    p.add_argument(
        "--tag", help="off a runner: the tag the provenance names (default: the tag at HEAD)"
    )
    p.add_argument("--allow-public-log", action="store_true",
                   help="sign keylessly even though the repository is not public (its name and "
                   "workflow go into Sigstore's public transparency log)")  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..files import write_atomic
    from ..hashing import collect_files, hash_files, parse_subjects
    from ..provenance import context_from_git, context_from_runner, make_statement, statement_bytes
    from ..signing import sign

    if args.subjects and args.files:
        raise UsageError(
            "Give either FILES or --subjects, not both.",
            "Attest the hash action's subjects, or files.",
        )
    if args.subjects:
        subjects = parse_subjects(*read_subjects_arg(args.subjects))
    else:
        subjects = hash_files(collect_files(args.files))
    if runner.active:
        ctx = context_from_runner(runner.env)
    else:
        ctx = context_from_git(Path.cwd(), args.tag)
    payload = statement_bytes(make_statement(subjects, ctx))
    signed = sign(payload, args.signer, key_path=args.key, env=runner.env, reporter=runner,
                  allow_public_log=args.allow_public_log)  # fmt: skip
    # One name for one subject too: the release workflows and verifiers look for
    # multiple.intoto.jsonl, and a single-file release must not break them.
    output: Path = args.output or Path("multiple.intoto.jsonl")
    write_atomic(output, (signed.line + "\n").encode())
    print(gha.neutral(rel(output.absolute())))
    runner.info(f"attested {len(subjects)} subject(s), signed by {signed.identity}")
    if args.signer == "none":
        runner.warning(
            "The provenance is not signed: use it for rehearsals only.", title="Unsigned provenance"
        )
    runner.set_outputs({"provenance-path": rel(output.absolute()), "provenance-name": output.name})
    rows = [[markdown.code(gha.neutral(s.name)), f"`{s.sha256}`"] for s in subjects]
    builder = "a local build (not a hosted builder)" if ctx.local else f"`{ctx.builder_id}`"
    runner.summary(
        f"### Provenance for {len(subjects)} file(s)\n\n"
        f"Signed by: {signed.identity}  \nBuilder: {builder}  \nSource: `{ctx.repository}` at `{ctx.ref or '-'}`\n\n"
        + markdown.table(["Subject", "SHA-256"], rows)
    )
    return 0
