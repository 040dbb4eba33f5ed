"""The audit against the real package index, through the index URL this machine's pip uses.

One real, small project (iniconfig: a dozen versions, one of them without
files, over fifteen years) audited from a local clone whose tags are its
released versions; the GitHub checks are skipped. The report must finish with
one row per version the index lists, and every file downloaded must have the
index's sha256. An unreachable index fails the test: it is never skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from support.act import git
from support.cli import run_cli

pytestmark = pytest.mark.index

PROJECT = "iniconfig"
REPO = "pytest-dev/iniconfig"
# Its versions on the index when this test was written; a later release is reported, not failed.
KNOWN = ["0.0", "0.1", "0.2.dev0", "1.0.0", "1.0.1", "1.1.0", "1.1.1", "2.0.0", "2.1.0",
         "2.2.0", "2.3.0", "2.3.1"]  # fmt: skip


def pip_index_url() -> str:
    """The index pip would install from here: PIP_INDEX_URL, pip's configuration, or PyPI."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        if key.rsplit(".", 1)[-1] == "index-url":
            return value.strip().strip("'\"")
    return "https://pypi.org/simple"


def index_versions(simple_url: str) -> list[str]:
    """The versions the index lists (PEP 700), read independently of the audit."""
    request = urllib.request.Request(
        f"{simple_url.rstrip('/')}/{PROJECT}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            versions: list[str] = json.load(response)["versions"]
    except OSError as exc:
        pytest.fail(f"the package index at {simple_url} is unreachable: {exc}")
    return versions


def test_a_real_project_on_the_real_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index_url = pip_index_url()
    listed = index_versions(index_url)
    clone = tmp_path / PROJECT
    clone.mkdir()
    (clone / "pyproject.toml").write_text(f'[project]\nname = "{PROJECT}"\n')
    git(clone, "init", "-q", "-b", "main")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "the released history, as tags")
    for version in KNOWN:
        git(clone, "tag", f"v{version}")
    git(clone, "remote", "add", "origin", f"https://github.com/{REPO}.git")
    monkeypatch.chdir(clone)
    report = tmp_path / "audit.json"
    result = run_cli(
        ["audit", f"--index-url={index_url}", "--verify", f"--output={report}",
         "--skip=release", "--skip=milestone", "--skip=assets", "--tags-from=auto"],
        capsys, tmp_path, on_runner=False,
    )  # fmt: skip
    assert result.code in (0, 1), result.text
    data = json.loads(report.read_text())
    rows = [v["version"] for v in data["versions"]]
    assert sorted(rows) == sorted(listed)  # one row per version, the report finished
    assert set(KNOWN) <= set(rows)
    assert data["project"] == PROJECT  # from ./pyproject.toml
    assert data["repository"] == REPO  # from the clone's origin
    assert data["tags_from"] == "git"
    assert data["index_source"] == "Simple API (JSON)"
    assert data["unreachable"] == 0, result.text
    broken = {v["version"] for v in data["versions"] if v["status"] == "broken"}
    assert broken == set(rows) - set(KNOWN)  # only versions released after this test was written
    no_files = next(v for v in data["versions"] if v["version"] == "0.0")
    assert no_files["files"] == []  # PEP 700 lists versions that have no files
    for v in data["versions"]:
        # every file was downloaded and matched the index's sha256; no release pages were read
        assert v["checks"]["provenance"]["status"] == "skipped", v
        assert v["checks"]["tag"]["status"] == ("ok" if v["version"] in KNOWN else "broken")
