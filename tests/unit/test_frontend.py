"""What the build front end reads from a project before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_actions.frontend import LEGACY, BuildSystem, read_build_system


def _project(tmp_path: Path, pyproject: str | None) -> Path:
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    return tmp_path


def test_the_declared_build_system(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n'
        'backend-path = ["."]\n',
    )
    assert read_build_system(project) == BuildSystem(
        "hatchling.build", ("hatchling", "hatch-vcs"), (".",)
    )


@pytest.mark.parametrize(
    ("pyproject", "requires"),
    [
        (None, LEGACY[1]),  # a setup.py alone
        ('[project]\nname = "x"\n', LEGACY[1]),  # no [build-system] table
        ('[build-system]\nrequires = ["setuptools>=70"]\n', ("setuptools>=70",)),
    ],
)
def test_pep_517_fallback_backend(
    tmp_path: Path, pyproject: str | None, requires: tuple[str, ...]
) -> None:
    assert read_build_system(_project(tmp_path, pyproject)) == BuildSystem(LEGACY[0], requires)


@pytest.mark.parametrize(
    "pyproject",
    [
        '[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n[tool.uv]\n',
        "[build-system\n",  # not TOML: uv build reports it
        '[build-system]\nbuild-backend = "flit_core.buildapi"\n',  # no requires
        '[build-system]\nrequires = "flit_core"\n',
        '[build-system]\nrequires = []\nbuild-backend = ""\n',
        '[build-system]\nrequires = []\nbuild-backend = "x"\nbackend-path = "."\n',
    ],
)
def test_projects_left_to_uv_build(tmp_path: Path, pyproject: str) -> None:
    assert read_build_system(_project(tmp_path, pyproject)) is None


def test_a_uv_toml_leaves_the_project_to_uv_build(tmp_path: Path) -> None:
    project = _project(tmp_path, '[build-system]\nrequires = []\nbuild-backend = "x"\n')
    (project / "uv.toml").write_text("")
    assert read_build_system(project) is None


@pytest.mark.parametrize(
    ("pyproject", "readme", "kinds"),
    [
        ('[project]\nname = "x"\nreadme = "README.rst"\n', None, {"rst"}),
        (
            '[project]\nname = "x"\nreadme = {file = "docs/intro.md", content-type = "text/markdown"}\n',
            None,
            {"md"},
        ),
        (
            '[project]\nname = "x"\nreadme = {text = "hi", content-type = "text/x-rst"}\n',
            None,
            {"rst"},
        ),
        (None, "README.rst", {"rst"}),  # a setup.py project: the file at the top
        ('[project]\nname = "x"\n', None, set()),
    ],
)
def test_the_readme_renderer_to_load_ahead(
    tmp_path: Path, pyproject: str | None, readme: str | None, kinds: set[str]
) -> None:
    from release_actions.build import readme_kinds

    project = _project(tmp_path, pyproject)
    if readme:
        (project / readme).write_text("x\n")
    assert readme_kinds(project) == kinds
