"""A strict local fake of a package index (PyPI's documented shapes) and its files.

Serves, on 127.0.0.1 with a free port:

- ``GET /simple/<name>/``: the Simple API, as JSON (PEP 691 with PEP 700's
  ``versions``, ``size``, ``upload-time`` and PEP 740's ``provenance``) when
  the request's ``Accept`` asks for ``application/vnd.pypi.simple.v1+json``,
  else as HTML (PEP 503, with ``data-yanked`` and ``data-provenance``);
- ``GET /integrity/<name>/<version>/<filename>/provenance``: a file's PEP 740
  provenance object (``version``, ``attestation_bundles``), 404 without one;
- ``GET /pypi/<name>/json``: ``info``, ``last_serial``, ``releases`` (every
  version and its files), ``urls`` (the latest version's files),
  ``vulnerabilities``;
- ``GET /pypi/<name>/<version>/json``: the same for one version, without
  ``releases`` (as PyPI does);
- ``GET /packages/<blake2b prefix>/<filename>``: the file's bytes.

File objects carry exactly the documented fields: ``filename``,
``packagetype``, ``python_version``, ``requires_python``, ``size``,
``digests{md5,sha256,blake2b_256}``, ``upload_time``,
``upload_time_iso_8601``, ``url``, ``yanked``, ``yanked_reason``,
``comment_text``, ``has_sig``. An unknown project or version is a 404; a
project name that is not normalised is a 301 to the normalised URL; anything
but GET/HEAD is a 405. ``json_api=False`` makes an index that serves only the
Simple API (``/pypi/`` answers 404); ``simple_json=False`` one whose Simple
API is HTML only (as pypiserver's); ``html_mirror=True`` one that answers
HTML to everything, as a mirror that ignores ``Accept`` and serves its own
pages where the JSON APIs would be. Tests can replace a file (a re-upload: the index's
digest follows the new bytes), corrupt what is served (the digest stays), and
queue transient failures (status codes with headers, or a dropped
connection) to exercise retries. Every request is logged, and the highest
number of requests in flight at once is recorded.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from support.loopback import Handler, Loopback

_PROJECT = re.compile(r"^/pypi/(?P<name>[^/]+)/(?:(?P<version>[^/]+)/)?json/?$")
_SIMPLE = re.compile(r"^/simple/(?P<name>[^/]+)/?$")
_INTEGRITY = re.compile(
    r"^/integrity/(?P<name>[^/]+)/(?P<version>[^/]+)/(?P<filename>[^/]+)/provenance$"
)
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
_FILE = re.compile(r"^/packages/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{60}/(?P<filename>[^/]+)$")


@dataclass
class FakeFile:
    filename: str
    content: bytes
    version: str
    upload_time: datetime
    yanked: bool = False
    yanked_reason: str | None = None
    served: bytes | None = None  # bytes served instead of ``content`` (corruption)
    bundles: list[dict[str, Any]] | None = None  # PEP 740 attestation bundles

    @property
    def packagetype(self) -> str:
        return "bdist_wheel" if self.filename.endswith(".whl") else "sdist"

    def digests(self) -> dict[str, str]:
        return {
            "blake2b_256": hashlib.blake2b(self.content, digest_size=32).hexdigest(),
            "md5": hashlib.md5(self.content, usedforsecurity=False).hexdigest(),
            "sha256": hashlib.sha256(self.content).hexdigest(),
        }

    def path(self) -> str:
        b2 = self.digests()["blake2b_256"]
        return f"/packages/{b2[:2]}/{b2[2:4]}/{b2[4:]}/{urllib.parse.quote(self.filename)}"


@dataclass
class Fault:
    """A transient failure served to the next ``times`` requests whose path matches."""

    match: Callable[[str], bool]
    status: int  # 0: drop the connection without answering; -1: answer late (``stall``)
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


class FakeIndex:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        json_api: bool = True,
        simple_json: bool = True,
        html_mirror: bool = False,
    ) -> None:
        self.json_api = json_api
        self.simple_json = simple_json
        self.html_mirror = html_mirror  # overrides both
        self.projects: dict[str, dict[str, list[FakeFile]]] = {}
        self.display_names: dict[str, str] = {}
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, int]] = []  # (method, path, status)
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._clock = datetime(2024, 1, 1, tzinfo=timezone.utc)
        self._loopback: Loopback | None = None

    # -- content -------------------------------------------------------------

    def add(
        self,
        name: str,
        version: str,
        files: dict[str, bytes],
        *,
        yanked: bool = False,
        yanked_reason: str | None = None,
    ) -> list[FakeFile]:
        """Publish a version (as an upload would): files are named as given."""
        key = canonicalize_name(name)
        self.display_names.setdefault(key, name)
        versions = self.projects.setdefault(key, {})
        added = []
        for filename, content in files.items():
            self._clock += timedelta(minutes=1)
            added.append(FakeFile(filename, content, version, self._clock, yanked, yanked_reason))
        versions.setdefault(version, []).extend(added)
        return added

    def file(self, filename: str) -> FakeFile:
        for versions in self.projects.values():
            for files in versions.values():
                for f in files:
                    if f.filename == filename:
                        return f
        raise KeyError(filename)

    def yank(self, name: str, version: str, reason: str | None = None) -> None:
        for f in self.projects[canonicalize_name(name)][version]:
            f.yanked, f.yanked_reason = True, reason

    def attest(
        self, filename: str, attestations: list[dict[str, Any]], publisher: dict[str, Any]
    ) -> None:
        """Record PEP 740 attestations for a file, as a trusted publisher's upload would."""
        self.file(filename).bundles = [{"publisher": publisher, "attestations": attestations}]

    def replace(self, filename: str, content: bytes) -> None:
        """A re-upload of other bytes under the same name: the index's digests follow them."""
        self.file(filename).content = content

    def corrupt(self, filename: str, served: bytes) -> None:
        """Serve other bytes than the ones the index's digests describe."""
        self.file(filename).served = served

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        path: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next ``times`` requests whose path contains ``path`` get ``status`` (0: reset)."""
        self.faults.append(Fault(lambda p: path in p, status, times, dict(headers or {})))

    def stall(self, seconds: float, *, times: int = 1, path: str = "") -> None:
        """The next ``times`` requests whose path contains ``path`` wait ``seconds``, then hang up."""
        self.faults.append(Fault(lambda p: path in p, -1, times, seconds=seconds))

    # -- server --------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._loopback is not None, "start the fake first"
        return self._loopback.url

    def __enter__(self) -> FakeIndex:
        fake = self

        class Index(Handler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self, head=False)

            def do_HEAD(self) -> None:
                fake._handle(self, head=True)

            def _refuse(self) -> None:
                fake._send(self, "405", 405, b'{"message": "Method Not Allowed"}', head=False)

            do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

        self._loopback = Loopback(Index).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loopback is not None
        self._loopback.stop()

    # -- protocol ------------------------------------------------------------

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        path: str,
        status: int,
        body: bytes,
        *,
        head: bool,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        with self._lock:
            self.log.append((handler.command, path, status))
        self._done(handler)  # the client may send its next request as soon as it reads this
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if not head:
            handler.wfile.write(body)

    def _done(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            if getattr(handler, "in_flight", False):
                handler.in_flight = False  # type: ignore[attr-defined]
                self.in_flight -= 1

    def _handle(self, handler: BaseHTTPRequestHandler, *, head: bool) -> None:
        with self._lock:
            self.in_flight += 1
            handler.in_flight = True  # type: ignore[attr-defined]
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            self._route(handler, head=head)
        finally:
            self._done(handler)

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.match(path):
                    fault.times -= 1
                    return fault
        return None

    def _route(self, handler: BaseHTTPRequestHandler, *, head: bool) -> None:
        path = urllib.parse.urlsplit(handler.path).path
        fault = self._fault_for(path)
        if fault is not None and fault.status == -1:
            time.sleep(fault.seconds)  # the client has given up by now: no answer at all
            with self._lock:
                self.log.append((handler.command, path, -1))
            handler.close_connection = True
            return
        if fault is not None:
            if fault.status == 0:
                with self._lock:
                    self.log.append((handler.command, path, 0))
                handler.close_connection = True
                handler.connection.shutdown(2)  # a reset: no status line at all
                return
            body = json.dumps({"message": f"fake fault {fault.status}"}).encode()
            self._send(handler, path, fault.status, body, head=head, headers=fault.headers)
            return
        if self.html_mirror and not _FILE.match(path) and not _SIMPLE.match(path):
            page = b"<!DOCTYPE html><html><body><h1>Mirror</h1><p>Not cached.</p></body></html>"
            self._send(handler, path, 200, page, head=head, content_type="text/html")
            return
        match = _SIMPLE.match(path)
        if match:
            self._simple(handler, path, match, head=head)
            return
        match = _INTEGRITY.match(path)
        if match:
            self._integrity(handler, path, match, head=head)
            return
        match = _PROJECT.match(path)
        if match and self.json_api:
            self._project(handler, path, match, head=head)
            return
        match = _FILE.match(path)
        if match:
            filename = urllib.parse.unquote(match.group("filename"))
            try:
                f = self.file(filename)
            except KeyError:
                f = None
            if f is None or f.path() != path:
                self._send(handler, path, 404, b"Not Found", head=head, content_type="text/plain")
                return
            body = f.content if f.served is None else f.served
            self._send(handler, path, 200, body, head=head, content_type="application/octet-stream")
            return
        self._send(handler, path, 404, b'{"message": "Not Found"}', head=head)

    def _project(
        self, handler: BaseHTTPRequestHandler, path: str, match: re.Match[str], *, head: bool
    ) -> None:
        raw = urllib.parse.unquote(match.group("name"))
        key = canonicalize_name(raw)
        versions = self.projects.get(key)
        if versions is None:
            self._send(handler, path, 404, b'{"message": "Not Found"}', head=head)
            return
        version = match.group("version")
        if raw != key:
            target = f"/pypi/{key}/{version + '/' if version else ''}json"
            self._send(handler, path, 301, b"", head=head, headers={"Location": target})
            return
        if version is not None:
            version = urllib.parse.unquote(version)
            found = version if version in versions else self._equal_version(versions, version)
            if found is None:
                self._send(handler, path, 404, b'{"message": "Not Found"}', head=head)
                return
            body = self._version_json(key, found, with_releases=False)
        else:
            body = self._version_json(key, self._latest(versions), with_releases=True)
        self._send(handler, path, 200, json.dumps(body).encode(), head=head)

    def _simple(
        self, handler: BaseHTTPRequestHandler, path: str, match: re.Match[str], *, head: bool
    ) -> None:
        raw = urllib.parse.unquote(match.group("name"))
        key = canonicalize_name(raw)
        versions = self.projects.get(key)
        if versions is None:
            self._send(handler, path, 404, b"Not Found", head=head, content_type="text/plain")
            return
        if raw != key or not path.endswith("/"):
            self._send(handler, path, 301, b"", head=head, headers={"Location": f"/simple/{key}/"})
            return
        files = sorted((f for fs in versions.values() for f in fs), key=lambda f: f.filename)
        accept = handler.headers.get("Accept", "")
        if SIMPLE_JSON in accept and self.simple_json and not self.html_mirror:
            body: dict[str, Any] = {
                "meta": {"api-version": "1.3", "_last-serial": len(self.log)},
                "name": key,
                "files": [self._simple_file(key, f) for f in files],
                "versions": sorted(versions, key=Version),
            }
            self._send(
                handler, path, 200, json.dumps(body).encode(), head=head, content_type=SIMPLE_JSON
            )
            return
        anchors = []
        for f in files:
            attrs = ""
            if f.yanked:
                attrs += f' data-yanked="{html.escape(f.yanked_reason or "")}"'
            if f.bundles is not None:
                attrs += f' data-provenance="{html.escape(self._integrity_url(key, f))}"'
            href = f"{self.url}{f.path()}#sha256={f.digests()['sha256']}"
            anchors.append(
                f'<a href="{html.escape(href)}"{attrs}>{html.escape(f.filename)}</a><br>'
            )
        page = (
            "<!DOCTYPE html>\n<html><head>"
            '<meta name="pypi:repository-version" content="1.3">'
            f"<title>Links for {key}</title></head><body><h1>Links for {key}</h1>\n"
            + "\n".join(anchors)
            + "\n</body></html>\n"
        )
        self._send(handler, path, 200, page.encode(), head=head, content_type="text/html")

    def _integrity_url(self, key: str, f: FakeFile) -> str:
        name = urllib.parse.quote(f.filename)
        return f"{self.url}/integrity/{key}/{urllib.parse.quote(f.version)}/{name}/provenance"

    def _simple_file(self, key: str, f: FakeFile) -> dict[str, Any]:
        return {
            "filename": f.filename,
            "url": self.url + f.path(),
            "hashes": {"sha256": f.digests()["sha256"]},
            "requires-python": ">=3.10",
            "size": len(f.content),
            "upload-time": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "yanked": (f.yanked_reason or True) if f.yanked else False,
            "core-metadata": False,
            "data-dist-info-metadata": False,
            "provenance": self._integrity_url(key, f) if f.bundles is not None else None,
        }

    def _integrity(
        self, handler: BaseHTTPRequestHandler, path: str, match: re.Match[str], *, head: bool
    ) -> None:
        key = canonicalize_name(urllib.parse.unquote(match.group("name")))
        filename = urllib.parse.unquote(match.group("filename"))
        version = urllib.parse.unquote(match.group("version"))
        f = next(
            (f for f in self.projects.get(key, {}).get(version, []) if f.filename == filename),
            None,
        )
        if f is None or f.bundles is None:
            self._send(handler, path, 404, b'{"message": "Not Found"}', head=head)
            return
        body = json.dumps({"version": 1, "attestation_bundles": f.bundles}).encode()
        self._send(
            handler,
            path,
            200,
            body,
            head=head,
            content_type="application/vnd.pypi.integrity.v1+json",
        )

    @staticmethod
    def _equal_version(versions: dict[str, list[FakeFile]], wanted: str) -> str | None:
        try:
            target = Version(wanted)
        except InvalidVersion:
            return None
        for v in versions:
            try:
                if Version(v) == target:
                    return v
            except InvalidVersion:
                continue
        return None

    @staticmethod
    def _latest(versions: dict[str, list[FakeFile]]) -> str:
        def key(v: str) -> tuple[bool, Version]:
            parsed = Version(v)
            return (not parsed.is_prerelease, parsed)

        return max(versions, key=key)

    def _file_json(self, f: FakeFile) -> dict[str, Any]:
        return {
            "comment_text": "",
            "digests": f.digests(),
            "downloads": -1,
            "filename": f.filename,
            "has_sig": False,
            "md5_digest": f.digests()["md5"],
            "packagetype": f.packagetype,
            "python_version": "py3" if f.packagetype == "bdist_wheel" else "source",
            "requires_python": ">=3.10",
            "size": len(f.content),
            "upload_time": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S"),
            "upload_time_iso_8601": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "url": self.url + f.path(),
            "yanked": f.yanked,
            "yanked_reason": f.yanked_reason,
        }

    def _version_json(self, key: str, version: str, *, with_releases: bool) -> dict[str, Any]:
        versions = self.projects[key]
        files = versions[version]
        yanked = bool(files) and all(f.yanked for f in files)
        body: dict[str, Any] = {
            "info": {
                "name": self.display_names[key],
                "version": version,
                "summary": "A fake project",
                "package_url": f"{self.url}/project/{key}/",
                "project_url": f"{self.url}/project/{key}/",
                "release_url": f"{self.url}/project/{key}/{version}/",
                "requires_python": ">=3.10",
                "yanked": yanked,
                "yanked_reason": files[0].yanked_reason if yanked else None,
            },
            "last_serial": len(self.log),
            "urls": [self._file_json(f) for f in files],
            "vulnerabilities": [],
        }
        if with_releases:
            body["releases"] = {v: [self._file_json(f) for f in fs] for v, fs in versions.items()}
        return body
