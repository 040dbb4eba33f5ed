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

import time
from collections.abc import Callable, Mapping

from .. import git
from ..errors import InputError, ReleaseError
from ..reporter import Reporter
from . import stages
from .folder import DEFAULT_DIR, dirty_files, prepare_out_dir, resolve_tag, write_index
from .model import Options, Rehearsal, StageFailed, StageReport

__all__ = ["Options", "Rehearsal", "StageFailed", "StageReport", "rehearse"]


def rehearse(options: Options, *, env: Mapping[str, str], reporter: Reporter) -> Rehearsal:
    """Run every stage; raise StageFailed at the first failure (the report is on the error)."""
    from ..build import check_project
    from ..versions import version_from_tag

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
    ahead = stages.Ahead(run, project, env, options)  # what needs no distribution, meanwhile
    plan: list[tuple[str, Callable[[_Stage], str]]] = [
        ("build", lambda r: stages.build_dists(run, project, options, r)),
        ("hash", lambda r: stages.hash_dists(run)),
        ("attest", lambda r: stages.attest(run, ahead, options.signer, r)),
        ("verify", lambda r: stages.verify_provenance(run, options.signer)),
        # Publishing cannot be undone, so it comes last: notes and the (draft)
        # release page fail cheaply first, as in the release templates.
        ("notes", lambda r: stages.notes(run, ahead, r)),
        ("release page", lambda r: stages.release_page(run, options.github, env, r)),
        ("publish", lambda r: stages.publish_dists(run, options.repository_url, env, r)),
    ]
    for number, (name, stage) in enumerate(plan, 1):
        start = time.perf_counter()
        recorder = _Stage(reporter)
        try:
            output = stage(recorder)
        except ReleaseError as error:
            seconds = time.perf_counter() - start
            run.stages.append(StageReport(name, "failed", seconds, "", error.cause))
            run.stages += [StageReport(n, "not run") for n, _ in plan[number:]]
            write_index(run)
            reporter.info(f"[{number}/{len(plan)}] {name:<12} failed  {seconds:6.2f} s")
            raise StageFailed(name, error, run) from error
        seconds = time.perf_counter() - start
        message = "; ".join(recorder.warnings)
        result = "warning" if message else "ok"
        if message:
            run.warnings.append(f"{name}: {message}")
            reporter.warning(f"{name}: {message}", title="Rehearsal")
        run.stages.append(StageReport(name, result, seconds, output, message))
        reporter.info(f"[{number}/{len(plan)}] {name:<12} {result:<7} {seconds:6.2f} s  {output}")
    write_index(run)
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
