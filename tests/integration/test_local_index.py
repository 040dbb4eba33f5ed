from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from release_actions.build import build
from release_actions.errors import PublishError
from release_actions.local_index import publish_to_folder
from support.paths import PROJECTS


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("dists")
    src = root / "flit_demo"
    shutil.copytree(PROJECTS / "flit_demo", src)
    return build(src, root / "dist").artifacts


def test_pip_installs_from_the_folder_index(dists: list[Path], tmp_path: Path) -> None:
    simple = tmp_path / "simple"
    result = publish_to_folder(dists, simple)
    assert sorted(result.uploaded) == sorted(p.name for p in dists)
    assert result.index_url == simple.as_uri() + "/"
    page = (simple / "flit-demo" / "index.html").read_text()
    assert "#sha256=" in page
    assert 'data-requires-python="&gt;=3.10"' in page
    assert '<a href="flit-demo/">flit-demo</a>' in (simple / "index.html").read_text()
    target = tmp_path / "installed"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--isolated", "--no-cache-dir",
         "--index-url", result.index_url, "--target", str(target), "flit-demo==1.2.3"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (target / "flit_demo" / "__init__.py").exists()


def test_republishing_the_same_bytes_is_skipped(dists: list[Path], tmp_path: Path) -> None:
    simple = tmp_path / "simple"
    publish_to_folder(dists, simple)
    again = publish_to_folder(dists, simple)
    assert again.uploaded == []
    assert sorted(again.skipped) == sorted(p.name for p in dists)


def test_other_bytes_under_a_published_name_are_refused_before_any_copy(
    dists: list[Path], tmp_path: Path
) -> None:
    simple = tmp_path / "simple"
    wheel = next(p for p in dists if p.suffix == ".whl")
    sdist = next(p for p in dists if p.suffix != ".whl")
    publish_to_folder([wheel], simple)
    (simple / "flit-demo" / wheel.name).write_bytes(b"tampered")
    with pytest.raises(PublishError, match=r"already in the index .* with other content"):
        publish_to_folder([sdist, wheel], simple)
    assert not (simple / "flit-demo" / sdist.name).exists()
