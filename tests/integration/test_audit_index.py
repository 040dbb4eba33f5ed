"""The index JSON API client, the retrying web client, and the fake index they are tested against."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from release_actions.errors import AuditError, NetworkError
from release_actions.index_api import (
    NOTE_HTML,
    SIMPLE_JSON,
    IndexClient,
    select_version,
    version_of,
)
from release_actions.retry import Policy
from release_actions.webclient import Response, WebClient
from support.fake_index import FakeIndex


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    with FakeIndex() as fake:
        fake.add("Demo.Pkg", "1.0.0", {"demo_pkg-1.0.0.tar.gz": b"sdist 1.0.0"})
        fake.add(
            "Demo.Pkg",
            "1.1.0rc1",
            {
                "demo_pkg-1.1.0rc1.tar.gz": b"sdist rc",
                "demo_pkg-1.1.0rc1-py3-none-any.whl": b"wheel rc",
            },
        )
        fake.add(
            "Demo.Pkg", "0.9", {"demo_pkg-0.9.tar.gz": b"old"}, yanked=True, yanked_reason="broken"
        )
        yield fake


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(clock: Callable[[], float] = time.time, **policy: Any) -> tuple[WebClient, Sleeps]:
    sleeps = Sleeps()
    return WebClient(Policy(**policy), sleep=sleeps, clock=clock), sleeps


def raw(url: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object) -> None:  # type: ignore[override]
            return None

    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(url) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, dict(e.headers), e.read()


# -- the fake follows PyPI's documented behaviour ------------------------------------------


def test_fake_index_documented_shape(index: FakeIndex) -> None:
    status, _, body = raw(f"{index.url}/pypi/demo-pkg/1.1.0rc1/json")
    assert status == 200
    data = json.loads(body)
    assert set(data) == {"info", "last_serial", "urls", "vulnerabilities"}  # no "releases" here
    f = data["urls"][0]
    assert set(f["digests"]) == {"md5", "sha256", "blake2b_256"}
    for key in (
        "filename",
        "packagetype",
        "size",
        "upload_time_iso_8601",
        "url",
        "yanked",
        "yanked_reason",
    ):
        assert key in f
    with urllib.request.urlopen(f["url"]) as response:
        content = response.read()
    assert hashlib.sha256(content).hexdigest() == f["digests"]["sha256"]
    project = json.loads(raw(f"{index.url}/pypi/demo-pkg/json")[2])
    assert sorted(project["releases"]) == ["0.9", "1.0.0", "1.1.0rc1"]
    assert project["info"]["version"] == "1.0.0"  # the latest final release


def test_fake_index_404_and_301(index: FakeIndex) -> None:
    assert raw(f"{index.url}/pypi/nothing-here/json")[0] == 404
    assert raw(f"{index.url}/pypi/demo-pkg/9.9/json")[0] == 404
    status, headers, _ = raw(f"{index.url}/pypi/Demo.Pkg/json")
    assert status == 301
    assert headers["Location"] == "/pypi/demo-pkg/json"
    request = urllib.request.Request(f"{index.url}/pypi/demo-pkg/json", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request)
    err.value.close()
    assert err.value.code == 405


# -- the Simple API in the fake follows the PEPs ---------------------------------------------


def simple(url: str, accept: str = SIMPLE_JSON) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request) as r:
        return r.status, dict(r.headers), r.read()


def test_fake_simple_api_json_and_html(index: FakeIndex) -> None:
    status, headers, body = simple(f"{index.url}/simple/demo-pkg/")
    assert status == 200
    assert headers["Content-Type"] == SIMPLE_JSON
    data = json.loads(body)
    assert data["meta"]["api-version"] == "1.3"
    assert data["versions"] == ["0.9", "1.0.0", "1.1.0rc1"]  # PEP 700
    f = next(f for f in data["files"] if f["filename"] == "demo_pkg-0.9.tar.gz")
    assert f["yanked"] == "broken"
    assert {"hashes", "size", "upload-time", "provenance", "url"} <= set(f)
    _, headers, page = simple(f"{index.url}/simple/demo-pkg/", accept="text/html")
    assert headers["Content-Type"] == "text/html"
    assert b'data-yanked="broken">demo_pkg-0.9.tar.gz</a>' in page
    assert raw(f"{index.url}/simple/Demo.Pkg/")[0] == 301
    assert raw(f"{index.url}/simple/nothing/")[0] == 404


# -- the client --------------------------------------------------------------------------


def test_versions_and_files_in_one_request(index: FakeIndex) -> None:
    project = IndexClient(index.url, client()[0]).project("Demo.Pkg")
    assert [p for _, p, _ in index.log] == ["/simple/demo-pkg/"]
    assert project.source == "Simple API (JSON)"
    assert project.notes == []
    assert [r.version for r in project.releases] == ["0.9", "1.0.0", "1.1.0rc1"]
    rc = project.releases[2]
    assert rc.prerelease
    assert not rc.yanked
    assert [f.filename for f in rc.files] == [
        "demo_pkg-1.1.0rc1-py3-none-any.whl",
        "demo_pkg-1.1.0rc1.tar.gz",
    ]
    assert rc.files[1].sha256 == hashlib.sha256(b"sdist rc").hexdigest()
    assert rc.files[1].size == len(b"sdist rc")
    assert rc.files[0].packagetype == "bdist_wheel"
    assert rc.uploaded is not None
    old = project.releases[0]
    assert old.yanked
    assert old.yanked_reason == "broken"


def test_pip_style_simple_url_and_an_index_without_the_json_api() -> None:
    with FakeIndex(json_api=False) as fake:
        fake.add("demo", "1.0", {"demo-1.0.tar.gz": b"one"})
        assert raw(f"{fake.url}/pypi/demo/json")[0] == 404
        fake.log.clear()
        project = IndexClient(f"{fake.url}/simple/", client()[0]).project("demo")
        assert [r.version for r in project.releases] == ["1.0"]
        assert project.notes == []
        assert [p for _, p, _ in fake.log] == ["/simple/demo/"]


def test_a_mirror_that_answers_html() -> None:
    """PEP 503 only: versions from file names; what the audit needs beyond it, said so."""
    with FakeIndex(html_mirror=True) as fake:
        fake.add("demo", "1.0", {"demo-1.0.tar.gz": b"one", "demo-1.0-py3-none-any.whl": b"w"})
        fake.add("demo", "2.0b1", {"demo-2.0b1.tar.gz": b"two"}, yanked=True)
        api = IndexClient(fake.url, client()[0])
        project = api.project("demo")
        assert project.source == "Simple API (HTML)"
        assert [(r.version, len(r.files), r.yanked) for r in project.releases] == [
            ("1.0", 2, False),
            ("2.0b1", 1, True),
        ]
        assert project.releases[0].files[0].sha256 == hashlib.sha256(b"w").hexdigest()
        assert project.notes == [NOTE_HTML]
        # upload times are not in PEP 503; the mirror's JSON API is an HTML page too
        dated = api.project("demo", need_upload_times=True)
        assert not dated.has_upload_times
        assert dated.notes[-1].startswith("the Simple API lacks upload times, and the JSON API")
        assert "text/html" in dated.notes[-1]


def test_what_pep_503_lacks_is_filled_in_from_the_json_api() -> None:
    with FakeIndex(simple_json=False) as fake:
        fake.add("demo", "1.0", {"demo-1.0.tar.gz": b"one"})
        fake.add("demo", "2.0", {"demo-2.0.tar.gz": b"two"})
        api = IndexClient(fake.url, client()[0])
        project = api.project("demo", need_upload_times=True)
        assert [p for _, p, _ in fake.log] == ["/simple/demo/", "/pypi/demo/json"]
        assert project.source == "Simple API (HTML)"
        assert project.notes == [
            NOTE_HTML,
            f"the JSON API ({fake.url}/pypi/demo/json) filled in upload times, "
            "which the Simple API lacks",
        ]
        assert project.has_upload_times
        assert project.releases[1].uploaded == fake.file("demo-2.0.tar.gz").upload_time
        assert project.releases[1].files[0].size == 3
        fake.log.clear()
        assert api.project("demo").notes == [NOTE_HTML]  # nothing needed: one request
        assert len(fake.log) == 1


def test_an_unusable_simple_answer_falls_back_to_the_json_api(index: FakeIndex) -> None:
    project = IndexClient(index.url, client()[0]).project("demo-pkg", need_upload_times=True)
    assert project.has_upload_times  # PEP 700 gives them: no fallback
    assert not any(p.startswith("/pypi/") for _, p, _ in index.log)
    index.fail(200, path="/simple/")  # a JSON answer without "files"
    fallback = IndexClient(index.url, client()[0]).project("demo-pkg", need_upload_times=True)
    assert fallback.source == "JSON API"
    assert fallback.has_upload_times
    assert fallback.notes[0].startswith("the Simple API could not be used (the answer from ")
    assert [r.version for r in fallback.releases] == ["0.9", "1.0.0", "1.1.0rc1"]


def test_unknown_project_and_version(index: FakeIndex) -> None:
    api = IndexClient(index.url + "/", client()[0])
    with pytest.raises(AuditError) as err:
        api.project("no-such-project")
    assert "Project 'no-such-project' is not on the index" in err.value.message()
    assert "/simple/no-such-project/" in err.value.cause
    assert "--project" in err.value.fix
    with pytest.raises(AuditError) as err:
        select_version(api.project("demo-pkg"), "7.0", api.index_url)
    assert "demo-pkg 7.0 is not on the index" in err.value.message()
    assert select_version(api.project("demo-pkg"), "1.0", api.index_url).version == "1.0.0"


class LoginPage(WebClient):
    """A proxy that answers the Simple API with its sign-in page (HTML, 200, no links)."""

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        if "/simple/" in url:
            page = b"<!DOCTYPE html><html><body><form>Sign in</form></body></html>"
            return Response(200, {"Content-Type": "text/html; charset=utf-8"}, page, url)
        return super().get(url, headers)


def test_an_html_page_without_files_is_not_taken_for_an_empty_project(index: FakeIndex) -> None:
    project = IndexClient(index.url, LoginPage()).project("demo-pkg")
    assert project.source == "JSON API"
    assert [r.version for r in project.releases] == ["0.9", "1.0.0", "1.1.0rc1"]
    assert project.notes == [
        f"the Simple API could not be used (HTTP 200 (text/html) from {index.url}/simple/demo-pkg/ "
        f"lists no files): versions and files come from the JSON API ({index.url}/pypi/demo-pkg/json)"
    ]


def test_neither_api_usable(index: FakeIndex) -> None:
    index.fail(200, path="/simple/")
    index.fail(410, path="/pypi/")
    with pytest.raises(AuditError) as err:
        IndexClient(index.url, client()[0]).project("demo-pkg")
    assert "gave no usable list of demo-pkg's files" in err.value.cause
    assert "has no 'files' list" in err.value.cause
    assert "HTTP 410 from" in err.value.cause


@pytest.mark.parametrize(
    ("filename", "version"),
    [
        ("Flask-0.1.tar.gz", "0.1"),
        ("python-dateutil-2.8.2.tar.gz", "2.8.2"),
        ("demo_pkg-1.0-py3-none-any.whl", "1.0"),
        ("Demo.Pkg-0.5-py2.7.egg", "0.5"),
        ("Demo-Pkg-0.6.tar.bz2", "0.6"),
        ("other-1.0.tar.gz", None),
        ("README", None),
    ],
)
def test_versions_from_file_names(filename: str, version: str | None) -> None:
    project = (
        "python-dateutil"
        if "dateutil" in filename
        else "flask"
        if "Flask" in filename
        else "demo.pkg"
    )
    assert version_of(filename, project) == version


# -- retries --------------------------------------------------------------------------


def test_retries_5xx_and_resets_with_backoff(index: FakeIndex) -> None:
    index.fail(503, times=2, path="/simple/")
    index.fail(0, times=1, path="/simple/")
    web, sleeps = client(backoff=0.01)
    assert IndexClient(index.url, web).project("demo-pkg").releases[-1].version == "1.1.0rc1"
    assert [s for _, p, s in index.log if p.startswith("/simple/")] == [503, 503, 0, 200]
    assert len(sleeps) == 3
    assert sleeps[1] > sleeps[0] * 0.9  # exponential (with jitter)


@pytest.mark.parametrize("status", [429, 403])
def test_rate_limits_wait_for_retry_after(index: FakeIndex, status: int) -> None:
    index.fail(status, times=1, path="/simple/", headers={"Retry-After": "3"})
    web, sleeps = client()
    IndexClient(index.url, web).project("demo-pkg")
    assert sleeps == [3.0]


def test_github_style_rate_limit_reset(index: FakeIndex) -> None:
    index.fail(
        403, path="/simple/", headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1005"}
    )
    web, sleeps = client(clock=lambda: 1000.0)
    IndexClient(index.url, web).project("demo-pkg")
    assert sleeps == [5.0]


def test_plain_403_is_not_retried(index: FakeIndex) -> None:
    index.fail(403, times=2)  # the Simple API, then the JSON API
    web, sleeps = client()
    with pytest.raises(AuditError) as err:
        IndexClient(index.url, web).project("demo-pkg")
    assert "HTTP 403 from" in err.value.cause
    assert sleeps == []


def test_gives_up_after_attempts(index: FakeIndex) -> None:
    index.fail(502, times=10, path="/simple/")
    web, sleeps = client(attempts=3, backoff=0.01)
    with pytest.raises(NetworkError) as err:
        IndexClient(index.url, web).project("demo-pkg")
    assert err.value.cause.startswith("GET ")
    assert "failed after 3 attempts: HTTP 502" in err.value.cause
    assert "run the command again later" in err.value.fix
    assert len(sleeps) == 2


def test_retry_after_beyond_the_limit_fails_with_when(index: FakeIndex) -> None:
    index.fail(429, path="/simple/", headers={"Retry-After": "3600"})
    web, sleeps = client(max_wait=60)
    with pytest.raises(NetworkError) as err:
        IndexClient(index.url, web).project("demo-pkg")
    assert "rate-limited for another 3600 s" in err.value.cause
    assert "after that time" in err.value.fix
    assert sleeps == []


def test_download_hash_restarts_after_a_cut(index: FakeIndex) -> None:
    f = index.file("demo_pkg-1.0.0.tar.gz")
    index.fail(0, path="/packages/")
    web, _ = client(backoff=0.01)
    status, digest, size = web.sha256(index.url + f.path())
    assert (status, digest, size) == (200, hashlib.sha256(b"sdist 1.0.0").hexdigest(), 11)


def test_refuses_other_schemes() -> None:
    with pytest.raises(NetworkError) as err:
        WebClient().get("file:///etc/passwd")
    assert "only http(s) URLs" in err.value.cause
