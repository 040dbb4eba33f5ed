"""A strict local fake of the parts of GitHub's REST API a release touches.

Served on 127.0.0.1 with a free port, under ``/api/v3`` as GitHub Enterprise
Server does, with release uploads at ``/api/uploads/repos/O/R/releases/ID/assets``
(the ``upload_url`` template PyGithub expects for a same-host upload). It
follows GitHub's documented behaviour where a release depends on it:

- no token → 401 ``Requires authentication``; an unknown token → 401
  ``Bad credentials``; a read-only token writing → 403; an unknown repository
  → 404 ``Not Found``.
- tokens carry the ``contents`` permission of the job that got them:
  ``"write"``, ``"read"`` or ``"none"`` (a job with ``permissions: {}`` keeps
  only ``metadata: read``). In a private repository a token without contents
  permission may read the repository's metadata (``GET /repos/O/R``) and
  nothing else: every other read is ``404 Not Found``, as GitHub hides what a
  token may not see (``git fetch`` then says "Repository not found").
- ``GET …/tarball/REF`` (how actions/checkout fetches without git) answers
  ``302`` to a codeload URL serving ``git archive`` of ``repo.source``.
- ``GET …/releases/tags/TAG`` never returns drafts; ``GET …/releases`` shows
  drafts only to a token with push rights; newest first.
- several drafts may share a tag, but a second *published* release for a tag
  is ``422 Validation Failed`` with error code ``already_exists``; publishing
  a release whose tag does not exist creates the tag.
- an asset name already taken on the release → ``422`` ``already_exists``;
  assets carry ``digest: "sha256:<hex>"`` (or null, to imitate old assets).
- a repository with immutable releases locks a release when it is
  published: uploads get ``422 Cannot upload assets to an immutable
  release.``, assets cannot be changed or deleted, the tag cannot move; title,
  notes and prerelease stay editable.
- pagination with ``per_page``/``page`` and ``Link`` headers.
- ``POST …/releases/generate-notes`` answers ``{"name", "body"}`` (the "Full
  Changelog" link GitHub writes when no pull requests are listed); an unknown
  tag without ``target_commitish`` → 404.
- ``fail_uploads = N`` answers the next N uploads with 502 (optionally leaving
  a half-made asset in state ``starter``, as GitHub can).
- ``rate_limit_next = N`` answers the next N API requests as GitHub's secondary
  rate limit does: ``403`` with ``Retry-After: <rate_limit_retry_after>`` and
  the message "You have exceeded a secondary rate limit".

Tests read and arrange the state directly (``fake.repo("o/r")``) and see every
request in ``fake.requests``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from support.loopback import Handler, Loopback

DOCS = "https://docs.github.com/rest"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class Asset:
    id: int
    name: str
    label: str
    content_type: str
    data: bytes
    state: str = "uploaded"
    digest: str | None = None
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)


@dataclass
class Release:
    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    immutable: bool = False
    created_at: str = field(default_factory=_now)
    published_at: str | None = None
    assets: list[Asset] = field(default_factory=list)
    untagged: str = field(default_factory=lambda: secrets.token_hex(10))

    def asset(self, name: str) -> Asset | None:
        return next((a for a in self.assets if a.name == name), None)


@dataclass
class Milestone:
    number: int
    title: str
    state: str = "open"
    description: str | None = None
    closed_at: str | None = None


@dataclass
class Repo:
    full_name: str
    id: int
    immutable_releases: bool = False
    private: bool = False
    tags: dict[str, str] = field(default_factory=dict)  # name → commit sha (insertion order = age)
    source: Path | None = None  # a git work tree: what the tarball endpoint archives
    releases: list[Release] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)

    def release(self, release_id: int) -> Release | None:
        return next((r for r in self.releases if r.id == release_id), None)

    def releases_for(self, tag: str) -> list[Release]:
        return [r for r in self.releases if r.tag_name == tag]

    def published(self, tag: str) -> list[Release]:
        return [r for r in self.releases_for(tag) if not r.draft]

    def add_milestone(self, title: str, state: str = "open") -> Milestone:
        m = Milestone(len(self.milestones) + 1, title, state)
        self.milestones.append(m)
        return m

    def add_tag(self, name: str, sha: str | None = None) -> None:
        self.tags[name] = sha or hashlib.sha1(name.encode()).hexdigest()  # noqa: S324 - a fake commit id


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": DOCS}
        if errors:
            self.body["errors"] = errors
        self.body["status"] = str(status)


def _validation(resource: str, code: str, field_name: str) -> ApiError:
    return ApiError(
        422, "Validation Failed", [{"resource": resource, "code": code, "field": field_name}]
    )


class FakeGitHub:
    """A threaded fake GitHub API; use as a context manager."""

    def __init__(
        self,
        tokens: dict[str, str] | None = None,
        *,
        anonymous_reads: bool = False,
    ) -> None:
        # token → "write" (push rights: sees drafts, may change releases), "read",
        # or "none" (no contents permission: metadata only)
        self.tokens = dict(tokens or {"ghs_fake_write_token": "write"})
        self.anonymous_reads = anonymous_reads
        self.repos: dict[str, Repo] = {}
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str, int]] = []
        self.fail_uploads = 0
        self.rate_limit_next = 0
        self.rate_limit_retry_after = 1
        self.fail_uploads_leave_starter = False
        self.null_digests = False
        self.generated_notes: list[dict[str, Any]] = []  # request bodies of generate-notes
        # When set, every POST …/releases waits here first: two racing runs
        # both list releases before either creates one.
        self.create_barrier: threading.Barrier | None = None
        self._ids = iter(range(1000, 10**9))
        self._loopback: Loopback | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> FakeGitHub:
        fake = self

        class Api(_Handler):
            owner = fake

        self._loopback = Loopback(Api).start()
        return self

    def stop(self) -> None:
        if self._loopback is not None:
            self._loopback.stop()
            self._loopback = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._loopback is not None, "start the fake first"
        return self._loopback.url

    @property
    def connections(self) -> int:
        """TCP connections clients opened (kept-alive ones carry many requests)."""
        assert self._loopback is not None, "start the fake first"
        return self._loopback.connections

    @property
    def api_url(self) -> str:
        """What GITHUB_API_URL is on GitHub Enterprise Server."""
        return self.url + "/api/v3"

    # -- arranging and inspecting ---------------------------------------------------

    def add_repo(
        self, full_name: str, *, immutable_releases: bool = False, private: bool = False
    ) -> Repo:
        with self.lock:
            repo = Repo(full_name, next(self._ids), immutable_releases, private)
            self.repos[full_name.lower()] = repo
            return repo

    def repo(self, full_name: str) -> Repo:
        return self.repos[full_name.lower()]

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def add_release(
        self, full_name: str, tag: str, *, draft: bool = False, prerelease: bool = False,
        name: str | None = None, body: str | None = None, assets: dict[str, bytes] | None = None,
    ) -> Release:  # fmt: skip
        """Arrange an existing release (as if made earlier by someone else)."""
        with self.lock:
            repo = self.repo(full_name)
            release = Release(self.next_id(), tag, "main", name, body, draft, prerelease)
            if not draft:
                release.published_at = _now()
                release.immutable = repo.immutable_releases
                if tag not in repo.tags:
                    repo.add_tag(tag)
            for asset_name, data in (assets or {}).items():
                release.assets.append(self._new_asset(asset_name, "application/octet-stream", data))
            repo.releases.append(release)
            return release

    def _new_asset(self, name: str, content_type: str, data: bytes, label: str = "") -> Asset:
        digest = None if self.null_digests else "sha256:" + hashlib.sha256(data).hexdigest()
        return Asset(self.next_id(), name, label, content_type, data, digest=digest)

    # -- JSON views -------------------------------------------------------------------

    def release_json(self, repo: Repo, r: Release) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        tag_part = r.tag_name if not r.draft else f"untagged-{r.untagged}"
        return {
            "url": f"{api}/releases/{r.id}",
            "assets_url": f"{api}/releases/{r.id}/assets",
            "upload_url": f"{self.url}/api/uploads/repos/{repo.full_name}/releases/{r.id}/assets{{?name,label}}",
            "html_url": f"{self.url}/{repo.full_name}/releases/tag/{quote(tag_part)}",
            "id": r.id,
            "node_id": f"RE_{r.id}",
            "author": _user("github-actions[bot]"),
            "tag_name": r.tag_name,
            "target_commitish": r.target_commitish,
            "name": r.name,
            "body": r.body,
            "draft": r.draft,
            "prerelease": r.prerelease,
            "immutable": r.immutable,
            "created_at": r.created_at,
            "published_at": r.published_at,
            "tarball_url": None if r.draft else f"{api}/tarball/{r.tag_name}",
            "zipball_url": None if r.draft else f"{api}/zipball/{r.tag_name}",
            "assets": [self.asset_json(repo, r, a) for a in r.assets],
        }

    def asset_json(self, repo: Repo, r: Release, a: Asset) -> dict[str, Any]:
        tag_part = r.tag_name if not r.draft else f"untagged-{r.untagged}"
        return {
            "url": f"{self.api_url}/repos/{repo.full_name}/releases/assets/{a.id}",
            "browser_download_url": f"{self.url}/{repo.full_name}/releases/download/{quote(tag_part)}/{quote(a.name)}",
            "id": a.id,
            "node_id": f"RA_{a.id}",
            "name": a.name,
            "label": a.label,
            "state": a.state,
            "content_type": a.content_type,
            "size": len(a.data),
            "digest": a.digest,
            "download_count": 0,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
            "uploader": _user("github-actions[bot]"),
        }

    def milestone_json(self, repo: Repo, m: Milestone) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        return {
            "url": f"{api}/milestones/{m.number}",
            "html_url": f"{self.url}/{repo.full_name}/milestone/{m.number}",
            "labels_url": f"{api}/milestones/{m.number}/labels",
            "id": 50000 + m.number,
            "node_id": f"MI_{m.number}",
            "number": m.number,
            "title": m.title,
            "description": m.description,
            "creator": _user("maintainer"),
            "open_issues": 0,
            "closed_issues": 3,
            "state": m.state,
            "created_at": _now(),
            "updated_at": _now(),
            "closed_at": m.closed_at,
            "due_on": None,
        }

    def repo_json(self, repo: Repo, write: bool) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": name,
            "full_name": repo.full_name,
            "owner": _user(owner),
            "private": repo.private,
            "html_url": f"{self.url}/{repo.full_name}",
            "url": f"{self.api_url}/repos/{repo.full_name}",
            "default_branch": "main",
            "permissions": {"admin": False, "push": write, "pull": True},
        }


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**7, "type": "User", "site_admin": False}


_API = "/api/v3"
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"


class _Handler(Handler):
    owner: FakeGitHub
    protocol_version = "HTTP/1.1"
    server_version = "FakeGitHub/1.0"

    # -- plumbing -----------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.body()

    def _record(self, status: int) -> None:
        # Recorded before the answer goes out, so a client that has its answer sees it logged.
        with self.owner.lock:
            self.owner.requests.append((self.command, self.path, status))

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self._record(status)
        payload = b"" if body is None else json.dumps(body).encode()
        kind = None if body is None else "application/json; charset=utf-8"
        self.reply(status, payload, headers, content_type=kind)

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self._record(status)
        self.reply(status, data, content_type=content_type)

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        path = unquote(split.path).rstrip("/") or "/"
        body = self._read_body()
        with self.owner.lock:
            limited = self.owner.rate_limit_next > 0
            if limited:
                self.owner.rate_limit_next -= 1
        if limited:
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            self._send(403, {"message": message, "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
                       headers={"Retry-After": str(self.owner.rate_limit_retry_after)})  # fmt: skip
            return
        try:
            for verb, pattern, handler in _ROUTES:
                if verb != method:
                    continue
                m = re.fullmatch(pattern, path)
                if m:
                    handler(self, body, **m.groupdict())
                    return
            raise ApiError(404, "Not Found")
        except ApiError as error:
            self._send(error.status, error.body)

    # -- auth ----------------------------------------------------------------------

    def _access(self) -> str:
        """'write', 'read', 'none' or 'anonymous'; raises 401 like GitHub."""
        header = self.headers.get("Authorization", "")
        m = re.fullmatch(r"(?i)(?:token|bearer)\s+(\S+)", header)
        if not header:
            if self.owner.anonymous_reads:
                return "anonymous"
            raise ApiError(401, "Requires authentication")
        if not m or m.group(1) not in self.owner.tokens:
            raise ApiError(401, "Bad credentials")
        return self.owner.tokens[m.group(1)]

    def _repo(
        self, owner: str, name: str, *, write: bool = False, metadata: bool = False
    ) -> tuple[Repo, bool]:
        level = self._access()
        if level == "anonymous" and write:
            raise ApiError(401, "Requires authentication")
        repo = self.owner.repos.get(f"{owner}/{name}".lower())
        if repo is None or (repo.private and level == "anonymous"):
            raise ApiError(404, "Not Found")
        if repo.private and level == "none" and not metadata:
            raise ApiError(404, "Not Found")
        if write and level != "write":
            raise ApiError(403, "Resource not accessible by integration")
        return repo, level == "write"

    def _json(self, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise ApiError(400, "Problems parsing JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        return data

    # -- pagination --------------------------------------------------------------------

    def _page(self, items: list[Any]) -> None:
        try:
            per_page = min(max(int(self.query.get("per_page", 30)), 1), 100)
            page = max(int(self.query.get("page", 1)), 1)
        except ValueError:
            raise ApiError(400, "Invalid pagination parameters") from None
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        split = urlsplit(self.path)
        base = f"{self.owner.url}{split.path}"

        def link(p: int, rel: str) -> str:
            return f'<{base}?{urlencode({**self.query, "per_page": per_page, "page": p})}>; rel="{rel}"'

        links = []
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        self._send(200, chunk, {"Link": ", ".join(links)} if links else None)

    # -- repositories, tags ----------------------------------------------------------

    def get_repo(self, body: bytes, owner: str, name: str) -> None:
        repo, write = self._repo(owner, name, metadata=True)
        self._send(200, self.owner.repo_json(repo, write))

    def tarball(self, body: bytes, owner: str, name: str, ref: str) -> None:
        repo, _ = self._repo(owner, name)
        location = f"{self.owner.url}/_codeload/{repo.full_name}/legacy.tar.gz/{quote(ref)}"
        self._send(302, None, {"Location": location})

    def codeload(self, body: bytes, owner: str, name: str, ref: str) -> None:
        repo = self.owner.repos.get(f"{owner}/{name}".lower())
        if repo is None or repo.source is None:
            raise ApiError(404, "Not Found")
        prefix = f"{owner}-{name}-{ref[:7]}/"
        archive = subprocess.run(
            ["git", "archive", "--format=tar.gz", f"--prefix={prefix}", ref],
            cwd=repo.source, capture_output=True, check=False,
        )  # fmt: skip
        if archive.returncode != 0:
            raise ApiError(404, "Not Found")
        self._send_bytes(200, archive.stdout, "application/x-gzip")

    def list_tags(self, body: bytes, owner: str, name: str) -> None:
        repo, _ = self._repo(owner, name)
        api = f"{self.owner.api_url}/repos/{repo.full_name}"
        with self.owner.lock:
            tags = [
                {
                    "name": t,
                    "commit": {"sha": sha, "url": f"{api}/commits/{sha}"},
                    "zipball_url": f"{api}/zipball/refs/tags/{t}",
                    "tarball_url": f"{api}/tarball/refs/tags/{t}",
                    "node_id": f"REF_{t}",
                }
                for t, sha in reversed(list(repo.tags.items()))
            ]
        self._page(tags)

    # -- releases ----------------------------------------------------------------------

    def _visible(self, repo: Repo, release_id: str, write: bool) -> Release:
        release = repo.release(int(release_id)) if release_id.isdigit() else None
        if release is None or (release.draft and not write):
            raise ApiError(404, "Not Found")
        return release

    def list_releases(self, body: bytes, owner: str, name: str) -> None:
        repo, write = self._repo(owner, name)
        with self.owner.lock:
            items = [
                self.owner.release_json(repo, r)
                for r in sorted(repo.releases, key=lambda r: r.id, reverse=True)
                if write or not r.draft
            ]
        self._page(items)

    def get_release(self, body: bytes, owner: str, name: str, release_id: str) -> None:
        repo, write = self._repo(owner, name)
        with self.owner.lock:
            self._send(200, self.owner.release_json(repo, self._visible(repo, release_id, write)))

    def get_release_by_tag(self, body: bytes, owner: str, name: str, tag: str) -> None:
        repo, _ = self._repo(owner, name)
        with self.owner.lock:
            published = repo.published(tag)
            if not published:
                raise ApiError(404, "Not Found")
            self._send(200, self.owner.release_json(repo, published[0]))

    def get_latest_release(self, body: bytes, owner: str, name: str) -> None:
        repo, _ = self._repo(owner, name)
        with self.owner.lock:
            candidates = [r for r in repo.releases if not r.draft and not r.prerelease]
            if not candidates:
                raise ApiError(404, "Not Found")
            latest = max(candidates, key=lambda r: (r.published_at or "", r.id))
            self._send(200, self.owner.release_json(repo, latest))

    def create_release(self, body: bytes, owner: str, name: str) -> None:
        repo, _ = self._repo(owner, name, write=True)
        data = self._json(body)
        tag = data.get("tag_name")
        if not isinstance(tag, str) or not tag:
            raise _validation("Release", "missing_field", "tag_name")
        for key in ("draft", "prerelease"):
            if key in data and not isinstance(data[key], bool):
                raise _validation("Release", "invalid", key)
        barrier = self.owner.create_barrier
        if barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=20)
        with self.owner.lock:
            draft = bool(data.get("draft", False))
            if not draft and repo.published(tag):
                raise _validation("Release", "already_exists", "tag_name")
            release = Release(
                self.owner.next_id(), tag, str(data.get("target_commitish") or "main"),
                data.get("name"), data.get("body"), draft, bool(data.get("prerelease", False)),
            )  # fmt: skip
            if not draft:
                self._publish(repo, release)
            repo.releases.append(release)
            self._send(201, self.owner.release_json(repo, release))

    def generate_notes(self, body: bytes, owner: str, name: str) -> None:
        """``POST …/releases/generate-notes``: a name and Markdown body, saved nowhere.

        Needs write access (contents: write). ``tag_name`` is required; a tag that does
        not exist needs ``target_commitish``, else 404 (the only error status GitHub
        documents here). Without merged pull requests to list, GitHub's body is the
        "Full Changelog" link: a compare from the previous tag, or the commits of the tag.
        """
        repo, _ = self._repo(owner, name, write=True)
        data = self._json(body)
        tag = data.get("tag_name")
        if not isinstance(tag, str) or not tag:
            raise _validation("Release", "missing_field", "tag_name")
        for key in ("target_commitish", "previous_tag_name", "configuration_file_path"):
            if key in data and not isinstance(data[key], str):
                raise _validation("Release", "invalid", key)
        with self.owner.lock:
            if tag not in repo.tags and not data.get("target_commitish"):
                raise ApiError(404, "Not Found")
            previous = data.get("previous_tag_name")
            if previous is None:
                names = list(repo.tags)
                older = names[: names.index(tag)] if tag in names else names
                previous = older[-1] if older else None
            elif previous not in repo.tags:
                raise ApiError(404, "Not Found")
            self.owner.generated_notes.append(data)
            html = f"{self.owner.url}/{repo.full_name}"
            link = f"{html}/compare/{previous}...{tag}" if previous else f"{html}/commits/{tag}"
            self._send(200, {"name": tag, "body": f"**Full Changelog**: {link}"})

    def _publish(self, repo: Repo, release: Release) -> None:
        release.draft = False
        release.published_at = _now()
        release.immutable = repo.immutable_releases
        if release.tag_name not in repo.tags:
            repo.add_tag(release.tag_name)

    def update_release(self, body: bytes, owner: str, name: str, release_id: str) -> None:
        repo, write = self._repo(owner, name, write=True)
        data = self._json(body)
        with self.owner.lock:
            release = self._visible(repo, release_id, write)
            locked = release.immutable and not release.draft
            tag = data.get("tag_name", release.tag_name)
            if locked and tag != release.tag_name:
                raise ApiError(422, "Cannot change the tag of an immutable release.")
            if locked and data.get("draft") is True:
                raise ApiError(422, "Cannot change an immutable release to a draft.")
            publishing = release.draft and data.get("draft") is False
            if (publishing or (not release.draft and tag != release.tag_name)) and [
                r for r in repo.published(tag) if r.id != release.id
            ]:
                raise _validation("Release", "already_exists", "tag_name")
            release.tag_name = tag
            for key in ("name", "body", "target_commitish"):
                if key in data:
                    setattr(release, key, data[key])
            if "prerelease" in data:
                release.prerelease = bool(data["prerelease"])
            if data.get("draft") is True:
                release.draft = True
                release.published_at = None
            if publishing:
                self._publish(repo, release)
            self._send(200, self.owner.release_json(repo, release))

    def delete_release(self, body: bytes, owner: str, name: str, release_id: str) -> None:
        repo, write = self._repo(owner, name, write=True)
        with self.owner.lock:
            release = self._visible(repo, release_id, write)
            repo.releases.remove(release)
            self._send(204)

    # -- assets ---------------------------------------------------------------------------

    def _find_asset(self, repo: Repo, asset_id: str, write: bool) -> tuple[Release, Asset]:
        for r in repo.releases:
            for a in r.assets:
                if str(a.id) == asset_id and (write or not r.draft):
                    return r, a
        raise ApiError(404, "Not Found")

    def list_assets(self, body: bytes, owner: str, name: str, release_id: str) -> None:
        repo, write = self._repo(owner, name)
        with self.owner.lock:
            release = self._visible(repo, release_id, write)
            items = [self.owner.asset_json(repo, release, a) for a in release.assets]
        self._page(items)

    def get_asset(self, body: bytes, owner: str, name: str, asset_id: str) -> None:
        repo, write = self._repo(owner, name)
        with self.owner.lock:
            release, asset = self._find_asset(repo, asset_id, write)
            if "application/octet-stream" in self.headers.get("Accept", ""):
                # GitHub answers with a redirect to its storage.
                location = f"{self.owner.url}/api/_storage/{repo.full_name}/{asset.id}"
                self._send(302, None, {"Location": location})
                return
            self._send(200, self.owner.asset_json(repo, release, asset))

    def storage(self, body: bytes, owner: str, name: str, asset_id: str) -> None:
        repo = self.owner.repos.get(f"{owner}/{name}".lower())
        if repo is None:
            raise ApiError(404, "Not Found")
        with self.owner.lock:
            _, asset = self._find_asset(repo, asset_id, True)
            data, content_type = asset.data, asset.content_type
        self._send_bytes(200, data, content_type)

    def browser_download(
        self, body: bytes, owner: str, name: str, tag: str, asset_name: str
    ) -> None:
        repo = self.owner.repos.get(f"{owner}/{name}".lower())
        with self.owner.lock:
            release = next((r for r in repo.published(tag)), None) if repo else None
            asset = release.asset(asset_name) if release else None
            if asset is None:
                raise ApiError(404, "Not Found")
            data, content_type = asset.data, asset.content_type
        self._send_bytes(200, data, content_type)

    def update_asset(self, body: bytes, owner: str, name: str, asset_id: str) -> None:
        repo, write = self._repo(owner, name, write=True)
        data = self._json(body)
        with self.owner.lock:
            release, asset = self._find_asset(repo, asset_id, write)
            if release.immutable and not release.draft:
                raise ApiError(422, "Cannot modify an asset of an immutable release.")
            new_name = data.get("name", asset.name)
            if new_name != asset.name and release.asset(new_name):
                raise _validation("ReleaseAsset", "already_exists", "name")
            asset.name = new_name
            asset.label = data.get("label", asset.label)
            self._send(200, self.owner.asset_json(repo, release, asset))

    def delete_asset(self, body: bytes, owner: str, name: str, asset_id: str) -> None:
        repo, write = self._repo(owner, name, write=True)
        with self.owner.lock:
            release, asset = self._find_asset(repo, asset_id, write)
            if release.immutable and not release.draft:
                raise ApiError(422, "Cannot delete an asset of an immutable release.")
            release.assets.remove(asset)
            self._send(204)

    def upload_asset(self, body: bytes, owner: str, name: str, release_id: str) -> None:
        repo, write = self._repo(owner, name, write=True)
        asset_name = self.query.get("name", "")
        if not asset_name:
            raise _validation("ReleaseAsset", "missing_field", "name")
        content_type = self.headers.get("Content-Type", "")
        if not content_type:
            raise ApiError(422, "Bad Content-Type header value")
        declared = self.headers.get("Content-Length")
        if declared is not None and int(declared) != len(body):
            raise ApiError(400, "Content-Length does not match the body")
        with self.owner.lock:
            release = self._visible(repo, release_id, write)
            if release.immutable and not release.draft:
                raise ApiError(422, "Cannot upload assets to an immutable release.")
            if self.owner.fail_uploads > 0:
                self.owner.fail_uploads -= 1
                if self.owner.fail_uploads_leave_starter and not release.asset(asset_name):
                    starter = self.owner._new_asset(
                        asset_name, content_type, b"", self.query.get("label", "")
                    )
                    starter.state, starter.digest = "starter", None
                    release.assets.append(starter)
                raise ApiError(502, "Server Error")
            if release.asset(asset_name):
                raise _validation("ReleaseAsset", "already_exists", "name")
            asset = self.owner._new_asset(
                asset_name, content_type, body, self.query.get("label", "")
            )
            release.assets.append(asset)
            self._send(201, self.owner.asset_json(repo, release, asset))

    # -- milestones --------------------------------------------------------------------------

    def list_milestones(self, body: bytes, owner: str, name: str) -> None:
        repo, _ = self._repo(owner, name)
        state = self.query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise _validation("Milestone", "invalid", "state")
        with self.owner.lock:
            items = [
                self.owner.milestone_json(repo, m)
                for m in repo.milestones
                if state == "all" or m.state == state
            ]
        self._page(items)

    def _milestone(self, repo: Repo, number: str) -> Milestone:
        m = next((m for m in repo.milestones if str(m.number) == number), None)
        if m is None:
            raise ApiError(404, "Not Found")
        return m

    def get_milestone(self, body: bytes, owner: str, name: str, number: str) -> None:
        repo, _ = self._repo(owner, name)
        with self.owner.lock:
            self._send(200, self.owner.milestone_json(repo, self._milestone(repo, number)))

    def create_milestone(self, body: bytes, owner: str, name: str) -> None:
        repo, _ = self._repo(owner, name, write=True)
        data = self._json(body)
        title = data.get("title")
        if not isinstance(title, str) or not title:
            raise _validation("Milestone", "missing_field", "title")
        with self.owner.lock:
            if any(m.title == title for m in repo.milestones):
                raise _validation("Milestone", "already_exists", "title")
            m = repo.add_milestone(title, data.get("state", "open"))
            self._send(201, self.owner.milestone_json(repo, m))

    def update_milestone(self, body: bytes, owner: str, name: str, number: str) -> None:
        repo, _ = self._repo(owner, name, write=True)
        data = self._json(body)
        with self.owner.lock:
            m = self._milestone(repo, number)
            if "state" in data:
                if data["state"] not in ("open", "closed"):
                    raise _validation("Milestone", "invalid", "state")
                m.state = data["state"]
                m.closed_at = _now() if m.state == "closed" else None
            if "title" in data:
                m.title = data["title"]
            if "description" in data:
                m.description = data["description"]
            self._send(200, self.owner.milestone_json(repo, m))


_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", _API + _REPO, _Handler.get_repo),
    ("GET", _API + _REPO + "/tags", _Handler.list_tags),
    ("GET", _API + _REPO + "/tarball/(?P<ref>.+)", _Handler.tarball),
    (
        "GET",
        r"/_codeload/(?P<owner>[^/]+)/(?P<name>[^/]+)/legacy\.tar\.gz/(?P<ref>.+)",
        _Handler.codeload,
    ),
    ("GET", _API + _REPO + "/releases", _Handler.list_releases),
    ("POST", _API + _REPO + "/releases", _Handler.create_release),
    ("POST", _API + _REPO + "/releases/generate-notes", _Handler.generate_notes),
    ("GET", _API + _REPO + "/releases/latest", _Handler.get_latest_release),
    ("GET", _API + _REPO + "/releases/tags/(?P<tag>.+)", _Handler.get_release_by_tag),
    ("GET", _API + _REPO + r"/releases/assets/(?P<asset_id>\d+)", _Handler.get_asset),
    ("PATCH", _API + _REPO + r"/releases/assets/(?P<asset_id>\d+)", _Handler.update_asset),
    ("DELETE", _API + _REPO + r"/releases/assets/(?P<asset_id>\d+)", _Handler.delete_asset),
    ("GET", _API + _REPO + r"/releases/(?P<release_id>\d+)", _Handler.get_release),
    ("PATCH", _API + _REPO + r"/releases/(?P<release_id>\d+)", _Handler.update_release),
    ("DELETE", _API + _REPO + r"/releases/(?P<release_id>\d+)", _Handler.delete_release),
    ("GET", _API + _REPO + r"/releases/(?P<release_id>\d+)/assets", _Handler.list_assets),
    (
        "POST",
        "/api/uploads" + _REPO + r"/releases/(?P<release_id>\d+)/assets",
        _Handler.upload_asset,
    ),
    ("GET", _API + _REPO + "/milestones", _Handler.list_milestones),
    ("POST", _API + _REPO + "/milestones", _Handler.create_milestone),
    ("GET", _API + _REPO + r"/milestones/(?P<number>\d+)", _Handler.get_milestone),
    ("PATCH", _API + _REPO + r"/milestones/(?P<number>\d+)", _Handler.update_milestone),
    ("GET", r"/api/_storage/(?P<owner>[^/]+)/(?P<name>[^/]+)/(?P<asset_id>\d+)", _Handler.storage),
    (
        "GET",
        r"/(?P<owner>[^/]+)/(?P<name>[^/]+)/releases/download/(?P<tag>[^/]+)/(?P<asset_name>[^/]+)",
        _Handler.browser_download,
    ),
]


def iter_assets(repo: Repo, tag: str) -> Iterator[tuple[Release, Asset]]:
    for r in repo.releases_for(tag):
        for a in r.assets:
            yield r, a
