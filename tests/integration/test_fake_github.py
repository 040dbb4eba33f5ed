"""The fake GitHub API itself behaves as GitHub documents (so tests on top of it mean something)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import requests

from support.fake_github import FakeGitHub

W = {"Authorization": "token w"}
R = {"Authorization": "token r"}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub({"w": "write", "r": "read"}) as server:
        server.add_repo("o/r")
        yield server


def _api(fake: FakeGitHub, path: str) -> str:
    return f"{fake.api_url}/repos/o/r{path}"


def test_auth_and_unknown_repositories(fake: FakeGitHub) -> None:
    assert requests.get(_api(fake, ""), timeout=5).status_code == 401
    bad = requests.get(_api(fake, ""), headers={"Authorization": "token nope"}, timeout=5)
    assert (bad.status_code, bad.json()["message"]) == (401, "Bad credentials")
    assert requests.get(f"{fake.api_url}/repos/o/x", headers=W, timeout=5).status_code == 404
    denied = requests.post(_api(fake, "/releases"), json={"tag_name": "v1"}, headers=R, timeout=5)
    assert denied.status_code == 403


def test_drafts_and_published_releases_per_tag(fake: FakeGitHub) -> None:
    for _ in range(2):
        r = requests.post(
            _api(fake, "/releases"), json={"tag_name": "v1", "draft": True}, headers=W, timeout=5
        )
        assert r.status_code == 201
    assert requests.get(_api(fake, "/releases/tags/v1"), headers=W, timeout=5).status_code == 404
    assert len(requests.get(_api(fake, "/releases"), headers=W, timeout=5).json()) == 2
    assert requests.get(_api(fake, "/releases"), headers=R, timeout=5).json() == []
    first = requests.post(_api(fake, "/releases"), json={"tag_name": "v1"}, headers=W, timeout=5)
    assert first.status_code == 201
    assert "v1" in fake.repo("o/r").tags
    second = requests.post(_api(fake, "/releases"), json={"tag_name": "v1"}, headers=W, timeout=5)
    assert second.status_code == 422
    assert second.json()["errors"][0]["code"] == "already_exists"
    assert (
        requests.get(_api(fake, "/releases/tags/v1"), headers=R, timeout=5).json()["id"]
        == first.json()["id"]
    )


def test_assets_names_digests_and_immutability(fake: FakeGitHub) -> None:
    fake.repo("o/r").immutable_releases = True
    rel = requests.post(
        _api(fake, "/releases"), json={"tag_name": "v1", "draft": True}, headers=W, timeout=5
    ).json()
    upload = rel["upload_url"].split("{")[0]
    assert upload.startswith(f"{fake.url}/api/uploads/repos/o/r/releases/")
    headers = {**W, "Content-Type": "application/gzip"}
    ok = requests.post(upload, params={"name": "a.tar.gz"}, data=b"x", headers=headers, timeout=5)
    assert ok.json()["digest"] == "sha256:" + hashlib.sha256(b"x").hexdigest()
    taken = requests.post(
        upload, params={"name": "a.tar.gz"}, data=b"y", headers=headers, timeout=5
    )
    assert taken.status_code == 422
    assert taken.json()["errors"][0]["code"] == "already_exists"
    published = requests.patch(rel["url"], json={"draft": False}, headers=W, timeout=5).json()
    assert published["immutable"] is True
    locked = requests.post(
        upload, params={"name": "b.tar.gz"}, data=b"z", headers=headers, timeout=5
    )
    assert (locked.status_code, locked.json()["message"]) == (
        422,
        "Cannot upload assets to an immutable release.",
    )
    asset_url = published["assets"][0]["url"]
    assert requests.delete(asset_url, headers=W, timeout=5).status_code == 422
    edited = requests.patch(
        rel["url"], json={"body": "notes", "prerelease": True}, headers=W, timeout=5
    )
    assert edited.status_code == 200
    assert edited.json()["body"] == "notes"
    fake.fail_uploads = 1
    assert (
        requests.post(
            upload, params={"name": "c"}, data=b"", headers=headers, timeout=5
        ).status_code
        == 422
    )


def test_pagination_of_tags_and_milestones(fake: FakeGitHub) -> None:
    repo = fake.repo("o/r")
    for n in range(5):
        repo.add_tag(f"v1.{n}")
        repo.add_milestone(f"1.{n}", "closed" if n % 2 else "open")
    first = requests.get(_api(fake, "/tags"), params={"per_page": 2}, headers=R, timeout=5)
    assert [t["name"] for t in first.json()] == ["v1.4", "v1.3"]
    assert first.links["next"]["url"].endswith("per_page=2&page=2")
    assert first.links["last"]["url"].endswith("page=3")
    last = requests.get(first.links["last"]["url"], headers=R, timeout=5)
    assert [t["name"] for t in last.json()] == ["v1.0"]
    assert "next" not in last.links
    assert len(requests.get(_api(fake, "/milestones"), headers=R, timeout=5).json()) == 3
    assert (
        len(
            requests.get(
                _api(fake, "/milestones"), params={"state": "all"}, headers=R, timeout=5
            ).json()
        )
        == 5
    )


def test_anonymous_reads_when_enabled() -> None:
    with FakeGitHub(anonymous_reads=True) as fake:
        fake.add_repo("o/r")
        fake.add_release("o/r", "v1")
        fake.add_release("o/r", "v2", draft=True)
        listed = requests.get(f"{fake.api_url}/repos/o/r/releases", timeout=5)
        assert [r["tag_name"] for r in listed.json()] == ["v1"]
        assert (
            requests.post(
                f"{fake.api_url}/repos/o/r/releases", json={"tag_name": "x"}, timeout=5
            ).status_code
            == 401
        )


def test_generate_notes_as_documented(fake: FakeGitHub) -> None:
    url = _api(fake, "/releases/generate-notes")
    fake.repo("o/r").add_tag("v1.0")
    fake.repo("o/r").add_tag("v1.1")
    first = requests.post(url, json={"tag_name": "v1.0"}, headers=W, timeout=5)
    assert first.status_code == 200
    assert first.json() == {
        "name": "v1.0",
        "body": f"**Full Changelog**: {fake.url}/o/r/commits/v1.0",
    }
    second = requests.post(url, json={"tag_name": "v1.1"}, headers=W, timeout=5).json()
    assert second["body"] == f"**Full Changelog**: {fake.url}/o/r/compare/v1.0...v1.1"
    # A tag that does not exist yet needs the commit it will point at.
    assert requests.post(url, json={"tag_name": "v2.0"}, headers=W, timeout=5).status_code == 404
    new = requests.post(
        url, json={"tag_name": "v2.0", "target_commitish": "main"}, headers=W, timeout=5
    )
    assert new.json()["body"].endswith("/compare/v1.1...v2.0")
    missing = requests.post(url, json={}, headers=W, timeout=5)
    assert (missing.status_code, missing.json()["errors"][0]["code"]) == (422, "missing_field")
    assert requests.post(url, json={"tag_name": "v1.0"}, headers=R, timeout=5).status_code == 403
    assert requests.post(url, json={"tag_name": "v1.0"}, timeout=5).status_code == 401
    # Nothing is saved: no release was made.
    assert fake.repo("o/r").releases == []


def test_a_token_without_contents_permission_sees_only_a_private_repositorys_metadata(
    tmp_path,
) -> None:
    from support.act import git

    source = tmp_path / "src"
    source.mkdir()
    (source / "hello.txt").write_text("hi\n")
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "one")
    sha = git(source, "rev-parse", "HEAD").strip()
    none = {"Authorization": "token n"}
    with FakeGitHub({"w": "write", "r": "read", "n": "none"}) as fake:
        fake.add_repo("o/private", private=True).source = source
        fake.add_repo("o/public").source = source
        api = f"{fake.api_url}/repos/o/private"
        # Metadata stays readable; everything else is hidden, as GitHub hides it.
        assert requests.get(api, headers=none, timeout=5).status_code == 200
        for path in ("/releases", "/tags", f"/tarball/{sha}"):
            hidden = requests.get(api + path, headers=none, timeout=5, allow_redirects=False)
            assert (hidden.status_code, hidden.json()["message"]) == (404, "Not Found"), path
        # A public repository's contents are readable with the same token.
        public = requests.get(f"{fake.api_url}/repos/o/public/tarball/{sha}", headers=none,
                              timeout=5, allow_redirects=False)  # fmt: skip
        assert public.status_code == 302
        # contents: read fetches the commit, as actions/checkout does without git.
        found = requests.get(f"{api}/tarball/{sha}", headers=R, timeout=5, allow_redirects=False)
        assert found.status_code == 302
        archive = requests.get(found.headers["Location"], timeout=5)
        assert archive.headers["Content-Type"] == "application/x-gzip"
        import io
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(archive.content)) as tar:
            assert tar.getnames()[-1].endswith("/hello.txt")
        # Writing needs contents: write, whatever the visibility.
        denied = requests.post(f"{fake.api_url}/repos/o/public/releases", json={"tag_name": "v1"},
                               headers=R, timeout=5)  # fmt: skip
        assert denied.status_code == 403
