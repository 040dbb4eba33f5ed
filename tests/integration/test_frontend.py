"""The build front end: each build's environment holds what its backend asked for, no more."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from release_actions.build import build
from release_actions.errors import BuildError
from release_actions.reporter import Recorded
from support.cli import run_cli
from support.paths import PROJECTS

# Wraps flit_core and asks for one more package per build: the sdist's build wants
# sdist_dep, the wheel's wheel_dep. The wheel's build fails if its environment lacks
# wheel_dep, or holds sdist_dep (the sdist's environment leaking into the wheel's).
WRAPPER = """
import importlib.util, os
from pathlib import Path
from flit_core import buildapi as _flit

def _wanted(name):
    return [f"{name} @ {Path(os.environ['RA_TEST_WHEELS'], name + '-1.0-py3-none-any.whl').as_uri()}"]

def get_requires_for_build_sdist(config_settings=None):
    return _wanted("sdist_dep")

def get_requires_for_build_wheel(config_settings=None):
    # as flit lists a project's own dependencies: one an extra's marker excludes is not installed
    return _wanted("wheel_dep") + ['no-such-package-anywhere ; extra == "all"']

def build_sdist(directory, config_settings=None):
    if importlib.util.find_spec("sdist_dep") is None:
        raise SystemExit("sdist_dep was not installed before build_sdist")
    return _flit.build_sdist(directory, config_settings)

def build_wheel(directory, config_settings=None, metadata_directory=None):
    if importlib.util.find_spec("wheel_dep") is None:
        raise SystemExit("wheel_dep was not installed before build_wheel")
    if importlib.util.find_spec("sdist_dep") is not None:
        raise SystemExit("the sdist's requirement leaked into the wheel's environment")
    return _flit.build_wheel(directory, config_settings, metadata_directory)
"""


def _tiny_wheel(folder: Path, name: str) -> None:
    info = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(folder / f"{name}-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr(f"{name}.py", "")
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        zf.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr(f"{info}/RECORD", "")


def _wrapped_project(tmp_path: Path) -> Path:
    src = tmp_path / "wrapped"
    shutil.copytree(PROJECTS / "flit_demo", src)
    (src / "_backend").mkdir()
    (src / "_backend" / "wrapped_flit.py").write_text(WRAPPER)
    pyproject = (src / "pyproject.toml").read_text()
    pyproject = pyproject.replace(
        'build-backend = "flit_core.buildapi"',
        'build-backend = "wrapped_flit"\nbackend-path = ["_backend"]',
    )
    (src / "pyproject.toml").write_text(
        pyproject + '\n[tool.flit.sdist]\ninclude = ["_backend/"]\n'
    )
    return src


def test_each_build_gets_what_its_backend_asks_for_and_nothing_of_the_others(
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name in ("sdist_dep", "wheel_dep"):
        _tiny_wheel(wheels, name)
    src = _wrapped_project(tmp_path)
    reporter = Recorded()
    result = build(
        src, tmp_path / "out", env={**os.environ, "RA_TEST_WHEELS": str(wheels)}, reporter=reporter
    )
    assert sorted(p.name for p in result.artifacts) == [
        "flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"
    ]  # fmt: skip
    assert result.frontend == "uv"
    assert any("in new environments that uv fills" in t for t in reporter.texts("info"))
    # the wheel came from the sdist: the in-tree backend travelled in it
    with zipfile.ZipFile(tmp_path / "out" / "flit_demo-1.2.3-py3-none-any.whl") as zf:
        assert "flit_demo/__init__.py" in zf.namelist()


def test_a_requirement_only_the_wheel_build_asks_for_fails_the_build_when_missing(
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _tiny_wheel(wheels, "sdist_dep")  # wheel_dep is missing: its install fails
    src = _wrapped_project(tmp_path)
    with pytest.raises(BuildError) as failed:
        build(src, tmp_path / "out", env={**os.environ, "RA_TEST_WHEELS": str(wheels)})
    assert "Installing the build requirements (wheel_dep @ file:" in failed.value.cause
    assert "wheel_dep-1.0-py3-none-any.whl" in failed.value.cause
    assert "Check [build-system] requires in pyproject.toml" in failed.value.fix
    assert not (tmp_path / "out").exists()


# A backend whose sdist holds MEMBER beside its PKG-INFO: one that would land outside
# the folder it unpacks to, or in a second top folder.
ESCAPING = """
import io, tarfile

def build_sdist(directory, config_settings=None):
    with tarfile.open(f"{directory}/flit_demo-1.2.3.tar.gz", "w:gz") as archive:
        for name, data in [("flit_demo-1.2.3/PKG-INFO", b"Metadata-Version: 2.1\\nName: flit-demo\\n"),
                           ("MEMBER", b"print('out')\\n")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return "flit_demo-1.2.3.tar.gz"

def build_wheel(directory, config_settings=None, metadata_directory=None):
    raise SystemExit("the wheel must not be built from an sdist that did not unpack")
"""


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        ("flit_demo-1.2.3/../../escaped.py", "cannot be unpacked: "),
        # tarfile's data filter strips the leading slash: a second top folder
        ("/elsewhere/escaped.py", "holds 2 top-level folders; an sdist holds one."),
    ],
    ids=["dot-dot", "absolute"],
)
def test_an_sdist_that_would_unpack_outside_its_folder_fails_the_build_by_name(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str], member: str, problem: str
) -> None:
    src = project("flit_demo")
    (src / "escaping.py").write_text(ESCAPING.replace("MEMBER", member))
    text = (src / "pyproject.toml").read_text()
    (src / "pyproject.toml").write_text(
        text.replace(
            'build-backend = "flit_core.buildapi"',
            'build-backend = "escaping"\nbackend-path = ["."]',
        )
    )
    out = tmp_path / "out"
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert f"flit_demo-1.2.3.tar.gz {problem}" in result.err
    if member.startswith("flit_demo"):
        assert "escaped.py" in result.err
    assert "Check the build backend's configuration." in result.err
    assert "Traceback" not in result.err
    assert not out.exists()


def test_a_build_requirement_that_cannot_be_installed_fails_before_any_backend_runs(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("flit_demo")
    missing = (tmp_path / "nowhere" / "absent-1.0-py3-none-any.whl").as_uri()
    text = (src / "pyproject.toml").read_text()
    (src / "pyproject.toml").write_text(
        text.replace('requires = ["flit_core>=3.9,<4"]', f'requires = ["absent @ {missing}"]')
    )
    out = tmp_path / "out"
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "Installing the build requirements (absent @ file:" in result.err
    assert "Check [build-system] requires in pyproject.toml" in result.err
    assert "Traceback" not in result.err
    assert not out.exists()


def test_a_project_that_configures_uv_is_built_by_uv_build(
    project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project("flit_demo")
    with (src / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.uv]\nbuild-constraint-dependencies = ['flit_core>=3.9']\n")
    out = tmp_path / "out"
    result = run_cli(["build", str(src), "--out-dir", str(out)], capsys, tmp_path, on_runner=False)
    assert result.code == 0, result.text
    assert "with uv build" in result.err
    assert sorted(p.name for p in out.iterdir()) == [
        "flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"
    ]  # fmt: skip
