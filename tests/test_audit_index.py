"""The index JSON API client, the retrying web client, and the fake index they are tested against."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from release_actions.errors import AuditError, NetworkError
from release_actions.index_api import IndexClient
from release_actions.webclient import WebClient
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


def client(**kw: object) -> tuple[WebClient, Sleeps]:
    sleeps = Sleeps()
    return WebClient(sleep=sleeps, **kw), sleeps  # type: ignore[arg-type]


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


# -- the client --------------------------------------------------------------------------


def test_versions_and_files(index: FakeIndex) -> None:
    api = IndexClient(index.url, client()[0])
    assert api.versions("Demo.Pkg") == ["0.9", "1.0.0", "1.1.0rc1"]
    rc = api.release("demo.pkg", "1.1.0rc1")
    assert rc.prerelease
    assert not rc.yanked
    assert [f.filename for f in rc.files] == [
        "demo_pkg-1.1.0rc1-py3-none-any.whl",
        "demo_pkg-1.1.0rc1.tar.gz",
    ]
    assert rc.files[1].sha256 == hashlib.sha256(b"sdist rc").hexdigest()
    assert rc.files[0].packagetype == "bdist_wheel"
    old = api.release("demo-pkg", "0.9")
    assert old.yanked
    assert old.yanked_reason == "broken"


def test_unknown_project_and_version(index: FakeIndex) -> None:
    api = IndexClient(index.url + "/", client()[0])
    with pytest.raises(AuditError) as err:
        api.versions("no-such-project")
    assert "Project 'no-such-project' is not on the index" in err.value.message()
    assert "--project" in err.value.fix
    with pytest.raises(AuditError) as err:
        api.release("demo-pkg", "7.0")
    assert "demo-pkg 7.0 is not on the index" in err.value.message()


def test_not_a_json_api(index: FakeIndex) -> None:
    index.fail(200, path="/pypi/")  # an HTML page where JSON belongs
    with pytest.raises(AuditError) as err:
        IndexClient(index.url, client()[0]).versions("demo-pkg")
    assert "is not the PyPI JSON API: no 'releases'" in err.value.cause
    index.fail(500, times=1, path="/pypi/")
    index.fail(410, path="/pypi/")
    with pytest.raises(NetworkError) as err2:
        IndexClient(index.url, client()[0]).versions("demo-pkg")
    assert "answered HTTP 410" in err2.value.cause


# -- retries --------------------------------------------------------------------------


def test_retries_5xx_and_resets_with_backoff(index: FakeIndex) -> None:
    index.fail(503, times=2, path="/pypi/")
    index.fail(0, times=1, path="/pypi/")
    web, sleeps = client(backoff=0.01)
    assert IndexClient(index.url, web).versions("demo-pkg")[-1] == "1.1.0rc1"
    assert [s for _, p, s in index.log if p.startswith("/pypi/")] == [503, 503, 0, 200]
    assert len(sleeps) == 3
    assert sleeps[1] > sleeps[0] * 0.9  # exponential (with jitter)


@pytest.mark.parametrize("status", [429, 403])
def test_rate_limits_wait_for_retry_after(index: FakeIndex, status: int) -> None:
    index.fail(status, times=1, path="/pypi/", headers={"Retry-After": "3"})
    web, sleeps = client()
    IndexClient(index.url, web).versions("demo-pkg")
    assert sleeps == [3.0]


def test_github_style_rate_limit_reset(index: FakeIndex) -> None:
    index.fail(
        403, path="/pypi/", headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1005"}
    )
    web, sleeps = client(clock=lambda: 1000.0)
    IndexClient(index.url, web).versions("demo-pkg")
    assert sleeps == [5.0]


def test_plain_403_is_not_retried(index: FakeIndex) -> None:
    index.fail(403, path="/pypi/")
    web, sleeps = client()
    with pytest.raises(NetworkError) as err:
        IndexClient(index.url, web).versions("demo-pkg")
    assert "HTTP 403" in err.value.cause
    assert sleeps == []


def test_gives_up_after_attempts(index: FakeIndex) -> None:
    index.fail(502, times=10, path="/pypi/")
    web, sleeps = client(attempts=3, backoff=0.01)
    with pytest.raises(NetworkError) as err:
        IndexClient(index.url, web).versions("demo-pkg")
    assert err.value.cause.startswith("GET ")
    assert "failed after 3 attempts: HTTP 502" in err.value.cause
    assert "run the command again later" in err.value.fix
    assert len(sleeps) == 2


def test_retry_after_beyond_the_limit_fails_with_when(index: FakeIndex) -> None:
    index.fail(429, path="/pypi/", headers={"Retry-After": "3600"})
    web, sleeps = client(max_wait=60)
    with pytest.raises(NetworkError) as err:
        IndexClient(index.url, web).versions("demo-pkg")
    assert "rate-limited for another 3600 s" in err.value.cause
    assert "--jobs" in err.value.fix
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
