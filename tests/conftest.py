from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.paths import PROJECTS


@pytest.fixture
def project(tmp_path: Path):
    """Copy a fixture project into tmp_path (builds write into the source tree)."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(PROJECTS / name, dest)
        return dest

    return copy


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than there are cores, since most tests spend their time
    waiting on a build, a local server or act rather than computing."""
    import os

    return (os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need Sigstore's or GitHub's real services run only when asked for."""
    import os

    if os.environ.get("RA_TEST_ONLINE") == "1":
        return
    skip = pytest.mark.skip(
        reason="needs the internet beyond the package index; set RA_TEST_ONLINE=1"
    )
    for item in items:
        if "online" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """flit_demo's sdist and wheel, built once for every test that only reads them."""
    from release_actions.build import build

    out = tmp_path_factory.mktemp("built") / "dist"
    build(PROJECTS / "flit_demo", out, clean=True)
    return out


@pytest.fixture
def dist(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a private copy of ``built`` in dist/ (tests may change it)."""
    work = tmp_path / "work"
    shutil.copytree(built, work / "dist")
    monkeypatch.chdir(work)
    return work / "dist"
