"""``release-actions run``: the whole release rehearsed locally, with the actions' own code.

build (+ checks) → hash → attest → verify → notes → release page → publish, in
that order, stopping at the first failure (publishing, the one step that cannot
be undone, comes last). Everything goes under one folder
(default ``PROJECT/.release-rehearsal/<version>/``) with a README saying what
is where. Defaults need no account and no network: the provenance is signed
with a key made for this run (its public half is kept beside it), the
distributions are published to a PEP 503 folder index that pip can install
from, and the release page is rendered to Markdown.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from . import git
from .errors import InputError, ReleaseError, UsageError
from .hashing import Subject
from .reporter import Reporter

if TYPE_CHECKING:
    from .release_page import Request

MARKER = ".release-rehearsal"  # marks a folder this command made and may empty again
DEFAULT_DIR = ".release-rehearsal"


@dataclass(frozen=True)
class Options:
    project: Path
    tag: str | None = None
    out_dir: Path | None = None
    repository_url: str | None = None
    signer: str = "key"
    github: bool = False
    allow_dirty: bool = False
    changelog: Path | None = None
    require_notes: bool = False
    skip_checks: Mapping[str, str] = field(default_factory=dict)  # check name → reason


@dataclass
class StageReport:
    name: str
    result: str  # ok | warning | failed | not run
    seconds: float = 0.0
    output: str = ""
    message: str = ""


@dataclass
class Rehearsal:
    """What a run did, stage by stage, and where it left things."""

    tag: str
    version: Version
    out_dir: Path
    stages: list[StageReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What each stage hands to the next.
    dists: list[Path] = field(default_factory=list)
    files: list[Subject] = field(default_factory=list)
    repo: str = ""  # OWNER/REPO of the GitHub origin, if any
    server_url: str = "https://github.com"  # the origin's host (GitHub Enterprise too)
    public_key: bytes | None = None
    notes: str = ""
    generate_notes: bool = False  # no notes in the change log: the page would use GitHub's
    sha: str = ""  # the commit rehearsed
    index_url: str = ""
    release_url: str = ""

    @property
    def failed(self) -> StageReport | None:
        return next((s for s in self.stages if s.result == "failed"), None)


class StageFailed(ReleaseError):
    """A stage failed: names the stage, keeps the cause and fix of the underlying error."""

    title = "Rehearsal failed"
    anchor = "rehearsal-failed"

    def __init__(self, stage: str, error: ReleaseError, rehearsal: Rehearsal) -> None:
        super().__init__(
            f"The rehearsal stopped at '{stage}': {error.cause}",
            error.fix,
            details=f"Everything made before it is in {rehearsal.out_dir} (see README.md there).",
        )
        self.rehearsal = rehearsal
        self.title = f"Rehearsal failed: {stage}"
        self.anchor = error.anchor or self.anchor
        self.exit_code = 1 if error.exit_code == 2 else error.exit_code
        self.error = error


# -- before the first stage ------------------------------------------------------------------


FIX_CHANGELOG = (
    "Pass --changelog PATH, or add a CHANGES.rst or CHANGES.md with a section per version."
)


def resolve_tag(project: Path, tag: str | None) -> str:
    """--tag, else the tag at HEAD; a rehearsal before tagging names the tag it will push."""
    found = tag or git.tag_at_head(project)
    if found:
        return found
    last = git.last_tag(project)
    hint = f" (the last tag is {last})" if last else ""
    raise InputError(
        f"No git tag points at HEAD{hint}, and no --tag was given.",
        "Pass the tag you are about to push, e.g. '--tag v1.2.3', or tag the commit first.",
    )


def dirty_files(project: Path, out_dir: Path) -> list[str]:
    """Uncommitted changes in the project, leaving out the rehearsal folder itself."""
    exclude: list[str] = []
    with suppress(ValueError):
        exclude = [f":(exclude){out_dir.resolve().relative_to(project.resolve())}"]
    result = git.run(
        project, "status", "--porcelain", "--untracked-files=normal", "--", ".", *exclude
    )
    if not result.ok:
        return []  # not a git checkout: nothing to compare with
    return [line[3:] for line in result.out.splitlines() if line.strip()]


def prepare_out_dir(out_dir: Path) -> None:
    """Empty a folder an earlier rehearsal made; refuse to touch anything else."""
    if out_dir.exists():
        if not out_dir.is_dir() or out_dir.is_symlink():
            raise InputError(f"'{out_dir}' exists and is not a folder.", "Pass another --out-dir.")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
            raise InputError(
                f"'{out_dir}' is not empty and was not made by a rehearsal.",
                "Pass an empty or new --out-dir; nothing in this folder was touched.",
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / MARKER).write_text("Made by 'release-actions run'; emptied by the next run.\n")
    # Keeps the folder out of 'git status' and out of VCS-driven sdists.
    (out_dir / ".gitignore").write_text("*\n")


# -- the stages ------------------------------------------------------------------------------------


def rehearse(options: Options, *, env: Mapping[str, str], reporter: Reporter) -> Rehearsal:
    """Run every stage; raise StageFailed at the first failure (the report is on the error)."""
    from .build import check_project
    from .versions import version_from_tag

    project = options.project
    check_project(project)
    if options.changelog is not None and not options.changelog.is_file():
        raise InputError(
            f"--changelog {options.changelog}: no such file.", "Pass the change log's path."
        )
    in_git = git.top_level(project) is not None  # refuses a checkout git will not read
    tag = resolve_tag(project, options.tag)
    version = version_from_tag(tag)
    out_dir = (options.out_dir or project / DEFAULT_DIR / str(version)).absolute()
    dirty = dirty_files(project, out_dir) if in_git else []
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        if not options.allow_dirty:
            raise InputError(
                f"The work tree has uncommitted changes ({shown}): the rehearsal would not be of what you tag.",
                "Commit or stash them, or pass --allow-dirty to rehearse the work tree as it is.",
            )
        reporter.warning(
            f"Rehearsing a work tree with uncommitted changes ({shown}).", title="Rehearsal"
        )
    prepare_out_dir(out_dir)
    run = Rehearsal(tag, version, out_dir)
    stages: list[tuple[str, Callable[[_Stage], str]]] = [
        ("build", lambda r: _build(run, project, options, r)),
        ("hash", lambda r: _hash(run)),
        ("attest", lambda r: _attest(run, project, options.signer, r)),
        ("verify", lambda r: _verify(run, options.signer)),
        # Publishing cannot be undone, so it comes last: notes and the (draft)
        # release page fail cheaply first, as in the release templates.
        ("notes", lambda r: _notes(run, project, env, options, r)),
        ("release page", lambda r: _release_page(run, options.github, env, r)),
        ("publish", lambda r: _publish(run, options.repository_url, env, r)),
    ]
    for number, (name, stage) in enumerate(stages, 1):
        start = time.perf_counter()
        recorder = _Stage(reporter)
        try:
            output = stage(recorder)
        except ReleaseError as error:
            seconds = time.perf_counter() - start
            run.stages.append(StageReport(name, "failed", seconds, "", error.cause))
            run.stages += [StageReport(n, "not run") for n, _ in stages[number:]]
            _write_index(run)
            reporter.info(f"[{number}/{len(stages)}] {name:<12} failed  {seconds:6.2f} s")
            raise StageFailed(name, error, run) from error
        seconds = time.perf_counter() - start
        message = "; ".join(recorder.warnings)
        result = "warning" if message else "ok"
        if message:
            run.warnings.append(f"{name}: {message}")
            reporter.warning(f"{name}: {message}", title="Rehearsal")
        run.stages.append(StageReport(name, result, seconds, output, message))
        reporter.info(f"[{number}/{len(stages)}] {name:<12} {result:<7} {seconds:6.2f} s  {output}")
    _write_index(run)
    return run


class _Stage:
    """A stage's reporter: progress goes straight on; warnings wait for the stage's row."""

    def __init__(self, outer: Reporter) -> None:
        self.outer = outer
        self.warnings: list[str] = []

    def info(self, message: str) -> None:
        self.outer.info(message)

    def notice(self, message: str, title: str = "") -> None:
        self.outer.notice(message, title)

    def warning(self, message: str, title: str = "") -> None:
        self.warnings.append(message)

    def mask(self, secret: str) -> None:
        self.outer.mask(secret)


@contextmanager
def source_tree(project: Path, allow_dirty: bool) -> Iterator[tuple[Path, str]]:
    """A checkout to build from, as CI would have it: (its project folder, what it is).

    In a git work tree: a temporary worktree of HEAD (plus, with --allow-dirty, the
    uncommitted changes), so neither ignored files nor the rehearsal folder can
    slip into an sdist, and the build leaves nothing behind in the project.
    Outside git: the project folder itself.
    """
    root = git.top_level(project)
    if root is None or git.head_commit(project) is None:
        yield project, "the project folder (not a git checkout)"
        return
    inside = project.resolve().relative_to(root.resolve())
    with tempfile.TemporaryDirectory(prefix="release-rehearsal-") as tmp:
        checkout = Path(tmp) / "checkout"
        added = git.run(root, "worktree", "add", "--detach", "--quiet", str(checkout), "HEAD")
        if not added.ok:
            raise InputError(
                f"git could not make a clean checkout to build from: {added.err.strip()}",
                "Run 'git worktree prune' and try again.",
            )
        try:
            what = "a clean checkout of HEAD"
            if allow_dirty:
                _copy_changes(root, checkout)
                what = "HEAD with the uncommitted changes"
            yield checkout / inside, what
        finally:
            git.run(root, "worktree", "remove", "--force", str(checkout))


def _copy_changes(root: Path, checkout: Path) -> None:
    """Bring modified, added and untracked (not ignored) files over; drop deleted ones."""
    changed = git.run(root, "ls-files", "-z", "--modified", "--others", "--exclude-standard")
    deleted = set(git.run(root, "ls-files", "-z", "--deleted").out.split("\0")) - {""}
    for name in sorted(set(changed.out.split("\0")) - {""}):
        target = checkout / name
        if name in deleted:
            target.unlink(missing_ok=True)
        elif (
            (root / name).is_file()
            and MARKER not in Path(name).parts
            and DEFAULT_DIR not in Path(name).parts
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target)


def _build(run: Rehearsal, project: Path, options: Options, reporter: Reporter) -> str:
    from .build import build

    with source_tree(project, options.allow_dirty) as (source, what):
        reporter.info(f"building {what}")
        result = build(
            source, run.out_dir / "dist", expected_version=run.version, clean=True,
            reporter=reporter, skip_checks=options.skip_checks,
        )  # fmt: skip
    run.dists = result.artifacts
    for name, reason in options.skip_checks.items():
        reporter.warning(f"{name} check skipped: {reason}")
    return f"dist/ ({', '.join(p.name for p in result.artifacts)}) from {what}"


def _hash(run: Rehearsal) -> str:
    from .files import write_atomic
    from .hashing import format_sums, hash_files

    run.files = hash_files(run.dists)
    write_atomic(run.out_dir / "SHA256SUMS", format_sums(run.files).encode())
    return "SHA256SUMS"


def _attest(run: Rehearsal, project: Path, signer: str, reporter: Reporter) -> str:
    from .files import write_atomic
    from .provenance import context_from_git, make_statement, statement_bytes
    from .signing import Signed, generate_key, public_pem, sign_with_key, unsigned_envelope

    ctx = context_from_git(project, run.tag)
    run.sha = ctx.sha
    payload = statement_bytes(make_statement(run.files, ctx))
    folder = run.out_dir / "provenance"
    folder.mkdir()
    if signer == "none":
        signed = Signed(json.dumps(unsigned_envelope(payload), separators=(",", ":")), "unsigned")
        reporter.warning("unsigned provenance (--signer none): verify only checks its subjects")
    else:
        # A key for this run only: its private half never touches the disk.
        key = generate_key()
        signed = sign_with_key(payload, key)
        pem = public_pem(key)
        write_atomic(folder / "rehearsal-key.pub.pem", pem)
        run.public_key = pem
    write_atomic(folder / "multiple.intoto.jsonl", (signed.line + "\n").encode())
    run.repo, run.server_url = ctx.repository, ctx.server_url
    label = "rehearsal key, provenance/rehearsal-key.pub.pem" if signer != "none" else "UNSIGNED"
    return f"provenance/multiple.intoto.jsonl ({label})"


def _verify(run: Rehearsal, signer: str) -> str:
    from .errors import VerificationError
    from .verify import Artifact, Expectations, verify

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


def _publish(
    run: Rehearsal, repository_url: str | None, env: Mapping[str, str], reporter: Reporter
) -> str:
    from .local_index import publish_to_folder

    if repository_url:
        # A real index (--repository-url): the publish action's own stage, with the hashes.
        from .hashing import parse_subjects
        from .publish import publish

        sums = run.out_dir / "SHA256SUMS"
        subjects = parse_subjects(sums.read_text(encoding="utf-8"), sums.name)
        outcome = publish(
            run.dists, repository_url, subjects=subjects, skip_existing=True, attestations=False,
            env=env, mask=reporter.mask, log=reporter.info,
        )  # fmt: skip
        run.index_url = repository_url
        return f"{repository_url} ({len(outcome.uploaded)} uploaded, {len(outcome.skipped)} already there)"
    result = publish_to_folder(run.dists, run.out_dir / "index" / "simple")
    run.index_url = result.index_url
    return f"index/simple/ ({len(result.uploaded)} file(s); pip install --index-url {result.index_url})"


def _notes(
    run: Rehearsal, project: Path, env: Mapping[str, str], options: Options, reporter: Reporter
) -> str:
    from .changelog import DEFAULT_SERVER
    from .files import write_atomic
    from .notes import page_notes

    notes = page_notes(
        run.version, changelog=options.changelog, project=project, repo=run.repo or None,
        server_url=env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER,
        require_notes=options.require_notes, reporter=reporter, fix=FIX_CHANGELOG,
        require="pass --require-notes",
    )  # fmt: skip
    # As on GitHub: without notes the release goes ahead with GitHub's generated ones.
    run.notes, run.generate_notes = notes.markdown, notes.generate
    write_atomic(run.out_dir / "notes.md", notes.markdown.encode())
    if notes.changelog is None:
        return "notes.md (empty)"
    return f"notes.md (from {notes.changelog.name})"


def _release_page(run: Rehearsal, github: bool, env: Mapping[str, str], reporter: Reporter) -> str:
    from .files import write_atomic
    from .hashing import hash_files
    from .release_page import Request, render_preview
    from .versions import is_prerelease

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
    run.release_url = _draft_release(request, run.repo, env, reporter)
    return f"draft release {run.release_url} (preview in release-page.md)"


def _draft_release(request: Request, repo: str, env: Mapping[str, str], reporter: Reporter) -> str:
    """The draft release made for real (--github) by the release-page action's own stage."""
    from .errors import CredentialError
    from .github import DEFAULT_API_URL, ClientSettings, Target
    from .release_page import make_release, published_release

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
    target = Target(env.get("GITHUB_API_URL") or DEFAULT_API_URL, repo, token)
    settings = ClientSettings.from_env(env)
    published = published_release(target, request.tag, settings)
    if published:
        # A rehearsal makes drafts; it never changes what people already see.
        raise UsageError(
            f"{request.tag} is already released on GitHub ({published}); --github only makes drafts.",
            "Rehearse another --tag, or leave out --github.",
        )
    return make_release(target, request, settings=settings, log=reporter.info).html_url


# -- the folder's index -------------------------------------------------------------------------------


def _write_index(run: Rehearsal) -> None:
    from .files import write_atomic
    from .markdown import table

    rows = [[s.name, s.result, f"{s.seconds:.2f} s", s.output or s.message] for s in run.stages]
    lines = [
        f"# Release rehearsal of {run.tag}",
        "",
        "Made by `release-actions run`; the next run empties this folder.",
        "",
        table(["stage", "result", "time", "output"], rows),
        "",
        "- `dist/`: the sdist and wheel, built and checked",
        "- `SHA256SUMS`: their sha256, as `sha256sum` prints them",
        "- `provenance/multiple.intoto.jsonl`: SLSA v1 provenance, signed with a key made for this run "
        "(`provenance/rehearsal-key.pub.pem`); a rehearsal signature, not a release one",
        "- `index/simple/`: a PEP 503 package index holding the files (when no --repository-url was given)",
        "- `notes.md`: the change log's section for the version, as GitHub Markdown",
        "- `release-page.md`: the release page as the release-page action would make it",
        "",
    ]
    write_atomic(run.out_dir / "README.md", "\n".join(lines).encode())
