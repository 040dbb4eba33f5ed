from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import time
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


def test_c_extension_wheel_with_a_plain_linux_tag_fails_then_can_be_allowed(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("cext_demo")
    out = tmp_path / "out"
    refused = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path)
    assert refused.code == 1
    [error] = [line for line in refused.out.splitlines() if line.startswith("::error")]
    assert re.search(
        r"::error title=Distribution check failed::cext_demo-0\.1\.0-cp3\d+-cp3\d+-linux_\w+\.whl: "
        r"has the platform tag linux_\w+, which PyPI refuses: it takes Linux wheels only as "
        r"manylinux or musllinux\. Repair the wheel with auditwheel",
        error,
    ), error
    assert "build the Linux wheels with cibuildwheel" in error
    assert not out.exists()

    allowed = run_cli(
        ["build", str(src), "--out-dir", str(out), "--skip-check", "platform-tag: our own index takes them"],
        capsys, tmp_path,
    )  # fmt: skip
    assert allowed.code == 0, allowed.text
    assert (
        "::notice title=Check skipped::The platform-tag check is skipped: our own index takes them"
        in allowed.out
    )
    assert "- Check `platform-tag` skipped: our own index takes them" in allowed.summary
    wheels = [n for n in _names(out) if n.endswith(".whl")]
    assert len(wheels) == 1
    assert "-cp3" in wheels[0]
    with zipfile.ZipFile(out / wheels[0]) as zf:
        assert any(n.startswith("cext_demo/_speedups") for n in zf.namelist())


@pytest.mark.parametrize(
    ("tags", "refused"),
    [
        ("py3-none-any", None),
        ("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64", None),
        ("cp312-cp312-musllinux_1_2_aarch64", None),
        ("cp312-cp312-macosx_11_0_arm64", None),
        ("cp312-cp312-win_arm64", None),
        ("cp312-cp312-linux_aarch64", "linux_aarch64"),
        ("cp312-cp312-manylinux2014_x86_64.linux_x86_64", "linux_x86_64"),
    ],
)
def test_platform_tags_pypi_takes(tmp_path: Path, tags: str, refused: str | None) -> None:
    from release_actions.checks import DistInfo, check_platform_tags
    from release_actions.errors import DistributionCheckError

    info = DistInfo(tmp_path / f"demo-1.0-{tags}.whl", "wheel", "demo", "1.0")
    if refused is None:
        check_platform_tags(info)
        return
    with pytest.raises(
        DistributionCheckError, match=f"has the platform tag {refused}, which PyPI refuses"
    ):
        check_platform_tags(info)


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
    assert "The tag says version 1.2.4, but pyproject.toml says version 1.2.3." in result.out
    assert "How to fix" in result.summary
    assert not out.exists()
    assert result.outputs == {}


def test_on_a_tag_push_the_pushed_tag_is_the_default(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the action passes it: the command reads the pushed tag itself (one resolution)."""
    src = project("flit_demo")
    out = tmp_path / "out"
    pushed = {
        "GITHUB_REF": "refs/tags/v1.2.4",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_REF_NAME": "v1.2.4",
    }
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, env=pushed)
    assert result.code == 1
    assert "The tag says version 1.2.4, but pyproject.toml says version 1.2.3." in result.out
    assert not out.exists()


def test_tag_mismatch_of_a_dynamic_version_is_found_after_the_build(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("flit_demo")
    pyproject = src / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.2.3"', 'dynamic = ["version"]')
    )
    init = src / "src" / "flit_demo" / "__init__.py"
    init.write_text(init.read_text() + '\n__version__ = "1.2.3"\n')
    out = tmp_path / "out"
    result = run_cli(
        ["build", str(src), "--out-dir", str(out), "--tag", "v1.2.4"], capsys, tmp_path
    )
    assert result.code == 1
    assert "The tag says version 1.2.4, but the project builds version 1.2.3." in result.out
    assert not out.exists()


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


def test_metapackage_and_legacy_metadata_pass_with_named_skips(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A metapackage: no code, no readme; it only pulls in dependencies.
    src = project("flit_demo")
    (src / "src" / "flit_demo" / "__init__.py").unlink()
    pyproject = src / "pyproject.toml"
    pyproject.write_text(
        '[build-system]\nrequires = ["hatchling>=1.26"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "flit-demo"\nversion = "1.2.3"\ndescription = "A metapackage."\n'
        'dependencies = ["packaging"]\n\n[tool.hatch.build.targets.wheel]\nbypass-selection = true\n'
    )
    out = tmp_path / "out"
    refused = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, on_runner=False)
    assert refused.code == 1
    assert "has no long description" in refused.err
    assert "--skip-check 'long-description: WHY'" in refused.err
    assert not out.exists()
    skips = ["--skip-check", "long-description: a metapackage has no page of its own",
             "--skip-check", "package-inside:   a metapackage, it holds no code"]  # fmt: skip
    allowed = run_cli(["build", str(src), "--out-dir", str(out), *skips], capsys, tmp_path)
    assert allowed.code == 0, allowed.text
    assert "The package-inside check is skipped: a metapackage, it holds no code" in allowed.out
    assert (
        "skipping the long-description check: a metapackage has no page of its own" in allowed.err
    )
    assert [n.endswith(".whl") for n in _names(out)] == [True, False]


def test_description_without_content_type_still_has_to_render(tmp_path: Path) -> None:
    from release_actions.checks import DistInfo, check_metadata
    from release_actions.errors import DistributionCheckError

    def info(description: str) -> DistInfo:
        raw = f"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n{description}".encode()
        from packaging.metadata import parse_email

        return DistInfo(tmp_path / "demo-1.0.tar.gz", "sdist", "demo", "1.0",
                        dict(parse_email(raw)[0]), raw)  # fmt: skip

    with pytest.raises(DistributionCheckError, match="has no content type"):
        check_metadata(info("Demo\n====\n\nFine.\n"))
    skip = {"description-content-type": "legacy metadata"}
    check_metadata(info("Demo\n====\n\nFine.\n"), skip)
    # PyPI reads it as reStructuredText, and refuses what does not render.
    with pytest.raises(DistributionCheckError, match="would not render on PyPI"):
        check_metadata(info("Demo\n====\n\n`broken <\n"), skip)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("package-inside", "Skipping the 'package-inside' check needs a reason, for the log."),
        ("package-inside:   ", "Skipping the 'package-inside' check needs a reason"),
        (
            "nonsense: why not",
            "There is no check named 'nonsense' to skip. Name one of: long-description,",
        ),
        (
            "metadata: I know better",
            "The 'metadata' check (valid core metadata, with the name and version of the file name) cannot be skipped",
        ),
        (
            "readme-renders: later",
            "The 'readme-renders' check (a description PyPI can render) cannot be skipped",
        ),
    ],
)
def test_bad_skip_checks_are_refused_before_building(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    src = project("flit_demo")
    out = tmp_path / "out"
    result = run_cli(
        ["build", str(src), "--out-dir", str(out), "--skip-check", value], capsys, tmp_path
    )
    assert result.code == 2
    assert "::error title=Invalid arguments::" + message in result.out
    assert not out.exists()


def test_a_static_version_that_contradicts_the_tag_fails_before_the_build(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("setuptools_demo")
    # The backend would take long (or fail): it must never run.
    (src / "setup.py").write_text("raise SystemExit('the backend ran')\n")
    out = tmp_path / "out"
    started = time.perf_counter()
    result = run_cli(
        ["build", str(src), "--out-dir", str(out), "--tag", "v0.5.0"], capsys, tmp_path
    )
    assert time.perf_counter() - started < 2
    assert result.code == 1
    assert (
        "::error title=Version does not match the tag::The tag says version 0.5.0, but "
        "pyproject.toml says version 0.4.0."
    ) in result.out
    assert "the backend ran" not in result.text
    assert not out.exists()


def test_dynamic_versions_are_left_to_the_backend(tmp_path: Path) -> None:
    from packaging.version import Version

    from release_actions.build import declared_version

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndynamic = ["version"]\n')
    assert declared_version(tmp_path) is None
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.4\nName: x\nVersion: 1.0.post1\n")
    assert declared_version(tmp_path) == (Version("1.0.post1"), "PKG-INFO")  # an unpacked sdist


@pytest.mark.index
def test_hatch_vcs_project_built_from_its_own_sdist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "vcsdemo"
    (src / "src" / "vcsdemo").mkdir(parents=True)
    (src / "src" / "vcsdemo" / "__init__.py").write_text("")
    (src / "README.md").write_text("# vcsdemo\n")
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "vcsdemo"\ndynamic = ["version"]\ndescription = "x"\nreadme = "README.md"\n\n'
        '[tool.hatch.version]\nsource = "vcs"\n'
    )
    git(src, "init", "-q")
    git(src, "add", "-A")
    git(src, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    git(src, "tag", "v1.0.0")
    first = tmp_path / "first"
    assert (
        run_cli(["build", str(src), "--sdist", "--out-dir", str(first)], capsys, tmp_path).code == 0
    )
    with tarfile.open(first / "vcsdemo-1.0.0.tar.gz") as tf:
        tf.extractall(tmp_path / "unpacked", filter="data")
    unpacked = tmp_path / "unpacked" / "vcsdemo-1.0.0"

    # The version is in the unpacked sdist's PKG-INFO: a wrong tag fails before building.
    wrong = run_cli(["build", str(unpacked), "--out-dir", str(tmp_path / "w"), "--tag", "v1.0.1"],
                    capsys, tmp_path)  # fmt: skip
    assert wrong.code == 1
    assert "The tag says version 1.0.1, but PKG-INFO says version 1.0.0." in wrong.out

    again = run_cli(
        ["build", str(unpacked), "--out-dir", str(tmp_path / "again")], capsys, tmp_path
    )
    assert again.code == 1
    assert (
        "vcsdemo-1.0.0.tar.gz: contains 'vcsdemo-1.0.0/PKG-INFO' 2 times: it was built from an "
        "unpacked sdist, and the backend packed that sdist's PKG-INFO again beside the one it wrote."
    ) in again.out
    assert "Build from the project's source tree (the git checkout)" in again.out
    assert "has no top-level PKG-INFO" not in again.out
    assert not (tmp_path / "again").exists()


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


# One real project per build backend a maintainer meets, each as its sdist on the index.
REAL_PROJECTS = {
    "flask": "3.1.0",  # flit_core
    "markupsafe": "3.0.2",  # setuptools, with a C extension
    "tomlkit": "0.13.2",  # poetry-core
    "filelock": "3.16.1",  # hatchling + hatch-vcs
    "pluggy": "1.5.0",  # setuptools + setuptools-scm
}


@pytest.mark.index
@pytest.mark.parametrize("name", list(REAL_PROJECTS))
def test_real_projects_from_their_sdists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    versions = REAL_PROJECTS
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
    # markupsafe compiles a C extension: its plain linux_* wheel is for a private index here.
    skip = ["--skip-check", "platform-tag: a private index"] if name == "markupsafe" else []
    result = run_cli(
        ["build", str(src), "--out-dir", str(out), "--tag", f"v{versions[name]}", *skip],
        capsys, tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.text
    kinds = sorted(p.suffix for p in out.iterdir())
    assert kinds == [".gz", ".whl"]
