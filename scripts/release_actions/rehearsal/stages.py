"""The stages of a rehearsal, each the release's own stage run on the rehearsal's folder.

Each returns what it left where (a line of the table); a warning goes through
the reporter it is given and lands in the same row.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..release_page import Request
from ..reporter import Reporter
from .folder import source_tree
from .model import Options, Rehearsal

FIX_CHANGELOG = (
    "Pass --changelog PATH, or add a CHANGES.rst or CHANGES.md with a section per version."
)


class Ahead:
    """Work of later stages that needs no distribution, done while the build runs.

    The build mostly waits for the backend's interpreters; meanwhile a thread
    loads the later stages' modules, reads the provenance's git context, makes
    the signing key and extracts the notes. Each stage takes its part at its
    turn, with its failure or its warnings, so the table and the order of the
    errors stay those of stages run one after another.
    """

    def __init__(self, run: Rehearsal, project: Path, env: Mapping[str, str], options: Options):
        self._done: dict[str, threading.Event] = {
            "attest": threading.Event(),
            "notes": threading.Event(),
        }
        self._results: dict[str, tuple[bool, Any]] = {}
        threading.Thread(target=self._work, args=(run, project, env, options), daemon=True).start()

    def _work(
        self, run: Rehearsal, project: Path, env: Mapping[str, str], options: Options
    ) -> None:
        ok = self._do("attest", lambda: _context(project, run.tag, options.signer))
        if ok:
            ctx = self._results["attest"][1][0]
            self._do("notes", lambda: _page_notes(run, project, env, options, ctx.repository))
        self._done["notes"].set()

    def _do(self, name: str, work: Callable[[], Any]) -> bool:
        try:
            self._results[name] = (True, work())
        except BaseException as error:  # raised again in the stage that needs it
            self._results[name] = (False, error)
        self._done[name].set()
        return self._results[name][0]

    def take(self, name: str) -> Any:
        """The part of stage ``name``: its result, or its error raised here."""
        self._done[name].wait()
        ok, value = self._results[name]
        if not ok:
            raise value
        return value


def _context(project: Path, tag: str, signer: str) -> tuple[Any, Any]:
    from .. import files, local_index, verify  # noqa: F401 (loaded for the stages after it)
    from ..provenance import context_from_git
    from ..signing import generate_key

    return context_from_git(project, tag), (generate_key() if signer != "none" else None)


class _Kept:
    """A reporter that keeps every call, to make them again on the stage's own reporter."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def info(self, message: str) -> None:
        self.calls.append(("info", (message,)))

    def notice(self, message: str, title: str = "") -> None:
        self.calls.append(("notice", (message, title)))

    def warning(self, message: str, title: str = "") -> None:
        self.calls.append(("warning", (message, title)))

    def mask(self, secret: str) -> None:
        self.calls.append(("mask", (secret,)))

    def replay(self, reporter: Reporter) -> None:
        for method, args in self.calls:
            getattr(reporter, method)(*args)


def _page_notes(
    run: Rehearsal, project: Path, env: Mapping[str, str], options: Options, repo: str
) -> tuple[Any, _Kept]:
    """The notes, with what they reported kept for the notes stage to pass on."""
    from ..git import runner_server
    from ..notes import page_notes

    kept = _Kept()
    notes = page_notes(
        run.version, changelog=options.changelog, project=project, repo=repo or None,
        server_url=runner_server(env),
        require_notes=options.require_notes, reporter=kept, fix=FIX_CHANGELOG,
        require="pass --require-notes",
    )  # fmt: skip
    return notes, kept


def build_dists(run: Rehearsal, project: Path, options: Options, reporter: Reporter) -> str:
    from ..build import build

    with source_tree(project, options.allow_dirty) as (tree, what):
        reporter.info(f"building {what}")
        result = build(
            project, run.out_dir / "dist", expected_version=run.version, clean=True,
            reporter=reporter, skip_checks=options.skip_checks, tree=tree,
        )  # fmt: skip
    run.dists = result.artifacts
    for name, reason in options.skip_checks.items():
        reporter.warning(f"{name} check skipped: {reason}")
    return f"dist/ ({', '.join(p.name for p in result.artifacts)}) from {what}"


def hash_dists(run: Rehearsal) -> str:
    from ..files import write_atomic
    from ..hashing import format_sums, hash_files

    run.files = hash_files(run.dists)
    write_atomic(run.out_dir / "SHA256SUMS", format_sums(run.files).encode())
    return "SHA256SUMS"


def attest(run: Rehearsal, ahead: Ahead, signer: str, reporter: Reporter) -> str:
    from ..files import write_atomic
    from ..provenance import make_statement, statement_bytes
    from ..signing import Signed, public_pem, sign_with_key, unsigned_envelope

    ctx, key = ahead.take("attest")
    run.sha = ctx.sha
    payload = statement_bytes(make_statement(run.files, ctx))
    folder = run.out_dir / "provenance"
    folder.mkdir()
    if signer == "none":
        signed = Signed(json.dumps(unsigned_envelope(payload), separators=(",", ":")), "unsigned")
        reporter.warning("unsigned provenance (--signer none): verify only checks its subjects")
    else:
        # A key for this run only: its private half never touches the disk.
        signed = sign_with_key(payload, key)
        pem = public_pem(key)
        write_atomic(folder / "rehearsal-key.pub.pem", pem)
        run.public_key = pem
    write_atomic(folder / "multiple.intoto.jsonl", (signed.line + "\n").encode())
    run.repo, run.server_url = ctx.repository, ctx.server_url
    label = "rehearsal key, provenance/rehearsal-key.pub.pem" if signer != "none" else "UNSIGNED"
    return f"provenance/multiple.intoto.jsonl ({label})"


def verify_provenance(run: Rehearsal, signer: str) -> str:
    from ..errors import VerificationError
    from ..verify import Artifact, Expectations, verify

    data = (run.out_dir / "provenance" / "multiple.intoto.jsonl").read_bytes()
    expect = Expectations(
        source_uri=f"{run.server_url}/{run.repo}" if run.repo else "",
        tag=run.tag,
        public_key_pem=run.public_key,
        allow_unsigned=signer == "none",
    )
    artifacts = [Artifact(s.name, s.sha256) for s in run.files]
    report = verify(artifacts, data, "multiple.intoto.jsonl", expect)
    if not report.ok:
        raise VerificationError(
            f"the provenance just made is {report.outcome}: {report.findings()}",
            "This is a bug in release-actions: please report it with the rehearsal folder.",
        )
    passed = sum(1 for c in report.checks if c.status == "pass")
    return f"{passed} check(s) passed, {len(artifacts)} artifact(s) match"


def notes(run: Rehearsal, ahead: Ahead, reporter: Reporter) -> str:
    from ..files import write_atomic

    notes, said = ahead.take("notes")
    said.replay(reporter)
    # As on GitHub: without notes the release goes ahead with GitHub's generated ones.
    run.notes, run.generate_notes = notes.markdown, notes.generate
    write_atomic(run.out_dir / "notes.md", notes.markdown.encode())
    if notes.changelog is None:
        return "notes.md (empty)"
    return f"notes.md (from {notes.changelog.name})"


def release_page(run: Rehearsal, github: bool, env: Mapping[str, str], reporter: Reporter) -> str:
    from ..files import write_atomic
    from ..hashing import hash_files
    from ..release_page import render_preview
    from ..versions import is_prerelease

    sidecars = [run.out_dir / "SHA256SUMS", run.out_dir / "provenance" / "multiple.intoto.jsonl"]
    request = Request(
        tag=run.tag,
        version=run.version,
        name=run.tag,
        notes=run.notes,
        draft=True,
        prerelease=is_prerelease(run.version),
        files=[*run.files, *hash_files(sidecars)],
        generate_notes=run.generate_notes,
        target_commitish=run.sha,
        overwrite_drafts=True,  # an earlier rehearsal's draft, with files built then
    )
    write_atomic(
        run.out_dir / "release-page.md", render_preview(request, run.repo or None).encode()
    )
    if not github:
        return "release-page.md (preview; --github makes the draft)"
    run.release_url = draft_release(request, run.repo, env, reporter)
    return f"draft release {run.release_url} (preview in release-page.md)"


def draft_release(request: Request, repo: str, env: Mapping[str, str], reporter: Reporter) -> str:
    """The draft release made for real (--github) by the release-page action's own stage."""
    from ..errors import CredentialError
    from ..github import ClientSettings, Target
    from ..release_page.make import make_release, published_release

    if not repo:
        raise UsageError(
            "--github needs the repository (a GitHub 'origin' remote) and GITHUB_TOKEN.",
            "Add the remote, export GITHUB_TOKEN, or leave out --github.",
        )
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise CredentialError(
            "--github needs GITHUB_TOKEN.",
            "Export a token with 'contents: write', or leave out --github.",
        )
    reporter.mask(token)
    target = Target.from_env(env, repo, token)
    settings = ClientSettings.from_env(env)
    published = published_release(target, request.tag, settings)
    if published:
        # A rehearsal makes drafts; it never changes what people already see.
        raise UsageError(
            f"{request.tag} is already released on GitHub ({published}); --github only makes drafts.",
            "Rehearse another --tag, or leave out --github.",
        )
    return make_release(target, request, settings=settings, reporter=reporter).html_url


def publish_dists(
    run: Rehearsal, repository_url: str | None, env: Mapping[str, str], reporter: Reporter
) -> str:
    from ..local_index import publish_to_folder

    if repository_url:
        # A real index (--repository-url): the publish action's own stage, with the hashes.
        from ..hashing import parse_subjects
        from ..publish import publish

        sums = run.out_dir / "SHA256SUMS"
        subjects = parse_subjects(sums.read_text(encoding="utf-8"), sums.name)
        outcome = publish(
            run.dists, repository_url, subjects=subjects, skip_existing=True, attestations=False,
            env=env, reporter=reporter,
        )  # fmt: skip
        run.index_url = repository_url
        return f"{repository_url} ({len(outcome.uploaded)} uploaded, {len(outcome.skipped)} already there)"
    result = publish_to_folder(run.dists, run.out_dir / "index" / "simple")
    run.index_url = result.index_url
    return f"index/simple/ ({len(result.uploaded)} file(s); pip install --index-url {result.index_url})"
