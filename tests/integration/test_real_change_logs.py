"""Real change logs, read from the sdists of real projects on the package index."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from release_actions.changelog import extract, find_changelog, read_changelog

pytestmark = pytest.mark.index

REAL = {
    # sdist, change log inside, version, text that must be in the notes, text that must not
    "flask==3.1.0": ("CHANGES.rst", "3.1.0",
                     "[#5624](https://github.com/pallets/flask/pull/5624), [#5633](https://github.com/pallets/flask/pull/5633)",
                     "Version 3.0.3"),
    "click==8.1.8": ("CHANGES.rst", "8.1.8", "Fix an issue with type hints for `click.open_file()`.",
                     "Version 8.1.7"),
    "packaging==25.0": ("CHANGELOG.rst", "24.2", "- PEP 639: Implement License-Expression", "25.0"),
    "attrs==25.3.0": ("CHANGELOG.md", "24.3.0", "### Backwards-incompatible Changes", "25.1.0"),
    # towncrier's default NEWS.rst, and requests' HISTORY.md with its "dev" section on top
    "pip==25.0": ("NEWS.rst", "25.0", "- Deprecate the `no-python-version-warning` flag", "Upgrade CacheControl to 0.14.0"),
    "requests==2.32.3": ("HISTORY.md", "2.32.3", "custom SSLContexts in sub-classes", "get_connection_with_tls_context"),
}  # fmt: skip


def _unpacked_sdist(spec: str, where: Path) -> Path:
    """The sdist of ``spec`` from the package index, unpacked (one per test, so the tests'
    workers download side by side)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--disable-pip-version-check", "--dest", str(where), spec],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.fail(
            f"the package index is unreachable, so real sdists cannot be read: {proc.stderr[-300:]}"
        )
    for archive in where.glob("*.tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(where, filter="data")
    return where


@pytest.mark.parametrize("spec", list(REAL))
def test_real_change_logs(tmp_path: Path, spec: str) -> None:
    name, version = spec.split("==")
    filename, wanted, present, absent = REAL[spec]
    sdists = _unpacked_sdist(spec, tmp_path)
    root = next(p for p in sdists.iterdir() if p.is_dir() and p.name.lower() == f"{name}-{version}")
    path = find_changelog(root)
    assert path.name == filename
    repo = {"flask": "pallets/flask", "click": "pallets/click", "requests": "psf/requests"}.get(
        name, f"pypa/{name}"
    )
    notes = extract(path, wanted, repo=repo)
    assert present in notes.markdown
    assert absent not in notes.markdown
    assert notes.released is True
    for raw in (":issue:`", ":pr:`"):
        assert raw not in notes.markdown
    assert not re.search(r"(?<!`)``(?!`)", notes.markdown)
    # every version heading of the file is found
    assert len(read_changelog(path).sections) > 5
