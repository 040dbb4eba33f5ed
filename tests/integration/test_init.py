"""release-actions init on differently built projects: the workflow it writes and what it prints."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from release_actions.starter import TEMPLATE_REF
from support.act import git
from support.cli import run_cli
from support.paths import PROJECTS, ROOT

SHA = "0123456789abcdef0123456789abcdef01234567"
PIN = f"octo/release-actions@{SHA}"


def _repo(tmp_path: Path, project: str, *, subdir: str = "", branch: str = "main",
          origin: str | None = "https://github.com/octo/demo.git") -> Path:  # fmt: skip
    """A git checkout holding a copy of tests/projects/PROJECT (in SUBDIR)."""
    top = tmp_path / "repo"
    shutil.copytree(PROJECTS / project, top / subdir if subdir else top)
    git(top, "init", "-q", "-b", branch)
    if origin:
        git(top, "remote", "add", "origin", origin)
    return top


def _steps(doc: dict, suffix: str) -> list[dict]:
    return [
        s for job in doc["jobs"].values() for s in job.get("steps", [])
        if s.get("uses", "").split("@")[0].endswith(suffix)
    ]  # fmt: skip


def _workflow(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_flit_project_gets_the_release_template_and_the_publisher_values(
    tmp_path: Path, capsys
) -> None:
    top = _repo(tmp_path, "flit_demo")
    result = run_cli(["init", str(top), "--actions", PIN], capsys, tmp_path, on_runner=False)
    assert result.code == 0, result.text
    path = top / ".github" / "workflows" / "release.yml"
    text = path.read_text()
    # The suite is pinned everywhere by commit, with the version beside it.
    assert not TEMPLATE_REF.search(text)
    assert f"uses: octo/release-actions/actions/build@{SHA} # v" in text
    assert "# Replace" not in text.splitlines()[0]
    doc = _workflow(path)
    assert doc["jobs"]["publish"]["environment"]["url"] == (
        "https://pypi.org/project/flit-demo/${{ needs.build.outputs.version }}/"
    )
    # CHANGES.md sits at the top, where the release page looks by default.
    assert all("changelog" not in (s.get("with") or {}) for s in _steps(doc, "/release-page"))
    # Trusted Publisher form values and the prefilled link.
    for line in ["PyPI Project Name: flit-demo", "Owner: octo", "Repository name: demo",
                 "Workflow name: release.yml", "Environment name: pypi"]:  # fmt: skip
        assert line in result.out
    assert (
        "https://pypi.org/manage/project/flit-demo/settings/publishing/?provider=github"
        "&owner=octo&repository=demo&workflow_filename=release.yml&environment=pypi"
    ) in result.out
    assert 'environment "pypi"' in result.out
    assert "https://github.com/octo/demo/settings/environments" in result.out
    assert "Pin the actions" not in result.out
    # A file for git and people: the umask's mode, not a temporary file's 0600.
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_hatch_project_in_a_subdirectory_with_its_change_log_under_docs(
    tmp_path: Path, capsys
) -> None:
    top = _repo(tmp_path, "hatch_demo", subdir="python", origin="git@github.com:octo/mono.git")
    (top / "python" / "docs").mkdir()
    (top / "python" / "docs" / "changes.rst").write_text(
        "Changes\n=======\n\nVersion 2.0.0rc1\n----------------\n\n-   First.\n"
    )
    result = run_cli(["init", str(top / "python"), "--template", "check"], capsys, tmp_path,
                     on_runner=False)  # fmt: skip
    assert result.code == 0, result.text
    path = top / ".github" / "workflows" / "release-check.yml"
    doc = _workflow(path)
    [umbrella] = _steps(doc, "/release-actions")
    assert umbrella["with"]["project-dir"] == "python"
    assert umbrella["with"]["changelog"] == "python/docs/changes.rst"
    assert doc[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads "on" as true
    assert "change log: python/docs/changes.rst" in result.out
    # Without --actions the tag reference stays, and init says to pin it.
    assert "release-actions/release-actions@v1" in path.read_text()
    assert "Pin the actions to a commit" in result.out
    assert "PyPI" not in result.out  # a check workflow publishes nothing

    release = run_cli(["init", str(top / "python"), "--template", "release", "--actions", PIN],
                      capsys, tmp_path, on_runner=False)  # fmt: skip
    assert release.code == 0, release.text
    doc = _workflow(top / ".github" / "workflows" / "release.yml")
    assert _steps(doc, "/actions/build")[0]["with"]["project-dir"] == "python"
    pages = _steps(doc, "/actions/release-page")
    assert len(pages) == 2  # the draft, and the optional finalize
    assert {p["with"]["changelog"] for p in pages} == {"python/docs/changes.rst"}
    assert "Repository name: mono" in release.out


def test_a_github_enterprise_origin_is_the_repository(tmp_path: Path, capsys) -> None:
    """init used to know only github.com remotes: an Enterprise origin read as none."""
    top = _repo(tmp_path, "flit_demo", origin="ssh://git@ghe.example.com:2222/octo/demo.git/")
    result = run_cli(["init", str(top), "--actions", PIN], capsys, tmp_path, on_runner=False)
    assert result.code == 0, result.text
    assert "Owner: octo" in result.out
    assert "Repository name: demo" in result.out
    assert "No GitHub remote named origin" not in result.out
    assert "https://ghe.example.com/octo/demo/settings/environments" in result.out


def test_c_extension_gets_the_wheel_matrix(tmp_path: Path, capsys) -> None:
    top = _repo(tmp_path, "cext_demo", branch="trunk")
    result = run_cli(["init", str(top), "--actions", PIN], capsys, tmp_path, on_runner=False)
    assert result.code == 0, result.text
    assert "template: matrix (compiled code: wheels per platform)" in result.out
    doc = _workflow(top / ".github" / "workflows" / "release.yml")
    assert "wheels" in doc["jobs"]
    assert doc["jobs"]["publish"]["environment"]["url"].startswith(
        "https://pypi.org/project/cext-demo/"
    )
    # No change log anywhere: init says so.
    assert "change log: none found" in result.out
    assert "GitHub's generated notes" in result.out
    # The check workflow then has no notes to check.
    check = run_cli(["init", str(top), "--template", "check"], capsys, tmp_path, on_runner=False)
    assert check.code == 0, check.text
    doc = _workflow(top / ".github" / "workflows" / "release-check.yml")
    [umbrella] = _steps(doc, "/release-actions")
    assert umbrella["with"]["notes"] == "false"


def test_setuptools_check_workflow_names_the_main_branch(tmp_path: Path, capsys) -> None:
    top = _repo(tmp_path, "setuptools_demo", branch="trunk", origin=None)
    result = run_cli(["init", str(top), "--template", "check"], capsys, tmp_path, on_runner=False)
    assert result.code == 0, result.text
    text = (top / ".github" / "workflows" / "release-check.yml").read_text()
    assert "$default-branch" not in text
    assert _workflow(top / ".github" / "workflows" / "release-check.yml")[True]["push"] == {
        "branches": ["trunk"]
    }


@pytest.mark.parametrize("template", ["release", "matrix", "check"])
def test_initialised_workflows_pass_actionlint_and_zizmor(tmp_path: Path, capsys, template) -> None:
    top = _repo(tmp_path, "flit_demo")
    result = run_cli(["init", str(top), "--template", template, "--actions", PIN], capsys,
                     tmp_path, on_runner=False)  # fmt: skip
    assert result.code == 0, result.text
    [path] = (top / ".github" / "workflows").iterdir()
    bindir = Path(sys.executable).parent
    lint = subprocess.run([str(bindir / "actionlint"), "-no-color", str(path)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr
    audit = subprocess.run(
        [str(bindir / "zizmor"), "--offline", "--persona", "pedantic", "--no-progress", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_an_existing_workflow_is_kept_unless_forced(tmp_path: Path, capsys) -> None:
    top = _repo(tmp_path, "flit_demo")
    path = top / ".github" / "workflows" / "release.yml"
    path.parent.mkdir(parents=True)
    path.write_text("# mine\n")
    result = run_cli(["init", str(top)], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "release.yml already exists" in result.err
    assert "--force" in result.err
    assert path.read_text() == "# mine\n"
    forced = run_cli(["init", str(top), "--force"], capsys, tmp_path, on_runner=False)
    assert forced.code == 0, forced.text
    assert path.read_text().startswith("# Written by `release-actions init`")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--actions", "not a ref"], 1, "is not OWNER/REPO@REF"),
        (["--repo", "nope"], 2, "is not OWNER/REPO"),
        (["--template", "docker"], 2, "invalid choice: 'docker'"),
    ],
)
def test_bad_options_write_nothing(tmp_path: Path, capsys, args, code, message) -> None:
    top = _repo(tmp_path, "flit_demo")
    result = run_cli(["init", str(top), *args], capsys, tmp_path, on_runner=False)
    assert result.code == code
    assert message in result.err
    assert not (top / ".github").exists()


def test_a_directory_without_a_project_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli(["init", str(tmp_path / "empty")], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "has no pyproject.toml, setup.py or setup.cfg" in result.err
    assert not (tmp_path / "empty" / ".github").exists()


def test_a_project_without_a_readable_name_asks_for_one(tmp_path: Path, capsys) -> None:
    top = tmp_path / "legacy"
    top.mkdir()
    (top / "setup.py").write_text("from setuptools import setup\nsetup(name=NAME)\n")
    result = run_cli(["init", str(top)], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "Pass --name" in result.err
    named = run_cli(["init", str(top), "--name", "legacy-thing"], capsys, tmp_path, on_runner=False)
    assert named.code == 0, named.text
    assert "PyPI Project Name: legacy-thing" in named.out


@pytest.mark.index
@pytest.mark.slow
def test_the_wheel_carries_the_templates_init_writes(tmp_path: Path) -> None:
    import zipfile

    built = subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    found = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "from release_actions.starter import template_dir; print(template_dir())", str(site)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    templates = Path(found.stdout.strip())
    assert templates == site / "release_actions" / "templates"
    for name in ("python-release.yml", "python-release-matrix.yml", "python-release-check.yml"):
        assert (templates / name).read_bytes() == (ROOT / "workflows-templates" / name).read_bytes()
