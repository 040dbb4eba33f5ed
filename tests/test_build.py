from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from release_actions import build as build_module
from support.act import git
from support.cli import run_cli


def _names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


@pytest.mark.parametrize(
    ("name", "tag", "files"),
    [
        ("flit_demo", "v1.2.3", ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]),
        (
            "setuptools_demo",
            "0.4.0",
            ["setuptools_demo-0.4.0-py3-none-any.whl", "setuptools_demo-0.4.0.tar.gz"],
        ),
        (
            "hatch_demo",
            "v2.0.0rc1",
            ["hatch_demo-2.0.0rc1-py3-none-any.whl", "hatch_demo-2.0.0rc1.tar.gz"],
        ),
    ],
)
def test_builds_exactly_one_sdist_and_one_wheel(
    project,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    tag: str,
    files: list[str],
) -> None:
    src = project(name)
    out = tmp_path / "out"
    result = run_cli(["build", str(src), "--out-dir", str(out), "--tag", tag], capsys, tmp_path)
    assert result.code == 0, result.text
    assert _names(out) == files
    assert sorted(json.loads(result.outputs["artifacts"])) == [str(out / f) for f in files]
    assert result.outputs["version"] == tag.lstrip("v")
    for f in files:
        assert f"`{f}`" in result.summary
    assert "<details><summary>Contents of" in result.summary


def test_c_extension_project(project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = project("cext_demo")
    out = tmp_path / "out"
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path)
    assert result.code == 0, result.text
    wheels = [n for n in _names(out) if n.endswith(".whl")]
    assert len(wheels) == 1
    assert "-cp3" in wheels[0]
    with zipfile.ZipFile(out / wheels[0]) as zf:
        assert any(n.startswith("cext_demo/_speedups") for n in zf.namelist())


def test_wheel_is_built_from_the_sdist(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A file that is in the tree but not in the sdist must not reach the wheel.
    src = project("setuptools_demo")
    (src / "src" / "setuptools_demo" / "data.txt").write_text("not packaged")
    out = tmp_path / "out"
    assert run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path).code == 0
    with zipfile.ZipFile(out / "setuptools_demo-0.4.0-py3-none-any.whl") as zf:
        assert "setuptools_demo/data.txt" not in zf.namelist()


def test_only_sdist_or_only_wheel(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("flit_demo")
    assert (
        run_cli(
            ["build", str(src), "--sdist", "--out-dir", str(tmp_path / "s")], capsys, tmp_path
        ).code
        == 0
    )
    assert _names(tmp_path / "s") == ["flit_demo-1.2.3.tar.gz"]
    assert (
        run_cli(
            ["build", str(src), "--wheel", "--out-dir", str(tmp_path / "w")], capsys, tmp_path
        ).code
        == 0
    )
    assert _names(tmp_path / "w") == ["flit_demo-1.2.3-py3-none-any.whl"]


def test_source_date_epoch_comes_from_the_last_commit(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    src = project("flit_demo")
    git(src, "init", "-q")
    git(src, "add", "-A")
    subprocess.run(
        ["git", "commit", "-q", "-m", "x"],
        cwd=src,
        check=True,
        env={"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@e.invalid", "GIT_COMMITTER_NAME": "T",
             "GIT_COMMITTER_EMAIL": "t@e.invalid", "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z",
             "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert build_module.git_commit_epoch(src) == "1704164645"
    out = tmp_path / "out"
    assert run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path).code == 0
    with tarfile.open(out / "flit_demo-1.2.3.tar.gz") as tf:
        # flit stamps generated files with 0; everything else carries the commit time
        assert max(m.mtime for m in tf.getmembers()) == 1704164645
    # and the build is reproducible: a second build gives the same bytes
    first = (out / "flit_demo-1.2.3.tar.gz").read_bytes()
    assert (
        run_cli(["build", str(src), "--out-dir", str(out), "--clean"], capsys, tmp_path).code == 0
    )
    assert (out / "flit_demo-1.2.3.tar.gz").read_bytes() == first


def test_tag_mismatch_names_both_versions_and_leaves_nothing(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("flit_demo")
    out = tmp_path / "out"
    result = run_cli(
        ["build", str(src), "--out-dir", str(out), "--tag", "v1.2.4"], capsys, tmp_path
    )
    assert result.code == 1
    assert "::error title=Version does not match the tag::" in result.out
    assert "The tag says version 1.2.4, but the project builds version 1.2.3." in result.out
    assert "How to fix" in result.summary
    assert not out.exists()
    assert result.outputs == {}


def test_tag_is_compared_after_normalisation(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("hatch_demo")  # version 2.0.0rc1
    result = run_cli(
        ["build", str(src), "--out-dir", str(tmp_path / "o"), "--tag", "v2.0.0-RC1"],
        capsys,
        tmp_path,
    )
    assert result.code == 0, result.text


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda t: None, ["missing"], "does not exist"),
        (lambda t: (t / "empty").mkdir(), ["empty"], "has no pyproject.toml or setup.py"),
        (
            lambda t: (t / "file.txt").write_text("x"),
            ["file.txt"],
            "is a file, not a project directory",
        ),
    ],
)
def test_not_a_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup, args, message
) -> None:
    setup(tmp_path)
    result = run_cli(
        ["build", str(tmp_path / args[0]), "--out-dir", str(tmp_path / "out")],
        capsys,
        tmp_path,
        on_runner=False,
    )
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists()


def test_failing_backend_shows_its_output_tail(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("setuptools_demo")
    (src / "setup.py").write_text("raise SystemExit('boom: the backend refuses to build')\n")
    out = tmp_path / "out"
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "The build backend failed" in result.err
    assert "boom: the backend refuses to build" in result.err
    assert not out.exists()


def test_invalid_tag_is_refused_before_building(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("flit_demo")
    for tag in ["release-1", "v1.2.3\n", "--tag", "v1..2"]:
        result = run_cli(
            ["build", str(src), "--out-dir", str(tmp_path / "o"), f"--tag={tag}"],
            capsys,
            tmp_path,
            on_runner=False,
        )
        assert result.code == 1, tag
        assert "release tag" in result.err or "PEP 440" in result.err
    assert not (tmp_path / "o").exists()


def test_stale_distributions_are_refused_unless_clean(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("flit_demo")
    out = tmp_path / "out"
    out.mkdir()
    (out / "flit_demo-1.2.2.tar.gz").write_bytes(b"old")
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "already holds distributions: flit_demo-1.2.2.tar.gz" in result.err
    assert _names(out) == ["flit_demo-1.2.2.tar.gz"]
    assert (
        run_cli(["build", str(src), "--out-dir", str(out), "--clean"], capsys, tmp_path).code == 0
    )
    assert _names(out) == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]


def test_readme_that_pypi_cannot_render_is_caught(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("setuptools_demo")
    (src / "README.rst").write_text(
        "Title\n=====\n\n.. unknown-directive:: boom\n\n`broken link <\n"
    )
    out = tmp_path / "out"
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "would not render on PyPI" in result.err
    assert not out.exists()


def test_wheel_without_the_package_is_caught(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("setuptools_demo")
    pyproject = src / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('where = ["src"]', 'where = ["nowhere"]'))
    (src / "nowhere").mkdir()
    out = tmp_path / "out"
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "contains no package or module" in result.err
    assert not out.exists()


@pytest.mark.index
def test_fallback_front_end_is_python_m_build(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("build", reason="the fallback front end is the 'build' package")
    monkeypatch.setattr(build_module, "find_uv", lambda: None)
    src = project("flit_demo")
    out = tmp_path / "out"
    result = run_cli(
        ["build", str(src), "--out-dir", str(out), "--tag", "1.2.3"],
        capsys,
        tmp_path,
        on_runner=False,
    )
    assert result.code == 0, result.text
    assert "with build" in result.err
    assert _names(out) == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]


@pytest.mark.index
@pytest.mark.parametrize("name", ["flask", "click", "markupsafe"])
def test_real_projects_from_their_sdists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    versions = {"flask": "3.1.0", "click": "8.1.8", "markupsafe": "3.0.2"}
    dl = tmp_path / "dl"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         "-d", str(dl), f"{name}=={versions[name]}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.fail(f"package index unreachable: {proc.stderr.strip()[-200:]}")
    (archive,) = dl.iterdir()
    with tarfile.open(archive) as tf:
        tf.extractall(tmp_path / "src", filter="data")
    (src,) = (tmp_path / "src").iterdir()
    out = tmp_path / "out"
    result = run_cli(
        ["build", str(src), "--out-dir", str(out), "--tag", f"v{versions[name]}"], capsys, tmp_path
    )
    assert result.code == 0, result.text
    kinds = sorted(p.suffix for p in out.iterdir())
    assert kinds == [".gz", ".whl"]
