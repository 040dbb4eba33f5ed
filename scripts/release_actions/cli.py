"""The ``release-actions`` command: one subcommand per action.

This is the only layer that prints results, writes runner outputs, and turns
a ``ReleaseError`` into a message, an annotation and an exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import __version__, gha
from .errors import InputError, ReleaseError, UsageError

if TYPE_CHECKING:
    from .rehearsal import Rehearsal
    from .release_page import Request

Handler = Callable[[argparse.Namespace, gha.Runner], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors become UsageError, so they are reported like every other error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}.", f"See '{self.prog} --help'.")


def _rel(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# -- build -----------------------------------------------------------------


def _add_build(sub: argparse._SubParsersAction[_Parser]) -> None:
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
    version.add_argument("--tag", help="release tag (1.2.3 or v1.2.3) the version must equal")
    version.add_argument("--expect-version", metavar="VERSION", help="version the build must have")
    p.add_argument(
        "--clean",
        action="store_true",
        help="remove distributions already in the output directory (refused otherwise)",
    )
    p.set_defaults(handler=_run_build)


def _run_build(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .build import build
    from .hashing import hash_files
    from .versions import parse_version, version_from_tag

    expected = None
    if args.tag is not None:  # an explicit empty tag is an error, not "no tag"
        expected = version_from_tag(args.tag)
    elif args.expect_version:
        expected = parse_version(args.expect_version)
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
            log=runner.info,
        )
    subjects = {s.name: s for s in hash_files(result.artifacts)}
    for path in result.artifacts:
        print(_rel(path))
    runner.info(f"built {result.name} {result.version} with {result.frontend}")
    runner.set_outputs(
        {
            "dist-dir": _rel(result.out_dir),
            "name": result.name,
            "version": result.version,
            "artifacts": json.dumps([_rel(p) for p in result.artifacts]),
        }
    )
    rows = []
    listings = []
    for info in result.dists:
        s = subjects[info.path.name]
        rows.append([f"`{s.name}`", _size(s.size or 0), f"`{s.sha256}`"])
        listings.append(
            gha.details(f"Contents of {s.name}", "```\n" + "\n".join(info.contents) + "\n```")
        )
    runner.summary(
        f"### Built {result.name} {result.version}\n\n"
        + gha.table(["File", "Size", "SHA-256"], rows)
        + "\n\n"
        + "\n\n".join(listings)
    )
    return 0


# -- hash --------------------------------------------------------------------


def _add_hash(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "hash",
        help="sha256 subjects of release files, as sha256sum prints them",
        description="Hash files, directories and globs (default: dist/*) and print "
        "sha256sum-compatible lines sorted by name, or their base64 form.",
    )
    p.add_argument("files", nargs="*", metavar="FILES", help="files, directories or globs")
    p.add_argument("--output", type=Path, help="also write the lines to this file (SHA256SUMS)")
    p.add_argument("--base64", action="store_true", help="print the base64 of the lines instead")
    p.set_defaults(handler=_run_hash)


def _run_hash(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .files import write_atomic
    from .hashing import collect_files, encode_base64, format_sums, hash_files

    subjects = hash_files(collect_files(args.files))
    sums = format_sums(subjects)
    encoded = encode_base64(subjects)
    if args.output:
        write_atomic(args.output, sums.encode())
    sys.stdout.write(encoded + "\n" if args.base64 else sums)
    outputs = {"subjects": encoded}
    if args.output:
        outputs["sums-file"] = _rel(args.output.absolute())
    runner.set_outputs(outputs)
    rows = [[f"`{s.name}`", _size(s.size or 0), f"`{s.sha256}`"] for s in subjects]
    runner.summary(
        f"### SHA-256 of {len(subjects)} file(s)\n\n" + gha.table(["File", "Size", "SHA-256"], rows)
    )
    return 0


# -- attest ------------------------------------------------------------------


def _add_attest(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "attest",
        help="signed SLSA v1 provenance for release files or their hashes",
        description="Write an in-toto Statement with an SLSA v1 provenance predicate for the "
        "files (or the hash action's subjects), signed keylessly with Sigstore, with a key, "
        "or (for dry runs only) not at all, as one JSON line per attestation.",
    )
    p.add_argument(
        "files", nargs="*", metavar="FILES", help="files, directories or globs (default: dist/*)"
    )
    p.add_argument("--subjects", metavar="FILE|-",
                   help="a SHA256SUMS file or base64 subjects (the hash action's output) instead of files")  # fmt: skip
    p.add_argument("--output", type=Path,
                   help="where to write (default: multiple.intoto.jsonl; NAME.intoto.jsonl for one subject)")  # fmt: skip
    p.add_argument("--signer", choices=("sigstore", "key", "none"), default="sigstore",
                   help="sigstore: keyless with the runner's OIDC identity (default); key: --key or "
                   "RA_SIGNING_KEY; none: unsigned, for dry runs")  # fmt: skip
    p.add_argument(
        "--key",
        type=Path,
        metavar="PEM",
        help="ECDSA P-256 or Ed25519 private key for --signer key",
    )
    p.add_argument(
        "--tag", help="off a runner: the tag the provenance names (default: the tag at HEAD)"
    )
    p.set_defaults(handler=_run_attest)


def _read_subjects_arg(value: str) -> tuple[str, str]:
    """(text, where) of --subjects: a file, or '-' for standard input."""
    if value == "-":
        return sys.stdin.read(), "standard input"
    try:
        return Path(value).read_text(encoding="utf-8"), value
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise InputError(f"The subjects file '{value}' cannot be read: {reason}.",
                         "Pass the SHA256SUMS file the hash action wrote, or '-' to read standard input.") from None  # fmt: skip


def _run_attest(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .files import write_atomic
    from .hashing import collect_files, hash_files, parse_subjects
    from .provenance import context_from_git, context_from_runner, make_statement, statement_bytes
    from .signing import sign

    if args.subjects and args.files:
        raise UsageError(
            "Give either FILES or --subjects, not both.",
            "Attest the hash action's subjects, or files.",
        )
    if args.subjects:
        subjects = parse_subjects(*_read_subjects_arg(args.subjects))
    else:
        subjects = hash_files(collect_files(args.files))
    if runner.active:
        ctx = context_from_runner(runner.env)
    else:
        ctx = context_from_git(Path.cwd(), args.tag)
    payload = statement_bytes(make_statement(subjects, ctx))
    signed = sign(payload, args.signer, key_path=args.key, env=runner.env, mask=runner.mask)
    output: Path = args.output or Path(
        f"{subjects[0].name}.intoto.jsonl" if len(subjects) == 1 else "multiple.intoto.jsonl"
    )
    write_atomic(output, (signed.line + "\n").encode())
    print(_rel(output.absolute()))
    runner.info(f"attested {len(subjects)} subject(s), signed by {signed.identity}")
    if args.signer == "none":
        runner.warning(
            "The provenance is not signed: use it for dry runs only.", title="Unsigned provenance"
        )
    runner.set_outputs({"provenance-path": _rel(output.absolute()), "provenance-name": output.name})
    rows = [[f"`{s.name}`", f"`{s.sha256}`"] for s in subjects]
    builder = "a local build (not a hosted builder)" if ctx.local else f"`{ctx.builder_id}`"
    runner.summary(
        f"### Provenance for {len(subjects)} file(s)\n\n"
        f"Signed by: {signed.identity}  \nBuilder: {builder}  \nSource: `{ctx.repository}` at `{ctx.ref or '-'}`\n\n"
        + gha.table(["Subject", "SHA-256"], rows)
    )
    return 0


# -- verify ------------------------------------------------------------------


def _add_verify(sub: argparse._SubParsersAction[_Parser]) -> None:
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
    p.add_argument(
        "--builder-id", default="", metavar="ID", help="builder id the provenance must name"
    )
    p.add_argument(
        "--workflow", default="", metavar="FILE", help="workflow file that must have run the build"
    )
    p.add_argument(
        "--key", type=Path, metavar="PUBPEM", help="public key for key-signed provenance"
    )
    p.add_argument("--allow-unsigned", action="store_true",
                   help="accept unsigned provenance (dry runs); the signature is reported as not done")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=_run_verify)


_MARKS = {"pass": "✓", "fail": "✗", "not done": "-"}


def _run_verify(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .errors import VerificationError
    from .verify import Expectations, artifacts_from_args, verify

    artifacts = artifacts_from_args(args.artifacts)
    try:
        data = args.provenance.read_bytes()
        key = args.key.read_bytes() if args.key else None
    except OSError as exc:
        raise InputError(f"'{exc.filename}' cannot be read: {exc.strerror}.",
                         "Pass the provenance file (and key) downloaded from the release page.") from None  # fmt: skip
    source_uri = args.source_uri
    if not source_uri and runner.active and runner.env.get("GITHUB_REPOSITORY"):
        source_uri = f"github.com/{runner.env['GITHUB_REPOSITORY']}"
    expect = Expectations(
        source_uri=source_uri, tag=args.source_tag, branch=args.source_branch, builder_id=args.builder_id,
        workflow=args.workflow, public_key_pem=key, allow_unsigned=args.allow_unsigned,
    )  # fmt: skip
    report = verify(artifacts, data, args.provenance.name, expect)
    lines = []
    for att in report.attestations:
        prefix = f"line {att.line} ({att.kind})" if len(report.attestations) > 1 else att.kind
        lines.append(prefix)
        lines += [f"  {_MARKS[c.status]} {c.name}: {c.detail}" for c in att.checks]
    lines.append(
        f"{_MARKS[report.subjects.status]} {report.subjects.name}: {report.subjects.detail}"
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(lines))
    runner.set_outputs({"verified": "true" if report.ok else "false"})
    runner.summary(f"### Provenance {'verified' if report.ok else 'NOT verified'}: `{args.provenance.name}`\n\n"
                   + gha.table(["Check", "Result", "Detail"],
                               [[c.name, f"{_MARKS[c.status]} {c.status}", c.detail] for c in report.checks]))  # fmt: skip
    for c in report.checks:
        if c.status == "not done":
            runner.warning(f"{c.name}: {c.detail}", title="Verification incomplete")
    failed = [c for c in report.checks if c.status == "fail"]
    if failed:
        raise VerificationError(
            f"{args.provenance.name} does not verify: "
            + "; ".join(f"{c.name}: {c.detail}" for c in failed)
            + ".",
            "Do not use these artifacts; if you expected them to verify, check the options against how they were built.",
        )
    return 0


# -- run (local rehearsal) ---------------------------------------------------


def _add_run(sub: argparse._SubParsersAction[_Parser]) -> None:
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
    p.set_defaults(handler=_run_run)


def _run_run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .rehearsal import Options, StageFailed, rehearse

    options = Options(
        project=args.project_dir, tag=args.tag, out_dir=args.out_dir, repository_url=args.repository_url,
        signer=args.signer, github=args.github, allow_dirty=args.allow_dirty,
    )  # fmt: skip
    token = runner.env.get("GITHUB_TOKEN", "").strip()
    runner.mask(token)
    runner.mask(runner.env.get("TWINE_PASSWORD", "").strip())
    try:
        run = rehearse(
            options, env=runner.env, log=runner.info,
            warn=lambda m: runner.warning(m, title="Rehearsal"),
            publish_remote=_publish_for_rehearsal(runner),
            release_remote=_release_for_rehearsal(runner, token),
        )  # fmt: skip
    except StageFailed as failure:
        _print_rehearsal(failure.rehearsal, runner)
        raise
    _print_rehearsal(run, runner)
    print(f"\nRehearsal of {run.tag} passed: everything is in {_rel(run.out_dir)}")
    if run.index_url.startswith("file:"):
        print(
            f"Try it: pip install --index-url {run.index_url} {run.files[0].name.split('-')[0]}=={run.version}"
        )
    return 0


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
        + gha.table(["Stage", "Result", "Time", "Output"], rows)
    )


def _publish_for_rehearsal(runner: gha.Runner) -> Callable[..., tuple[list[str], list[str]]]:
    """Publishing to a real index (run --repository-url): the publish command's code."""

    def upload(
        files: list[Path], url: str, sums: Path, log: Callable[[str], None]
    ) -> tuple[list[str], list[str]]:
        from .hashing import parse_subjects
        from .publish import publish

        subjects = parse_subjects(sums.read_text(encoding="utf-8"), sums.name)
        outcome = publish(
            files, url, subjects=subjects, skip_existing=True, attestations=False,
            env=runner.env, mask=runner.mask, log=log,
        )  # fmt: skip
        return outcome.uploaded, outcome.skipped

    return upload


def _release_for_rehearsal(runner: gha.Runner, token: str) -> Callable[[Request, str], str]:
    """Makes the draft release for real (run --github), from the rehearsal's request."""

    def create(request: Request, repo: str) -> str:
        from .errors import CredentialError
        from .release_page import DEFAULT_API_URL, Settings, Target, make_release

        if not token:
            raise CredentialError(
                "--github needs GITHUB_TOKEN.",
                "Export a token with 'contents: write', or leave out --github.",
            )
        target = Target(runner.env.get("GITHUB_API_URL") or DEFAULT_API_URL, repo, token)
        return make_release(
            target, request, settings=Settings.from_env(runner.env), log=runner.info
        ).html_url

    return create


# -- publish -------------------------------------------------------------------


def _add_publish(sub: argparse._SubParsersAction[_Parser]) -> None:
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
    p.set_defaults(handler=_run_publish)


def _run_publish(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .hashing import collect_files, parse_subjects
    from .publish import publish

    runner.mask(runner.env.get("TWINE_PASSWORD", "").strip())
    subjects = parse_subjects(*_read_subjects_arg(args.subjects)) if args.subjects else None
    paths = collect_files(args.files)
    with runner.group(f"Publish {len(paths)} file(s) to {args.repository_url}"):
        outcome = publish(
            paths, args.repository_url, subjects=subjects, skip_existing=args.skip_existing,
            attestations=args.attestations, env=runner.env, mask=runner.mask, log=runner.info,
            notice=lambda m: runner.notice(m, title="Already published"),
        )  # fmt: skip
    for name in outcome.uploaded:
        print(name)
    runner.set_outputs(
        {"uploaded": json.dumps(outcome.uploaded), "skipped": json.dumps(outcome.skipped)}
    )
    rows = [[f"[`{n}`]({outcome.links[n]})", "uploaded"] for n in outcome.uploaded]
    rows += [[f"`{n}`", "already there (same sha256)"] for n in outcome.skipped]
    runner.summary(
        f"### Published to {args.repository_url}\n\n" + gha.table(["File", "Result"], rows)
    )
    return 0


# -- notes ---------------------------------------------------------------------


def _repo_arg(value: str | None, env: dict[str, str]) -> str | None:
    import re

    from .errors import shown

    repo = value or env.get("GITHUB_REPOSITORY") or None
    if repo is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise UsageError(f"'{shown(repo)}' is not OWNER/REPO.", "Pass --repo like 'pallets/flask'.")
    return repo


def _add_notes(sub: argparse._SubParsersAction[_Parser]) -> None:
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
    p.set_defaults(handler=_run_notes)


def _notes_for(
    path: Path | None, version: str, repo: str | None, env: dict[str, str], require_released: bool,
    runner: gha.Runner,
) -> tuple[str, Path]:  # fmt: skip
    from .changelog import DEFAULT_SERVER, extract, find_changelog
    from .errors import ChangelogError
    from .versions import version_from_tag

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


def _run_notes(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .files import write_atomic

    repo = _repo_arg(args.repo, runner.env)
    markdown, changelog = _notes_for(
        args.changelog, args.notes_version, repo, runner.env, args.require_released, runner
    )
    if args.output:
        write_atomic(args.output, markdown.encode())
    sys.stdout.write(markdown)
    outputs = {"notes": markdown, "changelog": _rel(changelog.absolute())}
    if args.output:
        outputs["notes-file"] = _rel(args.output.absolute())
    runner.set_outputs(outputs)
    runner.summary(
        f"### Release notes for {args.notes_version} (from {changelog.name})\n\n{markdown}"
    )
    return 0


# -- release-page -------------------------------------------------------------------


def _add_release_page(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "release-page",
        help="create or complete the GitHub release of a tag: notes, milestone link, assets",
        description="Find the release of TAG (drafts included) or create it as a draft, set its "
        "notes from the change log plus a link to the version's milestone, upload the files "
        "that are missing, and publish it last with --no-draft. Safe to re-run and to run "
        "concurrently. Without GITHUB_TOKEN (off a runner) the page is written as Markdown "
        "to a file instead.",
    )
    p.add_argument("files", nargs="*", metavar="FILES", help="files or globs to attach (dists, "
                   "SHA256SUMS, multiple.intoto.jsonl, *.publish.attestation)")  # fmt: skip
    p.add_argument("--tag", help="the release tag (default: the pushed tag, from GITHUB_REF)")
    p.add_argument("--repo", metavar="OWNER/REPO", help="repository (default: GITHUB_REPOSITORY)")
    p.add_argument("--name", help="release title (default: the tag)")
    notes = p.add_mutually_exclusive_group()
    notes.add_argument("--notes-file", type=Path, help="Markdown notes to use as they are")
    notes.add_argument("--changelog", type=Path, help="change log to take the notes from "
                       "(default: found in the current directory)")  # fmt: skip
    draft = p.add_mutually_exclusive_group()
    draft.add_argument("--draft", dest="draft", action="store_true", default=True,
                       help="leave a new release as a draft (default)")  # fmt: skip
    draft.add_argument("--no-draft", dest="draft", action="store_false",
                       help="publish the release once every asset is attached")  # fmt: skip
    p.add_argument("--prerelease", choices=["auto", "true", "false"], default="auto",
                   help="mark as prerelease; auto: from the PEP 440 version (a, b, rc, dev)")  # fmt: skip
    p.add_argument("--overwrite", action="store_true",
                   help="replace an attached file whose content differs (refused otherwise)")  # fmt: skip
    p.add_argument("--close-milestone", action="store_true",
                   help="close the milestone titled with the version")  # fmt: skip
    p.add_argument("--preview-file", type=Path, default=Path("release-page.md"),
                   help="where the page goes without a token (default: release-page.md)")  # fmt: skip
    p.add_argument("--subjects", metavar="FILE|-",
                   help="the hash action's subjects: every distribution attached must match them")  # fmt: skip
    p.set_defaults(handler=_run_release_page)


def _run_release_page(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .errors import CredentialError
    from .files import write_atomic
    from .hashing import collect_files, hash_files
    from .release_page import (
        DEFAULT_API_URL,
        Request,
        Settings,
        Target,
        make_release,
        render_preview,
    )  # fmt: skip
    from .versions import is_prerelease, version_from_tag

    env = runner.env
    token = env.get("GITHUB_TOKEN", "").strip()
    runner.mask(token)
    # Everything is checked before the first request: tag, repository, notes, files.
    tag = args.tag
    ref = env.get("GITHUB_REF", "")
    if not tag and ref.startswith("refs/tags/"):
        tag = ref.removeprefix("refs/tags/")
    if not tag:
        raise UsageError(
            "No tag given.", "Pass --tag (on a tag push it defaults to the pushed tag)."
        )
    version = version_from_tag(tag)
    repo = _repo_arg(args.repo, env)
    if args.notes_file:
        try:
            notes = args.notes_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise InputError(
                f"Cannot read the notes file '{args.notes_file}'.", "Pass a UTF-8 Markdown file."
            ) from None
    else:
        notes, _ = _notes_for(args.changelog, str(version), repo, env, False, runner)
    prerelease = is_prerelease(version) if args.prerelease == "auto" else args.prerelease == "true"
    files = hash_files(collect_files(args.files)) if args.files else []
    if args.subjects:
        from .hashing import is_sidecar, match_files, parse_subjects

        # The integrity gate: distributions only; SHA256SUMS and provenance are not subjects.
        subjects = parse_subjects(*_read_subjects_arg(args.subjects))
        match_files(subjects, [f for f in files if not is_sidecar(f.name)])
    request = Request(
        tag=tag, version=version, name=args.name or tag, notes=notes, draft=args.draft,
        prerelease=prerelease, files=files, overwrite=args.overwrite,
        close_milestone=args.close_milestone,
    )  # fmt: skip

    if not token:
        if runner.active:
            raise CredentialError(
                "GITHUB_TOKEN is not set, so the release page cannot be made.",
                "Pass the token to the step (the action does this with its token input, "
                "default github.token) and grant 'contents: write'.",
            )
        write_atomic(args.preview_file, render_preview(request, repo).encode())
        runner.notice(
            f"GITHUB_TOKEN is not set: wrote the release page for {tag} to {args.preview_file} "
            "instead of creating it on GitHub.",
            title="Release page preview",
        )
        print(_rel(args.preview_file.absolute()))
        return 0
    if repo is None:
        raise UsageError(
            "No repository given.",
            "Pass --repo OWNER/REPO (on a runner GITHUB_REPOSITORY is used).",
        )

    target = Target(env.get("GITHUB_API_URL") or DEFAULT_API_URL, repo, token)
    with runner.group(f"Release page for {tag} in {repo}"):
        result = make_release(target, request, settings=Settings.from_env(env), log=runner.info)
    for warning in result.warnings:
        runner.warning(warning, title="Release page")
    state = "draft" if result.draft else "published"
    print(result.html_url)
    runner.info(f"release {result.id} for {tag} is {state}: {result.html_url}")
    runner.set_outputs(
        {"id": str(result.id), "url": result.url, "html-url": result.html_url,
         "upload-url": result.upload_url, "draft": str(result.draft).lower()}
    )  # fmt: skip
    rows = [[f"`{name}`", outcome] for name, outcome in result.assets.items()]
    summary = (
        f"### Release [{request.name}]({result.html_url}) ({state}"
        + (", prerelease" if result.prerelease else "")
        + ")\n\n"
    )
    if result.milestone:
        summary += (
            f"Milestone [{result.milestone.title}]({result.milestone.html_url})"
            + (" closed." if result.milestone_closed else ".")
            + "\n\n"
        )
    if rows:
        summary += gha.table(["Asset", "Result"], rows) + "\n\n"
    summary += gha.details("Release notes", result.body or "_empty_")
    runner.summary(summary)
    return 0


# -- audit -------------------------------------------------------------------


def _add_audit(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "audit",
        help="check that every version on the index has its tag, release page, milestone and files",
        description="Check the release policy after the fact, for one version or a project's "
        "whole history: a tag per version on the index, a published release page for it, a "
        "closed milestone, the index's files among the release assets and, with --verify, "
        "every file's sha256 in the release's verified provenance or SHA256SUMS. Exit 1 "
        "when a promise is broken. The GitHub token is read from GITHUB_TOKEN or GH_TOKEN.",
    )
    p.add_argument("--project", help="project name on the index (default: from ./pyproject.toml)")
    p.add_argument("--repo", help="OWNER/REPO (default: GITHUB_REPOSITORY or the origin remote)")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--version",
        dest="versions",
        action="append",
        metavar="V",
        help="audit this version (repeatable)",
    )
    which.add_argument("--all", action="store_true", help="audit every version (the default)")
    p.add_argument(
        "--verify",
        action="store_true",
        help="download every file and match its sha256 with the index and the release's provenance",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when a promise is broken (read the 'broken' count instead)",
    )
    p.add_argument("--output", type=Path, help="also write the JSON report to this file")
    p.add_argument(
        "--index-url", default="https://pypi.org", help="index serving the PyPI JSON API"
    )
    p.add_argument("--api-url", help="GitHub API URL (default: GITHUB_API_URL or api.github.com)")
    p.add_argument(
        "--tags-from",
        choices=["auto", "git", "github"],
        default="auto",
        help="where tags come from; auto: this clone when complete and of --repo, else the API",
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["tag", "release", "milestone", "assets"],
        help="leave a check out (repeatable), e.g. for a project without milestones",
    )
    p.add_argument(
        "--jobs", type=int, default=8, help="parallel requests (default 8; keep it modest)"
    )
    p.set_defaults(handler=_run_audit)


def _project_from_pyproject(path: Path) -> str | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("project", {}).get("name")
    return name if isinstance(name, str) and name else None


def _run_audit(args: argparse.Namespace, runner: gha.Runner) -> int:
    from .audit import (
        SYMBOLS,
        AuditOptions,
        GitHubReader,
        audit,
        git_checkout,
        git_origin_repo,
        render_broken,
        render_markdown,
        render_table,
        summary_counts,
    )
    from .errors import InputError
    from .files import write_atomic
    from .index_api import IndexClient
    from .webclient import WebClient

    env = runner.env
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None
    if token:
        runner.mask(token)
    if not 1 <= args.jobs <= 32:
        raise UsageError("--jobs must be between 1 and 32.", "Use a small number such as 8.")
    if not args.index_url.startswith(("https://", "http://")):
        raise UsageError(
            f"--index-url '{args.index_url}' is not an http(s) URL.",
            "Use the index's base URL, e.g. https://pypi.org or https://test.pypi.org.",
        )
    project = args.project or _project_from_pyproject(Path.cwd() / "pyproject.toml")
    if not project:
        raise InputError(
            "No project name: --project is not given and ./pyproject.toml names none.",
            "Pass --project NAME (the name on the index).",
        )
    cwd = Path.cwd()
    repo = (
        args.repo
        or env.get("GITHUB_REPOSITORY")
        or (git_origin_repo(cwd) if git_checkout(cwd) else None)
    )
    if not repo or repo.count("/") != 1 or not all(repo.split("/")):
        raise UsageError(
            f"No usable repository: {repo!r}." if repo else "No repository given.",
            "Pass --repo OWNER/REPO.",
        )
    api_url = args.api_url or env.get("GITHUB_API_URL") or "https://api.github.com"
    web = WebClient()
    github = GitHubReader(repo, api_url=api_url, token=token)
    options = AuditOptions(
        project=project,
        repo=repo,
        versions=args.versions,
        verify=args.verify,
        skip=args.skip,
        tags_from=args.tags_from,
        checkout=cwd,
        jobs=args.jobs,
    )
    result = audit(options, IndexClient(args.index_url, web), github, log=runner.info)
    document = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomic(args.output, document.encode("utf-8"))
    if args.json:
        sys.stdout.write(document)
    else:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        try:
            "".join(SYMBOLS.values()).encode(encoding)
            ascii_only = False
        except (UnicodeEncodeError, LookupError):
            ascii_only = True
        sys.stdout.write(render_table(result, ascii_only=ascii_only))
        for line in render_broken(result):
            sys.stdout.write(f"broken: {line}\n")
    broken = result.broken
    runner.info(summary_counts(result))
    outputs = {"broken": str(len(broken)), "versions": str(len(result.versions))}
    if args.output:
        outputs["report-file"] = _rel(args.output.absolute())
    runner.set_outputs(outputs)
    runner.summary(render_markdown(result))
    # GitHub shows only the first few annotations of a step; the summary has them all.
    annotate = runner.warning if args.exit_zero else runner.error
    for v, c in broken[:10]:
        annotate(f"{c.detail}. Fix: {c.fix}", title=f"Release audit: {v.version} {c.name}")
    if len(broken) > 10:
        annotate(
            f"{len(broken) - 10} more broken promise(s): see the job summary.",
            title="Release audit",
        )
    return 1 if broken and not args.exit_zero else 0


# -- main --------------------------------------------------------------------

COMMANDS = [
    _add_run,
    _add_build,
    _add_hash,
    _add_attest,
    _add_verify,
    _add_publish,
    _add_notes,
    _add_release_page,
    _add_audit,
]


def parser() -> _Parser:
    p = _Parser(
        prog="release-actions",
        description="Build, hash, attest, publish and release Python projects; "
        "the same commands the GitHub Actions of this suite run.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in COMMANDS:
        add(sub)
    return p


def report(error: ReleaseError, runner: gha.Runner) -> None:
    """One message naming the cause and the fix; on a runner also an annotation and a summary."""
    runner.error(error.message(), title=error.title)
    paragraph = f"### ❌ {error.title}\n\n{error.cause}\n\n"
    if error.fix:
        paragraph += f"**How to fix:** {error.fix}\n\n"
    if error.details:
        paragraph += error.details + "\n\n"
    if error.docs:
        paragraph += f"More: [{error.title}]({error.docs})"
    runner.summary(paragraph)


def main(argv: Sequence[str] | None = None, runner: gha.Runner | None = None) -> int:
    runner = runner or gha.Runner()
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = parser().parse_args(argv)
        if not getattr(args, "handler", None):
            raise UsageError("No command given.", "See 'release-actions --help' for the commands.")
        handler: Handler = args.handler
        return handler(args, runner)
    except ReleaseError as error:
        if debug:
            traceback.print_exc()
        report(error, runner)
        return error.exit_code
    except KeyboardInterrupt:
        runner.error("Interrupted.")
        return 130
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
