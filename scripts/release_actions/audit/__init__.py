"""Check, after the fact, that the release policy holds for every version on the index.

The promises, per version on the package index: a git tag names it (with or
without a leading ``v``), a GitHub release page exists for that tag and is
published, a milestone named after the version exists and is closed, and the
release page carries every file the index has. With ``verify``, every file is
downloaded from the index, its sha256 must equal the index's own digest, and
that digest must be covered by verified evidence: the file's PEP 740
attestations (from the index's Integrity API, signed by the repository's
publishing workflow), else the release's provenance (``multiple.intoto.jsonl``,
verified) or its ``SHA256SUMS``.

The index is read once per project (``index_api``). A request that fails for
one version (a 404, a timeout, an answer that is not what was asked for) makes
that version's check ``unreachable``, with the status and URL, and the audit
goes on. Yanked versions are reported as yanked and not checked. Reading is
parallel (a bounded thread pool), paginated and retried; see ``webclient``.

The package, by concern: ``model`` (what is read and found), ``repository``
(tags, releases and milestones from git and GitHub), ``checks`` (tag, release,
milestone, assets), ``evidence`` (downloads, PEP 740, provenance,
SHA256SUMS) and ``render`` (table, lines, job summary). This module runs them:
``audit()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from ..errors import InputError, ReleaseError
from ..index_api import (
    IndexClient,
    IndexFile,
    IndexProject,
    IndexRelease,
    select_version,
    version_key,
)
from ..reporter import Reporter, Silent
from ..webclient import WebClient
from .checks import check_basic
from .evidence import (
    AttestationVerifier,
    Provenance,
    ProvenanceVerifier,
    check_provenance,
    download,
    read_evidence,
    read_pep740,
    verify_attestations,
    verify_provenance,
)
from .model import (
    BROKEN,
    CHECKS,
    FIX_SINCE_NO_TIMES,
    MSG_SINCE_NO_TIMES,
    OK,
    SKIPPED,
    UNREACHABLE,
    Asset,
    AuditOptions,
    AuditReport,
    Milestone,
    Promise,
    Release,
    Since,
    VersionReport,
)
from .render import (
    SYMBOLS,
    render_broken,
    render_markdown,
    render_table,
    render_unreachable,
    summary_counts,
)
from .repository import GITHUB_SETTINGS, GitHubReader, RepoSource, read_repo_state

__all__ = [
    "BROKEN",
    "CHECKS",
    "GITHUB_SETTINGS",
    "OK",
    "SKIPPED",
    "SYMBOLS",
    "UNREACHABLE",
    "Asset",
    "AuditOptions",
    "AuditReport",
    "GitHubReader",
    "Milestone",
    "Promise",
    "Release",
    "RepoSource",
    "Since",
    "VersionReport",
    "audit",
    "render_broken",
    "render_markdown",
    "render_table",
    "render_unreachable",
    "summary_counts",
    "verify_attestations",
    "verify_provenance",
]  # fmt: skip


def audit(
    options: AuditOptions,
    index: IndexClient,
    github: RepoSource,
    *,
    verifier: ProvenanceVerifier = verify_provenance,
    attestation_verifier: AttestationVerifier = verify_attestations,
    reporter: Reporter | None = None,
) -> AuditReport:
    say = reporter or Silent()
    checks = tuple(
        c for c in CHECKS if c not in options.skip and (c != "provenance" or options.verify)
    )
    # Release assets are evidence for --verify, unless the user said not to read release pages.
    need = checks if "release" in checks else tuple(c for c in checks if c != "provenance")
    since = options.since
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        # The repository is read while the index answers.
        state_read = pool.submit(
            read_repo_state,
            github,
            tags_from=options.tags_from,
            checkout=options.checkout,
            need=need,
        )
        project = index.project(
            options.project, need_upload_times=since is not None and since.date is not None
        )
        say.info(
            f"{options.project}: {len(project.releases)} version(s) from the {project.source} at {project.url}"
        )
        for note in project.notes:
            say.info(f"{options.project}: {note}")
        if options.versions:
            releases = [select_version(project, v, index.index_url) for v in options.versions]
        else:
            releases = list(project.releases)
        excluded: list[str] = []
        if since is not None:
            excluded = _older(since, releases, project)
            releases = [r for r in releases if r.version not in excluded]
            say.info(f"{len(excluded)} version(s) older than --since {since.text} left out")
        state = state_read.result()
        say.info(
            f"{state.repo}: {len(state.tags)} tag(s) (from {state.tags_from}), "
            f"{len(state.releases)} release(s), {len(state.milestones)} milestone(s)"
        )
        reports = [check_basic(r, state, checks) for r in releases]
        if "provenance" in checks:
            _verify_all(
                reports,
                index.web,
                github,
                pool,
                say,
                verifier=verifier,
                attestation_verifier=attestation_verifier,
                workflow=options.workflow,
                releases_read="release" in checks,
            )
    reports.sort(key=lambda r: version_key(r.version), reverse=True)
    return AuditReport(
        options.project,
        state.repo,
        index.index_url,
        state.tags_from,
        options.verify,
        reports,
        checks,
        index_source=project.source,
        notes=list(project.notes),
        since=since.text if since else None,
        excluded=sorted(excluded, key=version_key, reverse=True),
    )


def _older(since: Since, releases: Sequence[IndexRelease], project: IndexProject) -> list[str]:
    """The versions --since leaves out; an InputError when there are no upload times to go by."""
    if since.date is not None:
        undated = [f for r in releases for f in r.files if not f.upload_time]
        if undated:
            raise InputError(
                MSG_SINCE_NO_TIMES.format(
                    value=since.text,
                    count=len(undated),
                    project=project.name,
                    notes="; ".join(project.notes) or "no upload-time",
                ),
                FIX_SINCE_NO_TIMES,
            )
    return [r.version for r in releases if since.excludes(r)]


def _verify_all(
    reports: list[VersionReport],
    web: WebClient,
    github: RepoSource,
    pool: ThreadPoolExecutor,
    reporter: Reporter,
    *,
    verifier: ProvenanceVerifier,
    attestation_verifier: AttestationVerifier,
    workflow: str,
    releases_read: bool,
) -> None:
    """Downloads, PEP 740 provenance and release evidence, in parallel; no failure stops the rest."""
    todo = [r for r in reports if not r.yanked]
    files = [(r, f) for r in todo for f in r.files if f.sha256]
    attested = [(r, f, f.provenance) for r in todo for f in r.files if f.provenance and f.sha256]
    reporter.info(
        f"downloading {len(files)} file(s) from the index to check their sha256"
        + (f", and the PEP 740 provenance of {len(attested)}" if attested else "")
    )
    fetched = pool.map(lambda item: download(web, item[1].url), files)
    provenance = pool.map(lambda item: read_pep740(item[1].filename, item[2], web), attested)
    downloads = {(r.version, f.filename): d for (r, f), d in zip(files, fetched, strict=True)}
    outcomes: dict[tuple[str, str], Provenance | ReleaseError] = {}

    def check_one(item: tuple[VersionReport, IndexFile, Provenance]) -> Provenance | ReleaseError:
        r, f, p = item
        if p.unreachable:
            return p
        try:
            attestation_verifier(p.data, f, github.repo_name, r.tag or "", workflow or p.workflow)
        except ReleaseError as exc:
            return exc
        return p

    read = [(r, f, p) for (r, f, _), p in zip(attested, provenance, strict=True)]
    for (r, f, _), outcome in zip(read, pool.map(check_one, read), strict=True):
        outcomes[(r.version, f.filename)] = outcome

    def attested_ok(r: VersionReport, f: IndexFile) -> bool:
        outcome = outcomes.get((r.version, f.filename))
        return isinstance(outcome, Provenance) and not outcome.unreachable

    headers = github.asset_headers()
    # Release evidence is read only where a file is not covered by verified attestations.
    with_release = [
        r
        for r in todo
        if r.release is not None and not all(attested_ok(r, f) for f in r.files if f.sha256)
    ]
    evidence = pool.map(
        lambda r: read_evidence(r.release, github.repo_name, web, headers, verifier),
        with_release,
    )
    by_version = dict(zip((r.version for r in with_release), evidence, strict=True))
    for r in todo:
        keys = [(r.version, f.filename) for f in r.files]
        r.checks["provenance"] = check_provenance(
            r,
            {name: downloads[(v, name)] for v, name in keys if (v, name) in downloads},
            by_version.get(r.version),
            {name: outcomes[(v, name)] for v, name in keys if (v, name) in outcomes},
            releases_read=releases_read,
        )
