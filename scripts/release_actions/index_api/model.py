"""A project's versions and files as an index lists them, and the rules for file names.

Files are assigned to versions by their names (wheel and sdist rules, then the
older ``NAME-VERSION.ext`` forms); versions sort in PEP 440 order, those from
before PEP 440 first; upload times are read as indexes write them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ..versions import is_prerelease

_ARCHIVES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip", ".egg", ".exe", ".msi", ".rpm", ".dmg", ".deb")  # fmt: skip


@dataclass(frozen=True)
class IndexFile:
    """One file of a version as the index lists it."""

    filename: str
    url: str
    sha256: str  # lower-case hex, "" when the index gave none
    size: int | None
    packagetype: str
    yanked: bool
    yanked_reason: str | None
    upload_time: str  # ISO 8601, "" when the index gave none
    provenance: str | None = None  # PEP 740 Integrity API URL


@dataclass(frozen=True)
class IndexRelease:
    """One version of the project on the index."""

    version: str
    files: tuple[IndexFile, ...]
    yanked: bool
    yanked_reason: str | None

    @property
    def prerelease(self) -> bool:
        try:
            v = Version(self.version)
        except InvalidVersion:
            return False
        return is_prerelease(v)

    @property
    def uploaded(self) -> datetime | None:
        """When its first file was uploaded (None without files or upload times)."""
        times = [t for t in (parse_time(f.upload_time) for f in self.files) if t is not None]
        return min(times) if times else None


@dataclass
class IndexProject:
    """Every version of a project, and how they were read."""

    name: str
    url: str  # what was read first
    source: str  # "Simple API (JSON)", "Simple API (HTML)" or "JSON API"
    releases: list[IndexRelease]  # oldest first
    notes: list[str] = field(default_factory=list)
    unassigned: list[str] = field(default_factory=list)  # files that name no version

    def release(self, version: str) -> IndexRelease | None:
        for r in self.releases:
            if r.version == version:
                return r
        wanted = normal_version(version)
        return next((r for r in self.releases if normal_version(r.version) == wanted), None)

    @property
    def has_upload_times(self) -> bool:
        return all(f.upload_time for r in self.releases for f in r.files)


def version_key(version: str) -> tuple[int, Version | str]:
    """Sort key: PEP 440 order; versions the index kept from before PEP 440 go first."""
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def normal_version(version: str) -> str:
    try:
        return canonicalize_version(version)
    except (InvalidVersion, TypeError):
        return version


_FRACTION = re.compile(r"\.(\d+)")


def parse_time(value: str) -> datetime | None:
    """An ISO 8601 time as indexes write it (any number of fraction digits, ``Z``); UTC if naive."""
    if not value:
        return None
    # Python 3.10's fromisoformat takes exactly 3 or 6 fraction digits and no "Z".
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value.strip(), count=1)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def packagetype(filename: str) -> str:
    if filename.endswith(".whl"):
        return "bdist_wheel"
    if filename.endswith(".egg"):
        return "bdist_egg"
    if filename.endswith((".exe", ".msi")):
        return "bdist_wininst"
    return "sdist"


def version_of(filename: str, project: str, known: Iterable[str] = ()) -> str | None:
    """The version a file's name states, or None when it states none clearly."""
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            if name == canonicalize_name(project):
                return str(version)
    except (InvalidWheelFilename, InvalidSdistFilename):
        pass
    # Older formats (and sdists whose version is not PEP 440): NAME-VERSION[-more].ext,
    # where NAME, normalised, is the project's name.
    stem = next((filename[: -len(e)] for e in _ARCHIVES if filename.endswith(e)), "")
    parts = stem.split("-")
    wanted = canonicalize_name(project)
    for cut in range(1, len(parts)):
        if canonicalize_name("-".join(parts[:cut])) == wanted:
            candidate = parts[cut]
            by_normal = {normal_version(k): k for k in known}
            return by_normal.get(normal_version(candidate), candidate) if candidate else None
    return None
