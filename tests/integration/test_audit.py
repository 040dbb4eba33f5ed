"""The audit's checks: every broken promise, a clean history, tampering, yanked versions, scale.

The index is the fake PyPI JSON API; the repository side is given as data
(``StaticRepo``), with release assets served as plain files from a local
directory. The GitHub API itself is exercised in test_audit_github.py.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from release_actions.audit import (
    BROKEN,
    OK,
    SKIPPED,
    SYMBOLS,
    UNREACHABLE,
    Asset,
    AuditOptions,
    AuditReport,
    Milestone,
    Promise,
    Release,
    Since,
    audit,
    render_broken,
    render_markdown,
    render_table,
    render_unreachable,
    summary_counts,
)
from release_actions.errors import InputError, UsageError, VerificationError
from release_actions.index_api import IndexClient
from release_actions.retry import Policy
from release_actions.webclient import WebClient
from support.act import git
from support.fake_index import FakeIndex
from support.loopback import Handler, Loopback
from support.paths import DATA

PROJECT = "demo-pkg"


class Assets:
    """Release assets as files in a directory, served over loopback HTTP."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        self.server = Loopback(functools.partial(_Files, directory=str(root))).start()

    def put(self, tag: str, name: str, content: bytes) -> Asset:
        (self.root / tag).mkdir(exist_ok=True)
        (self.root / tag / name).write_bytes(content)
        url = f"{self.server.url}/{tag}/{name}"
        return Asset(name, url, url, hashlib.sha256(content).hexdigest(), len(content))

    def close(self) -> None:
        self.server.stop()


class _Files(Handler, SimpleHTTPRequestHandler):
    """Serves a directory (SimpleHTTPRequestHandler), quietly."""


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
    with FakeIndex(json_api=False) as index:  # the Simple API only, as a mirror may serve
        repo = StaticRepo()
        for v in ("1.0.0", "1.1.0", "2.0.0rc1"):
            publish(index, repo, assets, v)
        yield index, repo, assets
    assets.close()


def run(index: FakeIndex, repo: StaticRepo, *, verify: bool = False, **kw: Any) -> AuditReport:
    web = WebClient(Policy(backoff=0.01, attempts=3))
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
    # one Simple API request for the project, then only the files: no JSON API at all
    paths = [p for _, p, _ in index.log]
    assert paths[0] == "/simple/demo-pkg/"
    assert all(p.startswith("/packages/") for p in paths[1:])
    assert report.index_source == "Simple API (JSON)"


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
            report = run(index, repo, verify=True, jobs=8)
    finally:
        assets.close()
    assert len(report.versions) == 200
    assert broken(report) == ["1.7.3 tag"]
    # 1 Simple API page + 400 files, side by side but never more than --jobs at once (how
    # much faster that is belongs to bench/audit.py, not to a timed test on a busy machine)
    assert len(index.log) == 401
    assert 2 <= index.max_in_flight <= 8
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
    from release_actions.github import ClientSettings

    settings = ClientSettings(policy=Policy(attempts=1))
    reader = GitHubReader("octo/demo", api_url="http://127.0.0.1:9/api/v3", settings=settings)
    with pytest.raises(NetworkError) as err:
        reader.releases()
    assert err.value.cause == "Could not reach GitHub while listing the releases: ConnectionError."
    assert "--api-url" in err.value.fix


# -- the real verifier ------------------------------------------------------------------------

GENERATOR_V21 = DATA / "slsa-verifier" / "gha_generic" / "v2.1.0"


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


# -- one version's failure is one finding ---------------------------------------------------


def test_a_file_answering_404_is_unreachable_on_its_row_only(
    world: tuple[FakeIndex, StaticRepo, Assets],
) -> None:
    index, repo, _ = world
    index.fail(404, times=1, path="/demo_pkg-1.1.0.tar.gz")
    index.fail(0, times=3, path="/demo_pkg-2.0.0rc1-py3-none-any.whl")  # no answer, every try
    report = run(index, repo, verify=True)
    assert broken(report) == []
    assert [v.version for v in report.versions] == ["2.0.0rc1", "1.1.0", "1.0.0"]
    assert {v.version: v.status for v in report.versions} == {
        "2.0.0rc1": UNREACHABLE,
        "1.1.0": UNREACHABLE,
        "1.0.0": OK,
    }
    check = next(v for v in report.versions if v.version == "1.1.0").checks["provenance"]
    url = index.url + index.file("demo_pkg-1.1.0.tar.gz").path()
    assert check.detail == (
        f"'demo_pkg-1.1.0.tar.gz' could not be downloaded from the index: HTTP 404 from {url}"
    )
    assert check.fix == f"Check that {url} is reachable from here, then run the audit again."
    rc = next(v for v in report.versions if v.version == "2.0.0rc1").checks["provenance"]
    assert "failed after 3 attempts" in rc.detail
    lines = render_unreachable(report)
    assert len(lines) == 2
    assert "?" in render_table(report).splitlines()[1]
    data = report.to_json()
    assert (data["ok"], data["broken"], data["unreachable"]) == (False, 0, 2)
    assert "2 not fully checked (unreachable)" in summary_counts(report)


def test_a_file_that_times_out_is_unreachable(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    index.stall(1.0, times=2, path="/demo_pkg-1.0.0-py3-none-any.whl")
    web = WebClient(Policy(attempts=2, backoff=0.01), timeout=0.2)
    options = AuditOptions(PROJECT, repo.repo_name, verify=True, tags_from="github")
    report = audit(options, IndexClient(index.url, web), repo)
    assert {v.version: v.status for v in report.versions} == {
        "2.0.0rc1": OK,
        "1.1.0": OK,
        "1.0.0": UNREACHABLE,
    }
    ((_, check),) = report.unreachable
    assert check.detail.startswith(
        "'demo_pkg-1.0.0-py3-none-any.whl' could not be downloaded from the index: "
        "Download of http://"
    )
    assert "failed after 2 attempts: timed out" in check.detail


def test_release_evidence_unreachable_is_not_broken(
    world: tuple[FakeIndex, StaticRepo, Assets],
) -> None:
    index, repo, assets = world
    (assets.root / "v1.0.0" / "SHA256SUMS").unlink()  # listed by the API, gone from storage
    report = run(index, repo, verify=True)
    assert broken(report) == []
    (v, check), *_ = report.unreachable
    assert (v.version, check.name) == ("1.0.0", "provenance")
    assert check.detail.startswith(
        "SHA256SUMS of release 'v1.0.0' could not be read: HTTP 404 from"
    )


# -- PEP 740 provenance ------------------------------------------------------------------------

PYPI_ATTESTATIONS = DATA / "pypi-attestations"
PEP740_SDIST = PYPI_ATTESTATIONS / "pypi_attestations-0.0.19.tar.gz"
# What PyPI's Integrity API serves for that sdist: one bundle, publisher and attestation.
PEP740_PROVENANCE = PYPI_ATTESTATIONS / "pypi_attestations-0.0.19.tar.gz.provenance"
PUBLISHER = {
    "kind": "GitHub",
    "repository": "trailofbits/pypi-attestations",
    "workflow": "release.yml",
    "environment": None,
}


@pytest.fixture
def attested(tmp_path: Path) -> Iterator[tuple[FakeIndex, StaticRepo]]:
    """The real pypi-attestations 0.0.19 sdist with its real PEP 740 provenance; no SHA256SUMS."""
    with FakeIndex(json_api=False) as index:
        index.add("pypi-attestations", "0.0.19", {PEP740_SDIST.name: PEP740_SDIST.read_bytes()})
        provenance = json.loads(PEP740_PROVENANCE.read_text())
        index.file(PEP740_SDIST.name).bundles = provenance["attestation_bundles"]
        repo = StaticRepo(
            "trailofbits/pypi-attestations",
            tag_names={"v0.0.19"},
            release_list=[Release("v0.0.19", False, False, "https://github.invalid/v0.0.19")],
        )
        yield index, repo


def run_attested(
    index: FakeIndex, repo: StaticRepo, skip: tuple[str, ...] = ("milestone", "assets"), **kw: Any
) -> AuditReport:
    options = AuditOptions(
        "pypi-attestations", repo.repo_name, verify=True, tags_from="github", skip=skip, **kw
    )
    return audit(options, IndexClient(index.url, WebClient(Policy(backoff=0.01))), repo)


def test_pep740_provenance_verifies_against_repository_workflow_and_tag(
    attested: tuple[FakeIndex, StaticRepo],
) -> None:
    index, repo = attested
    report = run_attested(index, repo)
    assert broken(report) == []
    (v,) = report.versions
    assert v.checks["provenance"] == Promise(
        "provenance", OK, "1 file(s) match PEP 740 attestations"
    )
    assert "PEP 740" in render_table(report).splitlines()[1]
    assert v.to_json()["files"][0]["provenance"].endswith(
        "/integrity/pypi-attestations/0.0.19/pypi_attestations-0.0.19.tar.gz/provenance"
    )
    # the release's own assets were not needed: no SHA256SUMS, and none was asked for
    assert not any("SHA256SUMS" in p for _, p, _ in index.log)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"workflow": "wrong.yml"}, "release.yml@refs/tags/v0.0.19, expected wrong.yml"),
        ({"repo": "octo/other"}, "pypi-attestations, expected github.com/octo/other"),
        ({"tag": "0.0.19"}, "signer identity: built from tag v0.0.19, expected tag 0.0.19"),
    ],
)
def test_pep740_provenance_of_another_workflow_repository_or_tag_is_broken(
    attested: tuple[FakeIndex, StaticRepo], change: dict[str, str], message: str
) -> None:
    index, repo = attested
    if "repo" in change:
        repo = replace(repo, repo_name=change["repo"])
    if "tag" in change:  # the repository's tag for 0.0.19 is not the one it was published from
        repo = replace(repo, tag_names={change["tag"]})
    report = run_attested(index, repo, workflow=change.get("workflow", ""))
    assert broken(report) == ["0.0.19 provenance"]
    check = report.broken[0][1]
    assert check.detail.startswith(
        "the PEP 740 provenance of 'pypi_attestations-0.0.19.tar.gz' does not verify: "
    )
    assert message in check.detail
    assert "trusted publishers" in check.fix


def test_pep740_provenance_that_verify_cannot_read_is_broken(
    attested: tuple[FakeIndex, StaticRepo],
) -> None:
    index, repo = attested
    index.file(PEP740_SDIST.name).bundles = [{"publisher": PUBLISHER, "attestations": [{"x": 1}]}]
    report = run_attested(index, repo, skip=("milestone", "assets", "release"))
    ((_, check),) = report.broken
    assert check.detail == (
        "the PEP 740 provenance of 'pypi_attestations-0.0.19.tar.gz' does not verify: "
        "the Integrity API's answer, line 1: unsupported format: not a Sigstore bundle, "
        "DSSE envelope or PEP 740 attestation (keys: x)"
    )
    assert check.fix.startswith(
        "Its attestations do not show that release.yml of trailofbits/pypi-attestations published it"
    )


def test_pep740_provenance_unreachable_or_not_json(
    attested: tuple[FakeIndex, StaticRepo],
) -> None:
    index, repo = attested
    index.fail(404, path="/integrity/")
    # with the release page (which has no SHA256SUMS to fall back on): broken, and says both
    report = run_attested(index, repo)
    (detail,) = [c.detail for _, c in report.broken]
    assert "could not be read: HTTP 404" in detail
    assert "release 'v0.0.19' has neither multiple.intoto.jsonl nor SHA256SUMS" in detail
    # without reading release pages, the attestations were the only evidence: not checked
    index.fail(404, path="/integrity/")
    no_pages = ("milestone", "assets", "release")
    report = run_attested(index, repo, skip=no_pages)
    ((_, check),) = report.unreachable
    assert check.detail.startswith(
        "the PEP 740 provenance of 'pypi_attestations-0.0.19.tar.gz' could not be read: HTTP 404 from "
    )
    assert "(the index's Integrity API)" in check.fix
    index.fail(200, path="/integrity/")  # JSON, but not a provenance object
    report = run_attested(index, repo, skip=no_pages)
    ((_, check),) = report.unreachable
    assert "is not a PEP 740 provenance object with attestations" in check.detail


def test_a_mirror_answering_html(tmp_path: Path) -> None:
    """PEP 503 pages only, and HTML where the Integrity API would be: the audit still finishes."""
    assets = Assets(tmp_path / "assets")
    try:
        with FakeIndex(html_mirror=True) as index:
            repo = StaticRepo()
            for v in ("1.0.0", "1.1.0"):
                publish(index, repo, assets, v)
            index.attest("demo_pkg-1.1.0.tar.gz", [{"envelope": {}}], PUBLISHER)
            report = run(index, repo, verify=True)
    finally:
        assets.close()
    assert report.index_source == "Simple API (HTML)"
    assert report.notes[0].startswith("the index serves the Simple API as HTML only")
    assert [(v.version, v.status) for v in report.versions] == [
        ("1.1.0", UNREACHABLE),
        ("1.0.0", OK),
    ]
    ((_, check),) = report.unreachable
    assert "could not be read: HTTP 200 (text/html) from " in check.detail
    assert check.detail.endswith(" is not JSON")


# -- --since ------------------------------------------------------------------------------------


def test_since_a_version_leaves_older_ones_out_and_counts_them(
    world: tuple[FakeIndex, StaticRepo, Assets],
) -> None:
    index, repo, _ = world
    index.add(PROJECT, "0.1", files_for("0.1"))  # from before the policy: no tag, no release
    report = run(index, repo, since=Since.parse("1.1"))
    assert [v.version for v in report.versions] == ["2.0.0rc1", "1.1.0"]
    assert report.excluded == ["1.0.0", "0.1"]
    assert broken(report) == []
    assert summary_counts(report).endswith("; 2 older than --since 1.1 left out")
    assert report.to_json()["excluded"] == ["1.0.0", "0.1"]
    markdown = render_markdown(report)
    assert "<details><summary>2 version(s) older than --since 1.1</summary>" in markdown


def test_since_a_date_uses_upload_times(world: tuple[FakeIndex, StaticRepo, Assets]) -> None:
    index, repo, _ = world
    first_of_110 = min(index.file(n).upload_time for n in files_for("1.1.0"))
    since = Since.parse(first_of_110.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    report = run(index, repo, since=since)
    assert report.excluded == ["1.0.0"]
    assert Since.parse("2024-01-01").date is not None


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "1.0 final"])
def test_since_must_be_a_version_or_a_date(value: str) -> None:
    with pytest.raises(UsageError) as err:
        Since.parse(value)
    assert "is neither a version nor a date (YYYY-MM-DD)" in err.value.cause


def test_since_a_date_without_upload_times_says_so(tmp_path: Path) -> None:
    with FakeIndex(html_mirror=True) as index:
        index.add(PROJECT, "1.0.0", files_for("1.0.0"))
        with pytest.raises(InputError) as err:
            run(index, StaticRepo(), since=Since.parse("2024-01-01"))
    assert "--since 2024-01-01 needs upload times, and the index gives none for 2 file(s)" in (
        err.value.cause
    )
    assert "Use --since VERSION instead" in err.value.fix
