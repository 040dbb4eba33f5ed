"""What the audit reads and what it finds: the repository's state, checks, reports, --since."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from packaging.version import InvalidVersion, Version

from ..errors import UsageError, shown
from ..index_api import IndexFile, IndexRelease, parse_time

Status = Literal["ok", "broken", "unreachable", "skipped"]
OK: Status = "ok"
BROKEN: Status = "broken"
UNREACHABLE: Status = "unreachable"  # the evidence could not be read: undecided, exit 3
SKIPPED: Status = "skipped"
CHECKS = ("tag", "release", "milestone", "assets", "provenance")
PROVENANCE_NAME = "multiple.intoto.jsonl"
SUMS_NAMES = ("SHA256SUMS", "SHA256SUMS.txt")
DEFAULT_JOBS = 8


# -- what GitHub and git hold -------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    name: str
    url: str  # API URL (download with Accept: application/octet-stream)
    download_url: str  # browser_download_url
    digest: str | None  # sha256 hex when GitHub reports one
    size: int | None = None


@dataclass(frozen=True)
class Release:
    tag: str
    draft: bool
    prerelease: bool
    url: str
    assets: tuple[Asset, ...] = ()

    def asset(self, *names: str) -> Asset | None:
        for name in names:
            for a in self.assets:
                if a.name == name:
                    return a
        return None


@dataclass(frozen=True)
class Milestone:
    title: str
    closed: bool
    url: str = ""


@dataclass(frozen=True)
class RepoState:
    repo: str
    tags: frozenset[str]
    tags_from: str  # "git" or "github"
    releases: tuple[Release, ...]
    milestones: tuple[Milestone, ...]


# -- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Promise:
    """One promise of the release policy (a tag, a release page, a milestone, the assets,
    provenance) as found for one version."""

    name: str
    status: Status
    detail: str = ""
    fix: str = ""


@dataclass
class VersionReport:
    version: str
    prerelease: bool
    yanked: bool
    yanked_reason: str | None
    files: tuple[IndexFile, ...]
    tag: str | None = None
    release: Release | None = None
    checks: dict[str, Promise] = field(default_factory=dict)

    @property
    def broken(self) -> list[Promise]:
        return [c for c in self.checks.values() if c.status == BROKEN]

    @property
    def unreachable(self) -> list[Promise]:
        return [c for c in self.checks.values() if c.status == UNREACHABLE]

    @property
    def status(self) -> str:
        if self.yanked:
            return "yanked"
        if self.broken:
            return BROKEN
        return UNREACHABLE if self.unreachable else OK

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "status": self.status,
            "prerelease": self.prerelease,
            "yanked": self.yanked,
            "yanked_reason": self.yanked_reason,
            "tag": self.tag,
            "release": None
            if self.release is None
            else {"tag": self.release.tag, "draft": self.release.draft, "url": self.release.url},
            "files": [
                {
                    "filename": f.filename,
                    "sha256": f.sha256,
                    "size": f.size,
                    "upload_time": f.upload_time or None,
                    "provenance": f.provenance,
                }
                for f in self.files
            ],
            "checks": {
                c.name: {"status": c.status, "detail": c.detail, "fix": c.fix}
                for c in self.checks.values()
            },
        }


@dataclass
class AuditReport:
    project: str
    repo: str
    index_url: str
    tags_from: str
    verified: bool
    versions: list[VersionReport]
    checks: tuple[str, ...]
    index_source: str = ""  # which API listed the versions
    notes: list[str] = field(default_factory=list)  # what the index lacked, and what filled in
    since: str | None = None
    excluded: list[str] = field(default_factory=list)  # versions older than --since

    @property
    def broken(self) -> list[tuple[VersionReport, Promise]]:
        return [(v, c) for v in self.versions for c in v.broken]

    @property
    def unreachable(self) -> list[tuple[VersionReport, Promise]]:
        return [(v, c) for v in self.versions for c in v.unreachable]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "repository": self.repo,
            "index": self.index_url,
            "index_source": self.index_source,
            "index_notes": list(self.notes),
            "tags_from": self.tags_from,
            "verified": self.verified,
            "checks": list(self.checks),
            "ok": not self.broken and not self.unreachable,
            "broken": len(self.broken),
            "unreachable": len(self.unreachable),
            "since": self.since,
            "excluded": list(self.excluded),
            "versions": [v.to_json() for v in self.versions],
        }


# -- which versions -------------------------------------------------------------------

MSG_SINCE = "--since '{value}' is neither a version nor a date (YYYY-MM-DD)."
FIX_SINCE = "Pass the first version released under the policy (e.g. --since 2.0.0) or the date it was adopted (e.g. --since 2023-01-31)."
MSG_SINCE_NO_TIMES = "--since {value} needs upload times, and the index gives none for {count} file(s) of {project} ({notes})."
FIX_SINCE_NO_TIMES = (
    "Use --since VERSION instead, or an index that serves PEP 700 upload times or the JSON API."
)


@dataclass(frozen=True)
class Since:
    """--since: versions older than a version, or first uploaded before a date, are left out."""

    text: str
    version: Version | None = None
    date: datetime | None = None

    @classmethod
    def parse(cls, value: str) -> Since:
        text = value.strip()
        if _DATE.fullmatch(text):
            when = parse_time(text)
            if when is None:
                raise UsageError(MSG_SINCE.format(value=shown(value)), FIX_SINCE)
            return cls(text, date=when)
        try:
            return cls(text, version=Version(text))
        except InvalidVersion:
            raise UsageError(MSG_SINCE.format(value=shown(value)), FIX_SINCE) from None

    def excludes(self, release: IndexRelease) -> bool:
        if self.version is not None:
            try:
                return Version(release.version) < self.version
            except InvalidVersion:
                return True  # a version from before PEP 440 is older than any policy
        uploaded = release.uploaded
        return uploaded is not None and self.date is not None and uploaded < self.date


_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)


@dataclass
class AuditOptions:
    project: str
    repo: str
    versions: Sequence[str] | None = None  # None: every version on the index
    verify: bool = False
    skip: Sequence[str] = ()
    tags_from: str = "auto"
    checkout: Path | None = None
    jobs: int = DEFAULT_JOBS
    since: Since | None = None
    workflow: str = ""  # the publishing workflow PEP 740 attestations must name ("" = the index's)
