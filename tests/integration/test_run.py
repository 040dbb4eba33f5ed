"""release-actions run: the whole release rehearsed on a real project, and each way it stops."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from support.act import git
from support.cli import run_cli
from support.fake_github import FakeGitHub
from support.paths import PROJECTS

TOKEN = "ghp_rehearsal_token_0123456789abcdef"


def _checkout(tmp_path: Path, name: str = "flit_demo", tag: str | None = "v1.2.3") -> Path:
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "release")
    git(root, "remote", "add", "origin", "https://github.com/octo/demo.git")
    if tag:
        git(root, "tag", tag)
    return root


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _checkout(tmp_path)
    monkeypatch.chdir(root)
    return root


def _run_options() -> set[str]:
    import argparse

    from release_actions.cli import parser

    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {o for a in sub.choices["run"]._actions for o in a.option_strings}


RUN_OPTIONS = _run_options()


def _run(args: list[str], capsys, tmp_path: Path, env: dict[str, str] | None = None):
    result = run_cli(["run", *args], capsys, tmp_path, on_runner=False, env=env)
    if result.code:
        # A failed rehearsal's fix names only options run itself takes.
        # (A command quoted for another tool, 'git config --global …', is not one of ours.)
        message = re.sub(r"'[^']*'", "", result.err.split("error: ", 1)[-1])
        named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", message))
        assert named <= RUN_OPTIONS, named - RUN_OPTIONS
    return result


def test_full_rehearsal_leaves_an_installable_index_and_verifiable_provenance(
    checkout: Path, capsys, tmp_path
) -> None:
    result = _run([], capsys, tmp_path)
    assert result.code == 0, result.text
    out = checkout / ".release-rehearsal" / "1.2.3"
    # One progress line per stage, in order, then the table.
    progress = [line.split()[1] for line in result.err.splitlines() if line.startswith("[")]
    assert progress == ["build", "hash", "attest", "verify", "notes", "release", "publish"]
    assert "Rehearsal of v1.2.3 passed" in result.out
    for stage in ("build", "hash", "attest", "verify", "notes", "release page", "publish"):
        assert any(line.startswith(stage) and " ok " in line for line in result.out.splitlines()), (
            stage
        )
    dists = sorted(p.name for p in (out / "dist").iterdir())
    assert dists == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]
    assert (out / "SHA256SUMS").read_text().count("flit_demo-1.2.3") == 2
    assert "Fix the greeting for empty names" in (out / "notes.md").read_text()
    page = (out / "release-page.md").read_text()
    assert "# v1.2.3" in page
    assert "multiple.intoto.jsonl" in page
    assert "SHA256SUMS" in page
    readme = (out / "README.md").read_text()
    assert "| publish | ok |" in readme
    assert "provenance/rehearsal-key.pub.pem" in readme
    # The private key never touched the disk: only the public half is there.
    assert sorted(p.name for p in (out / "provenance").iterdir()) == [
        "multiple.intoto.jsonl",
        "rehearsal-key.pub.pem",
    ]
    assert "PRIVATE KEY" not in "".join(
        p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()
    )

    verified = run_cli(
        ["verify", *(str(out / "dist" / d) for d in dists), "--provenance", str(out / "provenance" / "multiple.intoto.jsonl"),
         "--key", str(out / "provenance" / "rehearsal-key.pub.pem"), "--source-uri", "github.com/octo/demo", "--source-tag", "v1.2.3"],
        capsys, tmp_path, on_runner=False,
    )  # fmt: skip
    assert verified.code == 0, verified.text

    target = tmp_path / "installed"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-cache-dir", "--target", str(target),
         "--index-url", (out / "index" / "simple").as_uri() + "/", "flit_demo==1.2.3"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    assert (target / "flit_demo" / "__init__.py").is_file()
    # The build ran in a clean checkout: nothing was left in the project.
    assert git(checkout, "status", "--porcelain") == ""


def test_a_second_run_starts_from_an_empty_folder(checkout: Path, capsys, tmp_path) -> None:
    assert _run([], capsys, tmp_path).code == 0
    out = checkout / ".release-rehearsal" / "1.2.3"
    (out / "leftover.txt").write_text("from the first run")
    result = _run([], capsys, tmp_path)
    assert result.code == 0, result.text
    assert not (out / "leftover.txt").exists()
    # The sdist never contains the rehearsal folder (hatchling would take it: it is not ignored).
    assert not any(".release-rehearsal" in name for name in _sdist_names(out))


def _sdist_names(out: Path) -> list[str]:
    """The member names of the rehearsal's sdist."""
    import tarfile

    with tarfile.open(next((out / "dist").glob("*.tar.gz"))) as sdist:
        return sdist.getnames()


def test_hatch_project_sdist_stays_clean_and_the_prerelease_is_marked(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    root = _checkout(tmp_path, "hatch_demo", tag="v2.0.0rc1")
    (root / "CHANGES.md").write_text(
        "# Changes\n\n## 2.0.0rc1 - 2026-11-20\n\n- Try the new API.\n"
    )
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "notes")
    git(root, "tag", "-f", "v2.0.0rc1")
    monkeypatch.chdir(root)
    for _ in range(2):
        result = _run([], capsys, tmp_path)
        assert result.code == 0, result.text
    out = root / ".release-rehearsal" / "2.0.0rc1"
    assert not any(".release-rehearsal" in name for name in _sdist_names(out))
    assert "prerelease" in (out / "release-page.md").read_text()


# -- where it stops ----------------------------------------------------------------------------


def test_not_a_python_project(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    result = _run([], capsys, tmp_path)
    assert result.code == 1
    assert "has no pyproject.toml or setup.py" in result.err
    assert not (tmp_path / "empty" / ".release-rehearsal").exists()


def test_no_tag_and_no_tag_option(tmp_path: Path, capsys, monkeypatch) -> None:
    root = _checkout(tmp_path, tag=None)
    monkeypatch.chdir(root)
    result = _run([], capsys, tmp_path)
    assert result.code == 1
    assert "No git tag points at HEAD, and no --tag was given" in result.err
    assert "--tag v1.2.3" in result.err
    assert not (root / ".release-rehearsal").exists()


def test_tag_option_rehearses_before_tagging(tmp_path: Path, capsys, monkeypatch) -> None:
    root = _checkout(tmp_path, tag=None)
    monkeypatch.chdir(root)
    result = _run(["--tag", "v1.2.3"], capsys, tmp_path)
    assert result.code == 0, result.text


def test_dirty_tree_is_refused_then_allowed(checkout: Path, capsys, tmp_path) -> None:
    init = checkout / "src" / "flit_demo" / "__init__.py"
    init.write_text(init.read_text() + "\nEXTRA = 1\n")
    result = _run([], capsys, tmp_path)
    assert result.code == 1
    assert "uncommitted changes (src/flit_demo/__init__.py)" in result.err
    assert "--allow-dirty" in result.err
    assert not (checkout / ".release-rehearsal").exists()

    allowed = _run(["--allow-dirty"], capsys, tmp_path)
    assert allowed.code == 0, allowed.text
    assert "warning: Rehearsal: Rehearsing a work tree with uncommitted changes" in allowed.err
    # The uncommitted change is what was built.
    wheel = next((checkout / ".release-rehearsal" / "1.2.3" / "dist").glob("*.whl"))
    import zipfile

    assert "EXTRA = 1" in zipfile.ZipFile(wheel).read("flit_demo/__init__.py").decode()


def _commit(root: Path, message: str, tag: str | None = "v1.2.3") -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)
    if tag:
        git(root, "tag", "-f", tag)


def test_missing_changelog_section_is_a_warning_and_the_page_says_so(
    checkout: Path, capsys, tmp_path
) -> None:
    (checkout / "CHANGES.md").write_text("# Changes\n\n## 1.2.2 - 2026-10-01\n\n- First release.\n")
    _commit(checkout, "drop notes")
    result = _run([], capsys, tmp_path)
    assert result.code == 0, result.text
    assert (
        "notes: CHANGES.md has no section for version 1.2.3; it has sections for 1.2.2. The "
        "release page uses GitHub's generated notes instead (pass --require-notes to fail here)"
    ) in result.err
    assert any(line.startswith("notes") and "warning" in line for line in result.out.splitlines())
    out = checkout / ".release-rehearsal" / "1.2.3"
    assert "GitHub's generated notes go here" in (out / "release-page.md").read_text()
    assert (out / "index").is_dir()  # the release went ahead


def test_require_notes_stops_before_anything_is_published(checkout: Path, capsys, tmp_path) -> None:
    (checkout / "CHANGES.md").unlink()
    _commit(checkout, "no change log")
    result = _run(["--require-notes"], capsys, tmp_path)
    assert result.code == 1
    assert (
        "The rehearsal stopped at 'notes': No change log found (looked for CHANGES.rst,"
        in result.err
    )
    # The fix names what run accepts: --changelog, not another command's argument.
    assert "Pass --changelog PATH, or add a CHANGES.rst" in result.err
    assert "CHANGELOG argument" not in result.err
    out = checkout / ".release-rehearsal" / "1.2.3"
    assert not (out / "index").exists()  # publish never ran
    assert "| notes | failed |" in (out / "README.md").read_text()
    assert "| publish | not run |" in (out / "README.md").read_text()


def test_a_failing_build_is_reported_before_notes_found_missing_meanwhile(
    checkout: Path, capsys, tmp_path
) -> None:
    # The notes are read while the build runs; the stages still fail in their order.
    (checkout / "CHANGES.md").unlink()
    (checkout / "pyproject.toml").write_text(
        (checkout / "pyproject.toml").read_text().replace('version = "1.2.3"', 'version = "1.2.4"')
    )
    _commit(checkout, "no change log, another version")
    result = _run(["--require-notes"], capsys, tmp_path)
    assert result.code == 1
    assert "The rehearsal stopped at 'build': The tag says version 1.2.3" in result.err
    assert "change log" not in result.err.lower()
    readme = (checkout / ".release-rehearsal" / "1.2.3" / "README.md").read_text()
    assert "| build | failed |" in readme
    assert "| notes | not run |" in readme


def test_changelog_option_and_a_change_log_under_docs(checkout: Path, capsys, tmp_path) -> None:
    (checkout / "docs").mkdir()
    (checkout / "CHANGES.md").rename(checkout / "docs" / "changelog.md")
    (checkout / "release-notes.md").write_text("## 1.2.3\n\n- From the named file.\n")
    _commit(checkout, "move the change log")
    missing = _run(["--changelog", "NOPE.md"], capsys, tmp_path)
    assert missing.code == 1
    assert "--changelog NOPE.md: no such file." in missing.err
    assert not (checkout / ".release-rehearsal").exists()  # checked before anything started
    found = _run([], capsys, tmp_path)
    assert found.code == 0, found.text
    assert "notes.md (from changelog.md)" in found.out
    assert (
        "Fix the greeting for empty names"
        in (checkout / ".release-rehearsal" / "1.2.3" / "notes.md").read_text()
    )
    named = _run(["--changelog", "release-notes.md"], capsys, tmp_path)
    assert named.code == 0, named.text
    assert (checkout / ".release-rehearsal" / "1.2.3" / "notes.md").read_text() == (
        "- From the named file.\n"
    )


def test_unreleased_section_is_a_warning(checkout: Path, capsys, tmp_path) -> None:
    (checkout / "CHANGES.md").write_text("# Changes\n\n## 1.2.3 - Unreleased\n\n- Soon.\n")
    git(checkout, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "unreleased")
    git(checkout, "tag", "-f", "v1.2.3")
    result = _run([], capsys, tmp_path)
    assert result.code == 0, result.text
    assert "the section for 1.2.3 is still marked unreleased" in result.err
    assert any(line.startswith("notes") and "warning" in line for line in result.out.splitlines())


def test_tag_that_does_not_match_the_version(checkout: Path, capsys, tmp_path) -> None:
    result = _run(["--tag", "v9.9.9"], capsys, tmp_path)
    assert result.code == 1
    assert "The rehearsal stopped at 'build'" in result.err
    assert "9.9.9" in result.err
    assert "1.2.3" in result.err
    assert not list((checkout / ".release-rehearsal" / "9.9.9" / "dist").glob("*"))


def test_foreign_out_dir_is_left_alone(checkout: Path, capsys, tmp_path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "precious.txt").write_text("keep")
    result = _run(["--out-dir", str(mine)], capsys, tmp_path)
    assert result.code == 1
    assert "is not empty and was not made by a rehearsal" in result.err
    assert sorted(p.name for p in mine.iterdir()) == ["precious.txt"]


def test_unsigned_rehearsal_says_so(checkout: Path, capsys, tmp_path) -> None:
    result = _run(["--signer", "none"], capsys, tmp_path)
    assert result.code == 0, result.text
    assert "UNSIGNED" in result.out
    assert "unsigned provenance" in result.err


# -- --github: the draft release for real -----------------------------------------------------


def test_github_option_makes_the_draft_release(checkout: Path, capsys, tmp_path) -> None:
    with FakeGitHub({TOKEN: "write"}) as fake:
        fake.add_repo("octo/demo")
        env = {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": fake.api_url,
            "RA_GITHUB_WRITE_INTERVAL": "0",
        }
        result = _run(["--github"], capsys, tmp_path, env=env)
        assert result.code == 0, result.text
        [release] = fake.repo("octo/demo").releases
        assert release.draft
        assert sorted(a.name for a in release.assets) == [
            "SHA256SUMS", "flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz", "multiple.intoto.jsonl"
        ]  # fmt: skip
        assert "Fix the greeting for empty names" in release.body
    # The release page stage's own warnings reach the rehearsal's table (they were dropped).
    assert "release page: No milestone titled 1.2.3 (or v1.2.3) in octo/demo" in result.err
    assert any(
        line.startswith("release page") and "warning" in line for line in result.out.splitlines()
    )
    assert TOKEN not in result.text


def test_github_option_without_a_token(checkout: Path, capsys, tmp_path) -> None:
    result = _run(["--github"], capsys, tmp_path, env={})
    assert result.code == 1
    assert "--github needs GITHUB_TOKEN" in result.err
    assert not (checkout / ".release-rehearsal" / "1.2.3" / "index").exists()


def test_summary_table_on_a_runner(checkout: Path, capsys, tmp_path) -> None:
    result = run_cli(["run"], capsys, tmp_path, on_runner=True)
    assert result.code == 0, result.text
    assert "### Release rehearsal of v1.2.3" in result.summary
    assert "| publish | ok |" in result.summary


def test_repository_url_publishes_to_a_real_index(checkout: Path, capsys, tmp_path) -> None:
    from support.pypiserver import pypiserver

    with pypiserver(tmp_path / "index") as server:
        env = {"TWINE_USERNAME": server.username, "TWINE_PASSWORD": server.password}
        result = _run(["--repository-url", server.url], capsys, tmp_path, env=env)
        assert result.code == 0, result.text
        assert server.files() == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]
        again = _run(["--repository-url", server.url], capsys, tmp_path, env=env)
        assert again.code == 0, again.text
        assert "2 already there" in again.out
    assert server.password not in result.text + again.text
    assert not (checkout / ".release-rehearsal" / "1.2.3" / "index").exists()


def test_rehearsal_files_get_the_usual_modes(checkout: Path, capsys, tmp_path) -> None:
    old = os.umask(0o022)
    try:
        assert _run([], capsys, tmp_path).code == 0
    finally:
        os.umask(old)
    out = checkout / ".release-rehearsal" / "1.2.3"
    for name in ("README.md", "SHA256SUMS", "notes.md", "release-page.md",
                 "provenance/multiple.intoto.jsonl", "index/simple/index.html",
                 "index/simple/flit-demo/index.html"):  # fmt: skip
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name


def test_write_atomic_follows_the_umask(tmp_path: Path) -> None:
    from release_actions.files import write_atomic

    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "private", b"x")
        assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600
        os.umask(0o002)
        write_atomic(tmp_path / "group-readable", b"x")
        write_atomic(tmp_path / "private", b"y")  # a rewrite takes the mode of now
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "group-readable").stat().st_mode) == 0o664
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o664
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_checkout_git_refuses_to_read(checkout: Path, capsys, tmp_path, monkeypatch) -> None:
    try:
        if os.geteuid() != 0:
            raise PermissionError  # only root can hand files to another user
        for path in [checkout, *checkout.rglob("*")]:  # as root: really do it
            os.lchown(path, 65534, 65534)
    except OSError:
        # Not root, or root of a user namespace where the other user does not exist:
        # git's own switch for the same check.
        monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "empty-gitconfig"))
    result = _run([], capsys, tmp_path)
    assert result.code == 1
    assert (
        f"git refuses to read the checkout at {checkout.resolve()}: it belongs to another user "
        "(git calls this 'dubious ownership')."
    ) in result.err
    assert f"git config --global --add safe.directory {checkout.resolve()}" in result.err
    assert "No git tag" not in result.err
    assert not (checkout / ".release-rehearsal").exists()


def test_a_checkout_git_cannot_make_fails_the_build_stage_by_name(
    checkout: Path, capsys, tmp_path
) -> None:
    # git makes the checkout while the build's environment is under way: its
    # failure is the build stage's, with git's words, and nothing is built.
    (checkout / ".git" / "worktrees").write_text("not a folder")
    result = _run([], capsys, tmp_path)
    assert result.code == 1
    assert (
        "git could not make a clean checkout to build from: fatal: could not create" in result.err
    )
    assert "Run 'git worktree prune' and try again." in result.err
    out = checkout / ".release-rehearsal" / "1.2.3"
    readme = (out / "README.md").read_text()
    assert "| build " in readme
    assert "failed" in readme
    assert not (out / "dist").exists() or not any((out / "dist").iterdir())
    assert not (out / "provenance").exists()


def test_try_it_installs_a_project_with_dependencies(tmp_path: Path, capsys, monkeypatch) -> None:
    root = _checkout(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'license = "BSD-3-Clause"', 'license = "BSD-3-Clause"\ndependencies = ["packaging>=24"]'
        )
    )
    _commit(root, "depend on packaging")
    monkeypatch.chdir(root)
    result = _run([], capsys, tmp_path)
    assert result.code == 0, result.text
    [line] = [line for line in result.out.splitlines() if line.startswith("Try it: ")]
    assert line == "Try it: pip install --find-links .release-rehearsal/1.2.3/dist flit-demo==1.2.3"
    command = shlex.split(line.removeprefix("Try it: "))
    assert command[:2] == ["pip", "install"]
    target = tmp_path / "installed"
    pip = subprocess.run(
        [sys.executable, "-m", *command, "--quiet", "--no-cache-dir", "--target", str(target)],
        capture_output=True, text=True, check=False, cwd=root,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    assert (target / "flit_demo" / "__init__.py").is_file()
    assert (target / "packaging" / "version.py").is_file()  # the dependency came from the index


def test_github_option_never_touches_a_published_release(checkout: Path, capsys, tmp_path) -> None:
    with FakeGitHub({TOKEN: "write"}) as fake:
        fake.add_repo("octo/demo")
        released = fake.add_release("octo/demo", "v1.2.3", body="What people read.")
        env = {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": fake.api_url,
            "RA_GITHUB_WRITE_INTERVAL": "0",
        }
        result = _run(["--github"], capsys, tmp_path, env=env)
        assert result.code == 1
        assert "v1.2.3 is already released on GitHub" in result.err
        assert "Rehearse another --tag, or leave out --github." in result.err
        assert released.body == "What people read."
        assert [r for r in fake.requests if r[0] != "GET"] == []
    assert not (checkout / ".release-rehearsal" / "1.2.3" / "index").exists()


def test_github_option_twice_replaces_its_own_draft_files(checkout: Path, capsys, tmp_path) -> None:
    with FakeGitHub({TOKEN: "write"}) as fake:
        fake.add_repo("octo/demo")
        env = {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": fake.api_url,
            "RA_GITHUB_WRITE_INTERVAL": "0",
        }
        assert _run(["--github"], capsys, tmp_path, env=env).code == 0
        [release] = fake.repo("octo/demo").releases
        # The second rehearsal signs with a new key: the provenance differs from the draft's.
        again = _run(["--github"], capsys, tmp_path, env=env)
        assert again.code == 0, again.text
        assert len(fake.repo("octo/demo").releases) == 1
        provenance = (
            checkout / ".release-rehearsal" / "1.2.3" / "provenance" / "multiple.intoto.jsonl"
        )
        assert release.asset("multiple.intoto.jsonl").data == provenance.read_bytes()
        assert release.draft
