"""The audit's checks: every broken promise, a clean history, tampering, yanked versions, scale.

The index is the fake PyPI JSON API; the repository side is given as data
(``StaticRepo``), with release assets served as plain files from a local
directory. The GitHub API itself is exercised in test_audit_github.py.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from release_actions.audit import (
    BROKEN,
    OK,
    SKIPPED,
    SYMBOLS,
    Asset,
    AuditOptions,
    AuditReport,
    Milestone,
    Release,
    audit,
    render_broken,
    render_markdown,
    render_table,
)
from release_actions.errors import VerificationError
from release_actions.index_api import IndexClient
from release_actions.webclient import WebClient
from support.act import git
from support.fake_index import FakeIndex

PROJECT = "demo-pkg"


class Assets:
    """Release assets as files in a directory, served over loopback HTTP."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        handler = functools.partial(_Quiet, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def put(self, tag: str, name: str, content: bytes) -> Asset:
        (self.root / tag).mkdir(exist_ok=True)
        (self.root / tag / name).write_bytes(content)
        host, port = self.server.server_address[:2]
        url = f"http://{host!s}:{port}/{tag}/{name}"
        return Asset(name, url, url, hashlib.sha256(content).hexdigest(), len(content))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class StaticRepo:
    """The repository side as plain data (implements audit.RepoSource)."""

    repo_name: str = "octo/demo"
    tag_names: set[str] = field(default_factory=set)
    release_list: list[Release] = field(default_factory=list)
    milestone_list: list[Milestone] = field(default_factory=list)

    def tags(self) -> frozenset[str]:
        return frozenset(self.tag_names)

    def releases(self) -> tuple[Release, ...]:
        return tuple(self.release_list)

    def milestones(self) -> tuple[Milestone, ...]:
        return tuple(self.milestone_list)

    def asset_headers(self) -> dict[str, str]:
        return {"Accept": "application/octet-stream"}

    def release(self, tag: str) -> Release:
        return next(r for r in self.release_list if r.tag == tag)

    def change(self, tag: str, **kw: Any) -> None:
        self.release_list = [replace(r, **kw) if r.tag == tag else r for r in self.release_list]


def files_for(version: str) -> dict[str, bytes]:
    return {
        f"demo_pkg-{version}.tar.gz": f"sdist {version}".encode(),
        f"demo_pkg-{version}-py3-none-any.whl": f"wheel {version}".encode(),
    }


def publish(index: FakeIndex, repo: StaticRepo, assets: Assets, version: str, **kw: Any) -> None:
    """A release done by the book: index files, tag, release with files and SHA256SUMS, milestone."""
    files = files_for(version)
    index.add(PROJECT, version, files, **kw)
    tag = f"v{version}"
    repo.tag_names.add(tag)
    sums = "".join(f"{hashlib.sha256(b).hexdigest()}  {n}\n" for n, b in sorted(files.items()))
    release_assets = [assets.put(tag, n, b) for n, b in files.items()]
    release_assets.append(assets.put(tag, "SHA256SUMS", sums.encode()))
    repo.release_list.append(
        Release(tag, False, "rc" in version, f"https://github.invalid/{tag}", tuple(release_assets))
    )
    repo.milestone_list.append(Milestone(version, True, f"https://github.invalid/m/{version}"))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[FakeIndex, StaticRepo, Assets]]:
    assets = Assets(tmp_path / "assets")
    with FakeIndex() as index:
        repo = StaticRepo()
        for v in ("1.0.0", "1.1.0", "2.0.0rc1"):
            publish(index, repo, assets, v)
        yield index, repo, assets
    assets.close()


def run(index: FakeIndex, repo: StaticRepo, *, verify: bool = False, **kw: Any) -> AuditReport:
    web = WebClient(backoff=0.01)
    options = AuditOptions(PROJECT, repo.repo_name, verify=verify, tags_from="github", **kw)
    return audit(options, IndexClient(index.url, web), repo)


def statuses(report: AuditReport, version: str) -> dict[str, str]:
    v = next(v for v in report.versions if v.version == version)
    return {name: c.status for name, c in v.checks.items()}


def broken(report: AuditReport) -> list[str]:
    return [f"{v.version} {c.name}" for v, c in report.broken]


# -- a clean history -----------------------------------------------------------------------


def test_clean_history(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    report = run(index, repo, verify=True)
    assert broken(report) == []
    assert [v.version for v in report.versions] == ["2.0.0rc1", "1.1.0", "1.0.0"]
    for v in report.versions:
        assert set(statuses(report, v.version).values()) == {OK}
    rc = report.versions[0]
    assert rc.prerelease  # pre-releases follow the same rules, and pass them
    assert rc.checks["provenance"].detail == "2 file(s) match SHA256SUMS"
    table = render_table(report)
    assert table.splitlines()[0].split() == [
        "Version",
        "Tag",
        "Release",
        "Milestone",
        "Assets",
        "Provenance",
        "Note",
    ]
    assert table.splitlines()[1].split() == ["2.0.0rc1", "✓", "✓", "✓", "✓", "✓", "pre-release"]
    assert render_broken(report) == []
    assert report.to_json()["ok"] is True


def test_tags_without_v_and_equal_versions_count(
    world: tuple[FakeIndex, StaticRepo, Assets],
) -> None:
    index, repo, _ = world
    repo.tag_names = {"1.0.0", "v1.1", "2.0.0-rc1"}
    repo.milestone_list = [
        replace(m, title=t)
        for m, t in zip(repo.milestone_list, ["v1.0.0", "1.1.0", "2.0.0rc1"], strict=True)
    ]
    repo.release_list = [
        replace(r, tag=t)
        for r, t in zip(repo.release_list, ["1.0.0", "v1.1", "2.0.0-rc1"], strict=True)
    ]
    report = run(index, repo)
    assert broken(report) == []
    assert {v.version: v.tag for v in report.versions} == {
        "1.0.0": "1.0.0",
        "1.1.0": "v1.1",
        "2.0.0rc1": "2.0.0-rc1",
    }


# -- every broken promise --------------------------------------------------------------------


def test_missing_tag(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    repo.tag_names.discard("v1.1.0")
    report = run(index, repo)
    assert broken(report) == ["1.1.0 tag"]
    (line,) = render_broken(report)
    assert line == (
        "1.1.0 tag: no git tag '1.1.0' or 'v1.1.0'. Fix: Tag the released commit and push the tag: "
        "git tag v1.1.0 COMMIT && git push origin v1.1.0."
    )
    # the release for v1.1.0 is still found by its tag name
    assert statuses(report, "1.1.0")["release"] == OK


def test_missing_release(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    repo.release_list = [r for r in repo.release_list if r.tag != "v1.0.0"]
    report = run(index, repo, verify=True)
    assert broken(report) == ["1.0.0 release"]
    assert statuses(report, "1.0.0") == {
        "tag": OK,
        "release": BROKEN,
        "milestone": OK,
        "assets": SKIPPED,
        "provenance": SKIPPED,
    }
    (line,) = render_broken(report)
    assert "no GitHub release for tag 'v1.0.0'" in line
    assert "Create the release page for tag 'v1.0.0'" in line


def test_draft_release(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    repo.change("v2.0.0rc1", draft=True)
    report = run(index, repo)
    assert broken(report) == ["2.0.0rc1 release"]
    (line,) = render_broken(report)
    assert "the release for tag 'v2.0.0rc1' is still a draft" in line
    assert "Publish the draft release https://github.invalid/v2.0.0rc1" in line
    assert "draft" in render_table(report).splitlines()[1]


def test_missing_and_open_milestones(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    repo.milestone_list = [
        Milestone("1.1.0", False, "https://github.invalid/m/1.1.0"),
        Milestone("2.0.0rc1", True),
    ]
    report = run(index, repo)
    assert broken(report) == ["1.1.0 milestone", "1.0.0 milestone"]
    lines = render_broken(report)
    assert (
        "milestone '1.1.0' is still open. Fix: Close milestone '1.1.0' (https://github.invalid/m/1.1.0)"
        in lines[0]
    )
    assert (
        "no milestone named '1.0.0' or 'v1.0.0'. Fix: Create a milestone named '1.0.0'" in lines[1]
    )
    assert run(index, repo, skip=["milestone"]).broken == []


def test_release_lacks_index_files(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    r = repo.release("v1.1.0")
    repo.change("v1.1.0", assets=tuple(a for a in r.assets if not a.name.endswith(".whl")))
    report = run(index, repo)
    assert broken(report) == ["1.1.0 assets"]
    (line,) = render_broken(report)
    assert "release 'v1.1.0' lacks 'demo_pkg-1.1.0-py3-none-any.whl' from the index" in line


def test_release_asset_differs_from_index_file(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, assets = world
    r = repo.release("v1.0.0")
    other = assets.put("v1.0.0", "demo_pkg-1.0.0.tar.gz", b"rebuilt sdist")
    repo.change("v1.0.0", assets=tuple(other if a.name == other.name else a for a in r.assets))
    report = run(index, repo)
    assert broken(report) == ["1.0.0 assets"]
    assert (
        "release asset 'demo_pkg-1.0.0.tar.gz' is not the index's file"
        in report.broken[0][1].detail
    )


def test_no_provenance_and_no_sums(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    r = repo.release("v1.1.0")
    repo.change("v1.1.0", assets=tuple(a for a in r.assets if a.name != "SHA256SUMS"))
    report = run(index, repo, verify=True)
    assert broken(report) == ["1.1.0 provenance"]
    (line,) = render_broken(report)
    assert "release 'v1.1.0' has neither multiple.intoto.jsonl nor SHA256SUMS" in line
    assert "Attach the provenance the attest action made" in line
    # without --verify nothing is downloaded and the check is not made
    assert run(index, repo).broken == []


def test_file_replaced_on_the_index(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    """A re-upload by hand: the index's digest follows the new bytes, the SHA256SUMS does not."""
    index, repo, _ = world
    index.replace("demo_pkg-1.1.0.tar.gz", b"tampered sdist")
    report = run(index, repo, verify=True)
    assert broken(report) == ["1.1.0 assets", "1.1.0 provenance"]
    check = report.broken[1][1]
    digest = hashlib.sha256(b"tampered sdist").hexdigest()
    assert check.detail == (
        f"'demo_pkg-1.1.0.tar.gz' on the index (sha256 {digest}) is not a subject of "
        "SHA256SUMS of release 'v1.1.0'"
    )
    assert "yank version 1.1.0" in check.fix


def test_index_serves_other_bytes_than_its_digest(
    world: tuple[FakeIndex, StaticRepo, Assets],
) -> None:
    index, repo, _ = world
    index.corrupt("demo_pkg-1.0.0-py3-none-any.whl", b"corrupted in transit")
    report = run(index, repo, verify=True)
    assert broken(report) == ["1.0.0 provenance"]
    detail = report.broken[0][1].detail
    assert "the index serves 'demo_pkg-1.0.0-py3-none-any.whl' with sha256 " in detail
    assert hashlib.sha256(b"corrupted in transit").hexdigest() in detail


def test_malformed_sums(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, assets = world
    r = repo.release("v1.0.0")
    bad = assets.put("v1.0.0", "SHA256SUMS", b"not a sums file\n")
    repo.change("v1.0.0", assets=tuple(bad if a.name == "SHA256SUMS" else a for a in r.assets))
    report = run(index, repo, verify=True)
    assert broken(report) == ["1.0.0 provenance"]
    assert (
        "SHA256SUMS of release 'v1.0.0' could not be used: SHA256SUMS is neither sha256sum lines"
        in report.broken[0][1].detail
    )
    assert report.broken[0][1].fix.startswith(
        "Replace it with the SHA256SUMS the hash action wrote"
    )


def test_provenance_is_preferred_and_must_verify(
    world: tuple[FakeIndex, StaticRepo, Assets],
) -> None:
    index, repo, assets = world
    r = repo.release("v1.1.0")
    prov = assets.put("v1.1.0", "multiple.intoto.jsonl", b'{"payload": "..."}\n')
    repo.change("v1.1.0", assets=(*r.assets, prov))
    seen: list[tuple[bytes, str, str]] = []

    def refusing(data: bytes, repo_name: str, tag: str) -> set[str]:
        seen.append((data, repo_name, tag))
        raise VerificationError("The signature does not verify.", "Re-create the provenance.")

    report = audit(
        AuditOptions(PROJECT, repo.repo_name, verify=True, tags_from="github"),
        IndexClient(index.url, WebClient()),
        repo,
        verifier=refusing,
    )
    assert seen == [(b'{"payload": "..."}\n', "octo/demo", "v1.1.0")]
    assert broken(report) == ["1.1.0 provenance"]
    check = report.broken[0][1]
    assert (
        check.detail
        == "multiple.intoto.jsonl of release 'v1.1.0' could not be used: The signature does not verify"
    )
    assert check.fix == "Re-create the provenance."

    def accepting(data: bytes, repo_name: str, tag: str) -> set[str]:
        return {f.sha256 for v in report.versions for f in v.files}

    ok = audit(
        AuditOptions(PROJECT, repo.repo_name, verify=True, tags_from="github"),
        IndexClient(index.url, WebClient()),
        repo,
        verifier=accepting,
    )
    assert ok.broken == []
    v110 = next(v for v in ok.versions if v.version == "1.1.0")
    assert v110.checks["provenance"].detail == "2 file(s) match multiple.intoto.jsonl"


# -- yanked versions -------------------------------------------------------------------------


def test_yanked_versions_are_reported_not_violations(
    world: tuple[FakeIndex, StaticRepo, Assets],
) -> None:
    index, repo, _ = world
    index.add(PROJECT, "0.9.0", files_for("0.9.0"), yanked=True, yanked_reason="wrong metadata")
    index.yank(PROJECT, "1.0.0")
    report = run(index, repo, verify=True)
    assert broken(report) == []  # 0.9.0 has no tag, release or milestone, and that is fine
    yanked = {v.version: v.yanked_reason for v in report.versions if v.yanked}
    assert yanked == {"0.9.0": "wrong metadata", "1.0.0": None}
    lines = render_table(report).splitlines()
    dash = SYMBOLS[SKIPPED]
    assert lines[-1].split(maxsplit=6) == ["0.9.0", *[dash] * 5, "yanked: wrong metadata"]
    assert report.to_json()["versions"][-1]["status"] == "yanked"


# -- one version, and many -------------------------------------------------------------------


def test_one_version(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    repo.tag_names.clear()
    report = run(index, repo, versions=["1.1.0"])
    assert broken(report) == ["1.1.0 tag"]
    assert [p for _, p, _ in index.log] == ["/simple/demo-pkg/"]  # one request for the project


def test_two_hundred_versions_in_parallel(tmp_path: Path) -> None:
    assets = Assets(tmp_path / "assets")
    try:
        with FakeIndex(delay=0.02) as index:
            repo = StaticRepo()
            versions = [f"1.{minor}.{patch}" for minor in range(20) for patch in range(10)]
            for v in versions:
                publish(index, repo, assets, v)
            repo.tag_names.discard("v1.7.3")
            started = time.monotonic()
            report = run(index, repo, verify=True, jobs=8)
            elapsed = time.monotonic() - started
    finally:
        assets.close()
    assert len(report.versions) == 200
    assert broken(report) == ["1.7.3 tag"]
    # 1 Simple API page + 400 files, 20 ms each: ~8 s one at a time
    assert len(index.log) == 401
    assert 2 <= index.max_in_flight <= 8
    assert elapsed < 8, elapsed
    markdown = render_markdown(report, limit=50)
    assert "150 older version(s) not shown" in markdown
    assert "- **1.7.3** tag: no git tag '1.7.3' or 'v1.7.3'." in markdown


# -- a local clone's tags --------------------------------------------------------------------


def test_tags_from_a_local_clone(
    world: tuple[FakeIndex, StaticRepo, Assets], tmp_path: Path
) -> None:
    index, repo, _ = world
    clone = tmp_path / "clone"
    clone.mkdir()
    git(clone, "init", "-q", "-b", "main")
    git(clone, "commit", "-q", "--allow-empty", "-m", "one")
    git(clone, "tag", "v1.0.0")
    git(clone, "tag", "-a", "2.0.0rc1", "-m", "annotated")
    git(clone, "tag", "not-a-version")
    git(clone, "remote", "add", "origin", "git@github.com:Octo/Demo.git")
    repo.tag_names = set()  # the API would say: no tags at all
    options = AuditOptions(PROJECT, "octo/demo", checkout=clone)  # tags_from="auto"
    report = audit(options, IndexClient(index.url, WebClient()), repo)
    assert report.tags_from == "git"
    assert broken(report) == ["1.1.0 tag"]
    # another repository's clone is not used
    other = audit(
        replace(options, repo="octo/other"),
        IndexClient(index.url, WebClient()),
        replace(repo, repo_name="octo/other"),
    )
    assert other.tags_from == "github"
    assert len(broken(other)) == 3
    # nor is a shallow one
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{clone}", str(shallow))
    git(shallow, "remote", "set-url", "origin", "https://github.com/octo/demo.git")
    report = audit(replace(options, checkout=shallow), IndexClient(index.url, WebClient()), repo)
    assert report.tags_from == "github"


# -- rendering and the GitHub reader's own errors -------------------------------------------


def test_ascii_table_and_markdown_escaping(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    index.add(PROJECT, "3.0.0", files_for("3.0.0"), yanked=True, yanked_reason="a|b")
    repo.tag_names.discard("v1.0.0")
    report = run(index, repo)
    table = render_table(report, ascii_only=True)
    assert table.isascii()
    assert table.splitlines()[-1].split() == ["1.0.0", "X", "ok", "ok", "ok"]
    markdown = render_markdown(report)
    assert "| 3.0.0 | – | – | – | – | yanked: a\\|b |" in markdown  # noqa: RUF001
    assert "<details><summary>1 broken promise(s)</summary>" in markdown


def test_github_unreachable_is_a_network_error() -> None:
    from release_actions.audit import GitHubReader
    from release_actions.errors import NetworkError

    reader = GitHubReader("octo/demo", api_url="http://127.0.0.1:9/api/v3", attempts=0)
    with pytest.raises(NetworkError) as err:
        reader.releases()
    assert err.value.cause.startswith(
        "The GitHub API at http://127.0.0.1:9/api/v3 failed for octo/demo"
    )
    assert "--api-url" in err.value.fix


# -- the real verifier ------------------------------------------------------------------------

GENERATOR_V21 = Path(__file__).parent / "data" / "slsa-verifier" / "gha_generic" / "v2.1.0"


def test_real_verifier_returns_the_subjects_of_provenance_built_from_the_tag() -> None:
    from release_actions.audit import verify_provenance

    data = (GENERATOR_V21 / "binary-linux-amd64-push-v14.2.intoto.jsonl").read_bytes()
    digests = verify_provenance(data, "slsa-framework/example-package", "v14.2")
    assert digests == {"376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa"}


@pytest.mark.parametrize(
    ("repo_name", "tag", "message"),
    [
        (
            "slsa-framework/example-package",
            "v14.1",
            "signer identity: built from tag v14.2, expected tag v14.1",
        ),
        (
            "octo/demo",
            "v14.2",
            "signer identity: signed for source github.com/slsa-framework/example-package",
        ),
    ],
)
def test_real_verifier_refuses_provenance_of_another_tag_or_repository(
    repo_name: str, tag: str, message: str
) -> None:
    from release_actions.audit import verify_provenance

    data = (GENERATOR_V21 / "binary-linux-amd64-push-v14.2.intoto.jsonl").read_bytes()
    with pytest.raises(VerificationError) as caught:
        verify_provenance(data, repo_name, tag)
    assert message in caught.value.cause
    assert "release-actions verify --provenance multiple.intoto.jsonl" in caught.value.fix
