"""``release-actions audit`` as a user and a runner see it: table, JSON, summary, exit codes.

These runs need no GitHub API: tags come from a local clone and the checks
that need releases or milestones are skipped (the GitHub side is covered in
test_audit_github.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from release_actions.cli import main
from support.act import git
from support.cli import CliResult, run_cli
from support.fake_index import FakeIndex

TOKEN = "ghs_audit-secret-token-0123456789"
TAG_ONLY = ["--skip=release", "--skip=milestone", "--skip=assets", "--tags-from=git"]


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    with FakeIndex() as fake:
        for v in ("1.0.0", "1.1.0", "2.0.0b1"):
            fake.add("demo-pkg", v, {f"demo_pkg-{v}.tar.gz": v.encode()})
        fake.add(
            "demo-pkg", "0.1", {"demo_pkg-0.1.tar.gz": b"x"}, yanked=True, yanked_reason="oops"
        )
        yield fake


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "pyproject.toml").write_text('[project]\nname = "Demo.Pkg"\nversion = "2.0.0b1"\n')
    git(clone, "init", "-q", "-b", "main")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "one")
    for tag in ("v1.0.0", "1.1.0", "v2.0.0b1"):
        git(clone, "tag", tag)
    git(clone, "remote", "add", "origin", "https://github.com/octo/demo.git")
    monkeypatch.chdir(clone)
    return clone


def audit_cli(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    **kw: object,
) -> CliResult:
    return run_cli(["audit", *args], capsys, tmp_path, **kw)  # type: ignore[arg-type]


def test_clean_history_table_and_outputs(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = audit_cli([f"--index-url={index.url}", *TAG_ONLY], capsys, tmp_path)
    assert result.code == 0, result.text
    lines = result.out.splitlines()
    assert lines[0].split() == ["Version", "Tag", "Note"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["2.0.0b1", "✓"],
        ["1.1.0", "✓"],
        ["1.0.0", "✓"],
        ["0.1", "–"],  # noqa: RUF001
    ]
    assert lines[1].endswith("pre-release")
    assert lines[4].endswith("yanked: oops")
    assert result.outputs == {"broken": "0", "unreachable": "0", "versions": "4", "excluded": "0"}
    assert "### ✅ Release audit of Demo.Pkg" in result.summary
    assert (
        "4 version(s) of Demo.Pkg audited against octo/demo: 0 with broken promises"
        in result.summary
    )
    assert "::error" not in result.out


def test_broken_promise_exit_1_names_it_and_the_fix(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    git(checkout, "tag", "-d", "1.1.0")
    result = audit_cli(
        [f"--index-url={index.url}", "--project=demo-pkg", "--repo=octo/demo", *TAG_ONLY],
        capsys,
        tmp_path,
    )
    assert result.code == 1
    message = "no git tag '1.1.0' or 'v1.1.0'. Fix: Tag the released commit and push the tag: git tag v1.1.0 COMMIT && git push origin v1.1.0."
    assert f"broken: 1.1.0 tag: {message}" in result.out
    assert f"::error title=Release audit%3A 1.1.0 tag::{message}" in result.out
    assert "### ❌ Release audit of demo-pkg" in result.summary
    assert (
        "- **1.1.0** tag: no git tag '1.1.0' or 'v1.1.0'.<br>Fix: Tag the released commit"
        in result.summary
    )
    assert result.outputs["broken"] == "1"


def test_json_and_report_file(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "out" / "audit.json"
    result = audit_cli(
        [f"--index-url={index.url}", "--json", f"--output={report}", "--version=1.0.0", *TAG_ONLY],
        capsys,
        tmp_path,
        on_runner=False,
    )
    assert result.code == 0, result.text
    data = json.loads(result.out)
    assert json.loads(report.read_text()) == data
    assert data["ok"] is True
    assert data["repository"] == "octo/demo"
    assert data["tags_from"] == "git"
    assert data["checks"] == ["tag"]
    (version,) = data["versions"]
    assert version["version"] == "1.0.0"
    assert version["checks"] == {"tag": {"status": "ok", "detail": "v1.0.0", "fix": ""}}
    f = index.file("demo_pkg-1.0.0.tar.gz")
    assert version["files"] == [
        {
            "filename": "demo_pkg-1.0.0.tar.gz",
            "sha256": f.digests()["sha256"],
            "size": len(f.content),
            "upload_time": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "provenance": None,
        }
    ]
    assert data["index_source"] == "Simple API (JSON)"
    assert data["index_notes"] == []


def test_annotations_are_capped_but_the_summary_has_all(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for n in range(12):
        index.add("demo-pkg", f"3.0.{n}", {f"demo_pkg-3.0.{n}.tar.gz": b"%d" % n})
    result = audit_cli([f"--index-url={index.url}", *TAG_ONLY], capsys, tmp_path)
    assert result.code == 1
    assert result.out.count("::error title=Release audit%3A ") == 10
    assert (
        "::error title=Release audit::2 more broken promise(s): see the job summary." in result.out
    )
    assert result.summary.count("- **3.0.") == 12


def test_token_is_masked_and_never_printed(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    git(checkout, "tag", "-d", "v1.0.0")
    result = audit_cli(
        [f"--index-url={index.url}", *TAG_ONLY], capsys, tmp_path, env={"GITHUB_TOKEN": TOKEN}
    )
    assert result.code == 1
    assert result.out.startswith(f"::add-mask::{TOKEN}\n")
    assert TOKEN not in result.text.replace(f"::add-mask::{TOKEN}\n", "", 1)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--all", "--version=1.0.0"], 2, "argument --version: not allowed with argument --all"),
        (["--jobs=0"], 2, "--jobs must be between 1 and 32."),
        (["--index-url=ftp://example.invalid"], 2, "is not an http(s) URL"),
        (["--skip=provenance"], 2, "invalid choice: 'provenance'"),
        (["--repo=octo"], 2, "No usable repository: 'octo'. Pass --repo OWNER/REPO."),
        (["--project=nothing-here"], 1, "Project 'nothing-here' is not on the index"),
        (["--version=9.9"], 1, "Demo.Pkg 9.9 is not on the index"),
        (["--since=last-year"], 2, "--since 'last-year' is neither a version nor a date"),
        (["--since=2024-01-01"], 1, "--since 2024-01-01 needs upload times"),
    ],
)
def test_bad_input(
    index: FakeIndex,
    checkout: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    code: int,
    message: str,
) -> None:
    report = tmp_path / "report.json"
    if "--since=2024-01-01" in args:  # a mirror that serves PEP 503 pages only, and no JSON API
        index.html_mirror = True
    result = audit_cli(
        [f"--index-url={index.url}", f"--output={report}", *TAG_ONLY, *args], capsys, tmp_path
    )
    assert result.code == code, result.text
    assert message in result.text
    assert not report.exists()  # nothing half-written
    assert result.out.count("::error") == 1


def test_no_project_name_anywhere(
    index: FakeIndex,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = audit_cli([f"--index-url={index.url}", "--repo=octo/demo"], capsys, tmp_path)
    assert result.code == 1
    assert "No project name: --project is not given and ./pyproject.toml names none." in result.text
    result = audit_cli([f"--index-url={index.url}", "--project=demo-pkg"], capsys, tmp_path)
    assert result.code == 2
    assert "No repository given. Pass --repo OWNER/REPO." in result.text


def test_index_down(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    index.fail(503, times=100)
    # five attempts with a real (short, jittered) backoff
    env = {"RA_HTTP_BACKOFF": "0.01"}
    result = audit_cli([f"--index-url={index.url}", *TAG_ONLY], capsys, tmp_path, env=env)
    assert result.code == 1
    assert "::error title=Service unavailable::GET " in result.out
    assert "failed after 5 attempts: HTTP 503" in result.out


def test_an_unreachable_file_is_reported_and_exits_3(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    index.fail(404, path="/demo_pkg-1.1.0.tar.gz")
    report = tmp_path / "audit.json"
    result = audit_cli(
        [f"--index-url={index.url}/simple", "--verify", f"--output={report}", *TAG_ONLY],
        capsys,
        tmp_path,
    )
    assert result.code == 3, result.text
    url = index.url + index.file("demo_pkg-1.1.0.tar.gz").path()
    cause = f"'demo_pkg-1.1.0.tar.gz' could not be downloaded from the index: HTTP 404 from {url}"
    assert f"unreachable: 1.1.0 provenance: {cause}. Fix: Check that {url}" in result.out
    assert f"::warning title=Release audit%3A 1.1.0 provenance not checked::{cause}" in result.out
    assert "::error" not in result.out
    assert result.outputs["unreachable"] == "1"
    assert result.outputs["broken"] == "0"
    data = json.loads(report.read_text())
    rows = {v["version"]: v["status"] for v in data["versions"]}
    assert rows == {"2.0.0b1": "ok", "1.1.0": "unreachable", "1.0.0": "ok", "0.1": "yanked"}
    assert "### ⚠️ Release audit of Demo.Pkg" in result.summary
    assert "<details><summary>1 promise(s) not checked</summary>" in result.summary
    again = audit_cli(
        [f"--index-url={index.url}", "--verify", "--exit-zero", *TAG_ONLY], capsys, tmp_path
    )
    assert again.code == 0  # the 404 was served once: now every file is checked


def test_since_and_the_help_text(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = audit_cli([f"--index-url={index.url}", "--since=1.1", *TAG_ONLY], capsys, tmp_path)
    assert result.code == 0, result.text
    assert [line.split()[0] for line in result.out.splitlines()[1:]] == ["2.0.0b1", "1.1.0"]
    assert result.outputs["excluded"] == "2"
    assert "; 2 older than --since 1.1 left out" in result.summary
    assert main(["audit", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: from ./pyproject.toml)" in text
    assert "--since VERSION|DATE" in text


@pytest.mark.parametrize(
    ("variable", "value", "cause"),
    [
        ("RA_HTTP_ATTEMPTS", "many", "RA_HTTP_ATTEMPTS='many' is not a number."),
        ("RA_HTTP_MAX_WAIT", "-1", "RA_HTTP_MAX_WAIT='-1' is below 0."),
        ("RA_GITHUB_BACKOFF", "1s", "RA_GITHUB_BACKOFF='1s' is not a number."),
    ],
)
def test_a_malformed_setting_is_one_clear_error(
    index: FakeIndex,
    checkout: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    variable: str,
    value: str,
    cause: str,
) -> None:
    report = tmp_path / "report.json"
    result = audit_cli([f"--index-url={index.url}", f"--output={report}", *TAG_ONLY], capsys,
                       tmp_path, env={variable: value})  # fmt: skip
    assert result.code == 1
    assert f"::error title=Invalid input::{cause} Set {variable} to " in result.out
    assert "Traceback" not in result.text
    assert not report.exists()
    assert index.log == []  # refused before the first request


def test_a_long_github_rate_limit_fails_at_once_saying_when(
    index: FakeIndex, checkout: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Regression: audit's PyGithub retry slept whatever Retry-After said (an hour here)."""
    import time

    from support.fake_github import FakeGitHub

    with FakeGitHub({TOKEN: "read"}) as github:
        github.add_repo("octo/demo")
        github.rate_limit_next = 100
        github.rate_limit_retry_after = 3600
        start = time.monotonic()
        result = audit_cli(
            [f"--index-url={index.url}", f"--api-url={github.api_url}", "--tags-from=github"],
            capsys, tmp_path, env={"GITHUB_TOKEN": TOKEN},
        )  # fmt: skip
    assert time.monotonic() - start < 30
    assert result.code == 1
    assert (
        "::error title=Service unavailable::GitHub is rate-limiting this token while listing "
        "the tags, for another 3600 s." in result.out
    )
    assert TOKEN not in result.text.replace(f"::add-mask::{TOKEN}", "")
