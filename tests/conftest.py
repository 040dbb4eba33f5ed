from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECTS = Path(__file__).parent / "projects"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def project(tmp_path: Path):
    """Copy a fixture project into tmp_path (builds write into the source tree)."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(PROJECTS / name, dest)
        return dest

    return copy
