"""The local rehearsal: every stage of a release, in order, with the actions' own code.

build (+ checks) → hash → attest → verify → publish → notes → release page.
Defaults need no account and no network beyond the package index: the
provenance is signed with a key made for this run, the packages go to a
folder index pip can install from, and the release page is rendered to
Markdown. The first failing stage stops the run; the error names the stage
and what the earlier stages left where.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from .errors import InputError, ReleaseError
from .gitinfo import Checkout, read_checkout
from .versions import version_from_tag

MARKER = ".release-rehearsal"
DEFAULT_ROOT = ".release-rehearsal"


@dataclass
class Options:
    project: Path
    tag: str | None = None
    out_dir: Path | None = None
    repository_url: str | None = None
    signer: str = "key"
    github: bool = False
    allow_dirty: bool = False
    repo: str | None = None


@dataclass
class StageReport:
    name: str
    status: str  # "ok", "failed", "skipped"
    seconds: float
    output: str = ""
    detail: str = ""


@dataclass
class Rehearsal:
    """What a run produced: where everything is, and how each stage went."""

    project: Path
    tag: str
    version: Version
    out_dir: Path
    checkout: Checkout | None
    stages: list[StageReport] = field(default_factory=list)
    artifacts: list[Path] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # label → path, for the index page
    name: str = ""
    warnings: list[str] = field(default_factory=list)


class StageFailed(ReleaseError):
    """A stage of the rehearsal failed; carries the stage's own error."""

    def __init__(self, stage: str, error: ReleaseError, left: str) -> None:
        super().__init__(
            f"The {stage} stage failed: {error.cause}",
            error.fix + (f" {left}" if left else ""),
            details=error.details,
        )
        self.stage = stage
        self.error = error
        self.exit_code = error.exit_code
        self.title = f"Rehearsal failed at {stage}"
        self.anchor = error.anchor


def resolve_tag(opts: Options, checkout: Checkout | None) -> tuple[str, str]:
    """The tag to rehearse, and where it came from."""
    if opts.tag:
        return opts.tag, "--tag"
    if checkout and checkout.exact_tag:
        return checkout.exact_tag, "the tag on HEAD"
    if checkout and checkout.nearest_tag:
        return checkout.nearest_tag, "the nearest tag (git describe)"
    raise InputError(
        "No release tag: HEAD has no tag and none was given.",
        "Pass the tag you are about to push, e.g. --tag v1.2.3.",
    )


def prepare(opts: Options, warn: Callable[[str], None]) -> Rehearsal:
    """Check the inputs and make the output folder, before any stage runs."""
    from .build import check_project

    project = opts.project
    check_project(project)
    checkout = read_checkout(project)
    tag, source = resolve_tag(opts, checkout)
    version = version_from_tag(tag)
    if checkout and checkout.dirty:
        shown = ", ".join(line[3:] for line in checkout.dirty[:5])
        more = f" and {len(checkout.dirty) - 5} more" if len(checkout.dirty) > 5 else ""
        if not opts.allow_dirty:
            raise InputError(
                f"The work tree has uncommitted changes ({shown}{more}); a release is built from a commit.",
                "Commit or stash them, or pass --allow-dirty to rehearse with them anyway.",
            )
        warn(f"rehearsing with uncommitted changes: {shown}{more}")
    out_dir = (opts.out_dir or project / DEFAULT_ROOT / str(version)).absolute()
    _fresh_dir(out_dir)
    rehearsal = Rehearsal(project, tag, version, out_dir, checkout)
    if source != "--tag":
        warn(f"using {tag} ({source}); pass --tag to rehearse another version")
    return rehearsal


def _fresh_dir(out_dir: Path) -> None:
    """Empty a previous rehearsal's folder; never a folder that is not one."""
    if out_dir.exists():
        if not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists()):
            raise InputError(
                f"'{out_dir}' exists and is not a rehearsal folder.",
                "Pass an empty or new directory with --out-dir.",
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / MARKER).write_text("Made by release-actions run; deleted by the next run.\n")


def run_stage(
    rehearsal: Rehearsal,
    name: str,
    fn: Callable[[], str],
    report: Callable[[StageReport], None],
) -> None:
    start = time.perf_counter()
    try:
        output = fn()
    except ReleaseError as error:
        stage = StageReport(name, "failed", time.perf_counter() - start, detail=error.cause)
        rehearsal.stages.append(stage)
        report(stage)
        left = _left_behind(rehearsal)
        raise StageFailed(name, error, left) from error
    stage = StageReport(name, "ok", time.perf_counter() - start, output)
    rehearsal.stages.append(stage)
    report(stage)


def _left_behind(rehearsal: Rehearsal) -> str:
    done = [s.name for s in rehearsal.stages if s.status == "ok"]
    if not done:
        return "Nothing was written."
    return f"Earlier stages ({', '.join(done)}) left their output in {rehearsal.out_dir}."
