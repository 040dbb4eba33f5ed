"""Reading a project's versions and files from a package index's JSON API.

``{index}/pypi/NAME/json`` lists the versions (its ``releases`` keys);
``{index}/pypi/NAME/VERSION/json`` lists one version's files (``urls``) with
their ``digests``, ``yanked`` state and download ``url``. PyPI answers 404 for
an unknown project or version and redirects a name that is not normalised.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .errors import AuditError, NetworkError
from .hashing import is_sha256_hex
from .versions import is_prerelease
from .webclient import WebClient

DEFAULT_INDEX = "https://pypi.org"

MSG_NO_PROJECT = "Project '{name}' is not on the index {index} (HTTP 404 from {url})."
FIX_NO_PROJECT = "Check the project name (--project) and the index URL (--index-url)."
MSG_NO_VERSION = "{name} {version} is not on the index {index} (HTTP 404 from {url})."
FIX_NO_VERSION = "Check the version (--version); 'release-actions audit --all' lists every version the index has."
MSG_BAD_STATUS = "The index answered HTTP {status} for {url}."
FIX_BAD_STATUS = "Check the index URL (--index-url); it must serve the PyPI JSON API under /pypi/."
MSG_BAD_JSON = "The index's answer for {url} is not the PyPI JSON API: {problem}."
FIX_BAD_JSON = "Point --index-url at an index that serves the PyPI JSON API (pypi.org, test.pypi.org, devpi, Warehouse)."


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
    upload_time: str


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


def version_key(version: str) -> tuple[int, Version | str]:
    """Sort key: PEP 440 order; versions the index kept from before PEP 440 go first."""
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def _field(obj: Any, key: str, kind: type, url: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise AuditError(MSG_BAD_JSON.format(url=url, problem=f"no '{key}'"), FIX_BAD_JSON)
    value = obj[key]
    if not isinstance(value, kind):
        raise AuditError(
            MSG_BAD_JSON.format(url=url, problem=f"'{key}' is not a {kind.__name__}"), FIX_BAD_JSON
        )
    return value


class IndexClient:
    """The JSON API of one index (PyPI by default)."""

    def __init__(self, index_url: str = DEFAULT_INDEX, web: WebClient | None = None) -> None:
        self.index_url = index_url.rstrip("/")
        self.web = web or WebClient()

    def _json(self, url: str, missing: tuple[str, str]) -> dict[str, Any]:
        response = self.web.get(url, headers={"Accept": "application/json"})
        if response.status == 404:
            raise AuditError(*missing)
        if response.status != 200:
            raise NetworkError(
                MSG_BAD_STATUS.format(status=response.status, url=url), FIX_BAD_STATUS
            )
        try:
            data = json.loads(response.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise AuditError(MSG_BAD_JSON.format(url=url, problem=exc), FIX_BAD_JSON) from None
        if not isinstance(data, dict):
            raise AuditError(MSG_BAD_JSON.format(url=url, problem="not an object"), FIX_BAD_JSON)
        return data

    def project_url(self, name: str, version: str | None = None) -> str:
        parts = [canonicalize_name(name)] + ([version] if version else [])
        path = "/".join(urllib.parse.quote(p, safe="") for p in parts)
        return f"{self.index_url}/pypi/{path}/json"

    def versions(self, name: str) -> list[str]:
        """Every version the index has for ``name`` (yanked ones included), oldest first."""
        url = self.project_url(name)
        data = self._json(
            url, (MSG_NO_PROJECT.format(name=name, index=self.index_url, url=url), FIX_NO_PROJECT)
        )
        releases = _field(data, "releases", dict, url)
        return sorted(releases, key=version_key)

    def release(self, name: str, version: str) -> IndexRelease:
        """One version's files, from ``/pypi/NAME/VERSION/json``."""
        url = self.project_url(name, version)
        data = self._json(
            url,
            (
                MSG_NO_VERSION.format(name=name, version=version, index=self.index_url, url=url),
                FIX_NO_VERSION,
            ),
        )
        info = _field(data, "info", dict, url)
        files = tuple(self._file(f, url) for f in _field(data, "urls", list, url))
        reported = info.get("version")
        shown = reported if isinstance(reported, str) and reported else version
        if isinstance(info.get("yanked"), bool):
            yanked = bool(info["yanked"])
            reason = info.get("yanked_reason")
        else:  # older Warehouse-compatible servers: a version is yanked when all its files are
            yanked = bool(files) and all(f.yanked for f in files)
            reason = files[0].yanked_reason if yanked else None
        return IndexRelease(
            shown,
            tuple(sorted(files, key=lambda f: f.filename)),
            yanked,
            reason if isinstance(reason, str) and reason else None,
        )

    def _file(self, entry: Any, url: str) -> IndexFile:
        filename = _field(entry, "filename", str, url)
        digests = entry.get("digests") if isinstance(entry.get("digests"), dict) else {}
        sha256 = str(digests.get("sha256") or "").lower()
        file_url = _field(entry, "url", str, url)
        size = entry.get("size")
        reason = entry.get("yanked_reason")
        return IndexFile(
            filename=filename,
            url=urllib.parse.urljoin(url, file_url),
            sha256=sha256 if is_sha256_hex(sha256) else "",
            size=size if isinstance(size, int) else None,
            packagetype=str(entry.get("packagetype") or ""),
            yanked=entry.get("yanked") is True,
            yanked_reason=reason if isinstance(reason, str) and reason else None,
            upload_time=str(entry.get("upload_time_iso_8601") or ""),
        )
