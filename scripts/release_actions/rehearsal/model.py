"""What a rehearsal is asked to do and what it did, stage by stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from ..errors import ReleaseError
from ..git import GITHUB
from ..hashing import Subject


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
    server_url: str = GITHUB  # the origin's host (GitHub Enterprise too)
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
