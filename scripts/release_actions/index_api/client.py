"""The index client: the Simple API in one request (JSON, else HTML), the JSON API to fill gaps."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

from packaging.utils import canonicalize_name

from ..errors import AuditError, NetworkError
from ..hashing import is_sha256_hex
from ..webclient import Response, WebClient
from .model import (
    IndexFile,
    IndexProject,
    IndexRelease,
    normal_version,
    packagetype,
    version_key,
    version_of,
)

DEFAULT_INDEX = "https://pypi.org"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
# JSON first; the HTML form only from an index that has nothing else.
SIMPLE_ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
INTEGRITY_ACCEPT = "application/vnd.pypi.integrity.v1+json, application/json;q=0.9"

MSG_NO_PROJECT = "Project '{name}' is not on the index {index} (HTTP 404 from {url})."
FIX_NO_PROJECT = "Check the project name (--project) and the index URL (--index-url)."
MSG_NO_VERSION = (
    "{name} {version} is not on the index {index} (it lists {count} version(s) at {url})."
)
FIX_NO_VERSION = "Check the version (--version); without it every version the index has is audited."
MSG_UNUSABLE = "The index {index} gave no usable list of {name}'s files: {simple}; {json_api}."
FIX_UNUSABLE = "Point --index-url at the index's base URL or its Simple API (e.g. https://pypi.org or https://pypi.org/simple)."

NOTE_HTML = "the index serves the Simple API as HTML only (PEP 503): no sizes or upload times"
NOTE_NO_VERSIONS = "the Simple API lists no versions (PEP 700): versions come from file names, so versions without files are missing"
NOTE_FALLBACK = "the JSON API ({url}) filled in {what}, which the Simple API lacks"
NOTE_FALLBACK_FAILED = (
    "the Simple API lacks {what}, and the JSON API could not fill it in ({problem})"
)
NOTE_JSON_ONLY = "the Simple API could not be used ({problem}): versions and files come from the JSON API ({url})"
NOTE_UNASSIGNED = "{count} file(s) name no version and are left out: {names}"


class _AnchorParser(HTMLParser):
    """The anchors of a PEP 503 page: (href, attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[str, dict[str, str | None], str]] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            values = dict(attrs)
            self._open = (values.get("href") or "", values)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((*self._open, "".join(self._text).strip()))
            self._open = None


class _Unusable(Exception):
    """An answer that is not the API asked for (its text says what it was instead)."""


def describe(response: Response) -> str:
    """An answer, for a message: its status, content type and URL."""
    kind = response.headers.get("Content-Type") or response.headers.get("content-type") or ""
    shown = f" ({kind.split(';')[0].strip()})" if kind and response.status == 200 else ""
    return f"HTTP {response.status}{shown} from {response.url}"


def content_type(response: Response) -> str:
    value = response.headers.get("Content-Type") or response.headers.get("content-type") or ""
    return value.split(";")[0].strip().lower()


class IndexClient:
    """The Simple API of one index (PyPI by default), with the JSON API as the fallback.

    ``index_url`` is the index's base URL (``https://pypi.org``) or its Simple
    API (``https://pypi.org/simple``, what pip's ``index-url`` names); the JSON
    API is looked for beside ``simple``.
    """

    def __init__(self, index_url: str = DEFAULT_INDEX, web: WebClient | None = None) -> None:
        url = index_url.rstrip("/")
        last = url.rsplit("/", 1)[-1]
        if last in ("simple", "+simple"):
            self.simple_url = url
            self.index_url = url.rsplit("/", 1)[0]
        else:
            self.simple_url = f"{url}/simple"
            self.index_url = url
        self.web = web or WebClient()

    def project_url(self, name: str) -> str:
        return f"{self.simple_url}/{urllib.parse.quote(canonicalize_name(name), safe='')}/"

    def json_url(self, name: str) -> str:
        return f"{self.index_url}/pypi/{urllib.parse.quote(canonicalize_name(name), safe='')}/json"

    # -- the one request ----------------------------------------------------------------------

    def project(self, name: str, *, need_upload_times: bool = False) -> IndexProject:
        """Every version of ``name`` with its files; raises AuditError for an unknown project."""
        url = self.project_url(name)
        response = self.web.get(url, headers={"Accept": SIMPLE_ACCEPT})
        try:
            if response.status == 404:
                raise _Unusable(describe(response))
            project = self._simple(name, response)
        except _Unusable as exc:
            return self._json_only(name, str(exc), not_found=response.status == 404)
        missing = []
        if any(not f.sha256 for r in project.releases for f in r.files):
            missing.append("sha256 digests")
        if need_upload_times and not project.has_upload_times:
            missing.append("upload times")
        if project.unassigned:
            missing.append("the versions of some files")
        if missing:
            self._fill_in(project, " and ".join(missing))
        if project.unassigned:
            names = project.unassigned
            shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
            project.notes.append(NOTE_UNASSIGNED.format(count=len(names), names=shown))
        return project

    def _simple(self, name: str, response: Response) -> IndexProject:
        if response.status != 200:
            raise _Unusable(describe(response))
        kind = content_type(response)
        if kind in (SIMPLE_JSON, "application/json"):
            data = self._decode(response)
            files, versions = self._simple_json(data, response.url)
            project = IndexProject(name, response.url, "Simple API (JSON)", [])
            if versions is None:
                project.notes.append(NOTE_NO_VERSIONS)
        elif kind in ("text/html", "application/vnd.pypi.simple.v1+html", ""):
            files = self._simple_html(response)
            versions = None
            project = IndexProject(name, response.url, "Simple API (HTML)", [], [NOTE_HTML])
        else:
            raise _Unusable(f"{describe(response)}, not the Simple API")
        project.releases, project.unassigned = self._group(name, files, versions)
        return project

    @staticmethod
    def _decode(response: Response) -> Any:
        try:
            return json.loads(response.body)
        except (ValueError, UnicodeDecodeError):
            raise _Unusable(f"{describe(response)} is not JSON") from None

    def _simple_json(
        self, data: Any, url: str
    ) -> tuple[list[tuple[IndexFile, str | None]], list[str] | None]:
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            raise _Unusable(f"the answer from {url} has no 'files' list")
        files: list[tuple[IndexFile, str | None]] = []
        for entry in data["files"]:
            if not isinstance(entry, dict):
                raise _Unusable(f"a file entry from {url} is not an object")
            filename, file_url = entry.get("filename"), entry.get("url")
            if not isinstance(filename, str) or not isinstance(file_url, str):
                raise _Unusable(f"a file entry from {url} lacks 'filename' or 'url'")
            hashes = entry.get("hashes")
            sha256 = str(hashes.get("sha256") or "").lower() if isinstance(hashes, dict) else ""
            yanked = entry.get("yanked")
            size = entry.get("size")
            provenance = entry.get("provenance")
            files.append(
                (
                    IndexFile(
                        filename=filename,
                        url=urllib.parse.urljoin(url, file_url),
                        sha256=sha256 if is_sha256_hex(sha256) else "",
                        size=size if isinstance(size, int) else None,
                        packagetype=packagetype(filename),
                        yanked=bool(yanked),
                        yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
                        upload_time=str(entry.get("upload-time") or ""),
                        provenance=urllib.parse.urljoin(url, provenance)
                        if isinstance(provenance, str) and provenance
                        else None,
                    ),
                    None,
                )
            )
        versions = data.get("versions")
        if isinstance(versions, list) and all(isinstance(v, str) for v in versions):
            return files, list(versions)
        return files, None

    @staticmethod
    def _simple_html(response: Response) -> list[tuple[IndexFile, str | None]]:
        try:
            text = response.body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unusable(f"{describe(response)} is not UTF-8 text") from None
        parser = _AnchorParser()
        parser.feed(text)
        files: list[tuple[IndexFile, str | None]] = []
        for href, attrs, label in parser.anchors:
            if not href:
                continue
            absolute = urllib.parse.urljoin(response.url, href)
            parts = urllib.parse.urlsplit(absolute)
            fragment = urllib.parse.parse_qs(parts.fragment)
            sha256 = (fragment.get("sha256") or [""])[0].lower()
            filename = label or urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
            yanked = "data-yanked" in attrs
            reason = attrs.get("data-yanked")
            provenance = attrs.get("data-provenance")
            files.append(
                (
                    IndexFile(
                        filename=filename,
                        url=urllib.parse.urlunsplit(parts._replace(fragment="")),
                        sha256=sha256 if is_sha256_hex(sha256) else "",
                        size=None,
                        packagetype=packagetype(filename),
                        yanked=yanked,
                        yanked_reason=reason or None,
                        upload_time="",
                        provenance=urllib.parse.urljoin(response.url, provenance)
                        if provenance
                        else None,
                    ),
                    None,
                )
            )
        if not files:
            # A project page without a single file is most likely no Simple API page at all
            # (a mirror's login or error page); the JSON API decides.
            raise _Unusable(f"{describe(response)} lists no files")
        return files

    @staticmethod
    def _group(
        name: str,
        files: Iterable[tuple[IndexFile, str | None]],
        versions: list[str] | None,
    ) -> tuple[list[IndexRelease], list[str]]:
        known = list(versions or [])
        by_version: dict[str, list[IndexFile]] = {v: [] for v in known}
        unassigned = []
        for f, stated in files:
            version = stated or version_of(f.filename, name, known)
            if version is None:
                unassigned.append(f.filename)
                continue
            if version not in by_version:
                match = next(
                    (k for k in by_version if normal_version(k) == normal_version(version)), None
                )
                version = match or version
            by_version.setdefault(version, []).append(f)
        releases = []
        for version, version_files in by_version.items():
            ordered = tuple(sorted(version_files, key=lambda f: f.filename))
            yanked = bool(ordered) and all(f.yanked for f in ordered)
            reason = next((f.yanked_reason for f in ordered if f.yanked_reason), None)
            releases.append(IndexRelease(version, ordered, yanked, reason if yanked else None))
        return sorted(releases, key=lambda r: version_key(r.version)), unassigned

    # -- the JSON API, where the Simple API falls short --------------------------------------------

    def _json_project(self, name: str) -> tuple[dict[str, Any], str]:
        """The JSON API's ``releases``: {version: [file]}; raises _Unusable with the reason."""
        url = self.json_url(name)
        response = self.web.get(url, headers={"Accept": "application/json"})
        if response.status != 200:
            raise _Unusable(describe(response))
        data = self._decode(response)
        releases = data.get("releases") if isinstance(data, dict) else None
        if not isinstance(releases, dict):
            raise _Unusable(f"the answer from {url} has no 'releases'")
        return releases, url

    @staticmethod
    def _json_file(entry: Any, url: str) -> IndexFile | None:
        if not isinstance(entry, dict):
            return None
        filename, file_url = entry.get("filename"), entry.get("url")
        if not isinstance(filename, str) or not isinstance(file_url, str):
            return None
        digests = entry.get("digests")
        sha256 = str(digests.get("sha256") or "").lower() if isinstance(digests, dict) else ""
        size = entry.get("size")
        reason = entry.get("yanked_reason")
        return IndexFile(
            filename=filename,
            url=urllib.parse.urljoin(url, file_url),
            sha256=sha256 if is_sha256_hex(sha256) else "",
            size=size if isinstance(size, int) else None,
            packagetype=str(entry.get("packagetype") or packagetype(filename)),
            yanked=entry.get("yanked") is True,
            yanked_reason=reason if isinstance(reason, str) and reason else None,
            upload_time=str(entry.get("upload_time_iso_8601") or ""),
        )

    def _json_files(
        self, releases: Mapping[str, Any], url: str
    ) -> list[tuple[IndexFile, str | None]]:
        files: list[tuple[IndexFile, str | None]] = []
        for version, entries in releases.items():
            for entry in entries if isinstance(entries, list) else []:
                f = self._json_file(entry, url)
                if f is not None:
                    files.append((f, str(version)))
        return files

    def _json_only(self, name: str, problem: str, *, not_found: bool) -> IndexProject:
        try:
            releases, url = self._json_project(name)
        except _Unusable as exc:
            if not_found and str(exc).startswith("HTTP 404"):
                simple = self.project_url(name)
                raise AuditError(
                    MSG_NO_PROJECT.format(name=name, index=self.index_url, url=simple),
                    FIX_NO_PROJECT,
                ) from None
            raise AuditError(
                MSG_UNUSABLE.format(index=self.index_url, name=name, simple=problem, json_api=exc),
                FIX_UNUSABLE,
            ) from None
        project = IndexProject(name, url, "JSON API", [])
        project.notes.append(NOTE_JSON_ONLY.format(problem=problem, url=url))
        project.releases, project.unassigned = self._group(
            name, self._json_files(releases, url), list(releases)
        )
        return project

    def _fill_in(self, project: IndexProject, what: str) -> None:
        """Digests, upload times and versions of files from the JSON API, once for the project."""
        try:
            releases, url = self._json_project(project.name)
        except _Unusable as exc:
            project.notes.append(NOTE_FALLBACK_FAILED.format(what=what, problem=exc))
            return
        except NetworkError as exc:
            project.notes.append(NOTE_FALLBACK_FAILED.format(what=what, problem=exc.cause))
            return
        project.notes.append(NOTE_FALLBACK.format(url=url, what=what))
        by_name = {f.filename: (f, v) for f, v in self._json_files(releases, url)}
        assigned = {f.filename for r in project.releases for f in r.files}
        merged: dict[str, list[IndexFile]] = {r.version: list(r.files) for r in project.releases}
        for r in project.releases:
            filled = []
            for f in r.files:
                other = by_name.get(f.filename)
                if other is not None:
                    f = replace(
                        f,
                        sha256=f.sha256 or other[0].sha256,
                        upload_time=f.upload_time or other[0].upload_time,
                        size=f.size if f.size is not None else other[0].size,
                    )
                filled.append(f)
            merged[r.version] = filled
        for filename, (f, version) in by_name.items():
            if filename not in assigned and version is not None:
                target = next(
                    (k for k in merged if normal_version(k) == normal_version(version)), version
                )
                merged.setdefault(target, []).append(f)
        yanked_state = {r.version: (r.yanked, r.yanked_reason) for r in project.releases}
        releases_out = []
        for version, files in merged.items():
            ordered = tuple(sorted(files, key=lambda f: f.filename))
            yanked, reason = yanked_state.get(
                version, (bool(ordered) and all(f.yanked for f in ordered), None)
            )
            releases_out.append(IndexRelease(version, ordered, yanked, reason))
        project.releases = sorted(releases_out, key=lambda r: version_key(r.version))
        project.unassigned = [n for n in project.unassigned if n not in by_name]


def select_version(project: IndexProject, version: str, index_url: str) -> IndexRelease:
    """The release for ``--version``; AuditError when the index does not have it."""
    found = project.release(version)
    if found is None:
        raise AuditError(
            MSG_NO_VERSION.format(
                name=project.name,
                version=version,
                index=index_url,
                count=len(project.releases),
                url=project.url,
            ),
            FIX_NO_VERSION,
        )
    return found
