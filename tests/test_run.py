"""release-actions run: the whole release rehearsed on a real project, and each way it stops."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.act import git
from support.cli import run_cli
from support.fake_github import FakeGitHub

PROJECTS = Path(__file__).parent / "projects"
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


def _run(args: list[str], capsys, tmp_path: Path, env: dict[str, str] | None = None):
    return run_cli(["run", *args], capsys, tmp_path, on_runner=False, env=env)


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
    listing = subprocess.run(
        ["tar", "tzf", str(next((out / "dist").glob("*.tar.gz")))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ".release-rehearsal" not in listing.stdout


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
    listing = subprocess.run(
        ["tar", "tzf", str(next((out / "dist").glob("*.tar.gz")))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ".release-rehearsal" not in listing.stdout
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


def test_missing_changelog_section_stops_before_anything_is_published(
    checkout: Path, capsys, tmp_path
) -> None:
    (checkout / "CHANGES.md").write_text("# Changes\n\n## 1.2.2 - 2026-10-01\n\n- First release.\n")
    git(checkout, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "drop notes")
    git(checkout, "tag", "-f", "v1.2.3")
    result = _run([], capsys, tmp_path)
    assert result.code == 1
    assert (
        "The rehearsal stopped at 'notes': CHANGES.md has no section for version 1.2.3"
        in result.err
    )
    assert "Add a section for the version" in result.err
    out = checkout / ".release-rehearsal" / "1.2.3"
    assert not (out / "index").exists()  # publish never ran
    assert "| notes | failed |" in (out / "README.md").read_text()
    assert "| publish | not run |" in (out / "README.md").read_text()


def test_unreleased_section_is_a_warning(checkout: Path, capsys, tmp_path) -> None:
    (checkout / "CHANGES.md").write_text("# Changes\n\n## 1.2.3 - Unreleased\n\n- Soon.\n")
    git(checkout, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "unreleased")
    git(checkout, "tag", "-f", "v1.2.3")
    result = _run([], capsys, tmp_path)
    assert result.code == 0, result.text
    assert "still marks 1.2.3 as unreleased" in result.err
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
