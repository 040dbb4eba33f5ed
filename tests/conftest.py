from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECTS = Path(__file__).parent / "projects"


@pytest.fixture
def project(tmp_path: Path):
    """Copy a fixture project into tmp_path (builds write into the source tree)."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(PROJECTS / name, dest)
        return dest

    return copy


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
