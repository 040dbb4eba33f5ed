"""The repository's own self-test workflow, run by act on a copy of this checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.act import copy_checkout, run_workflow

pytestmark = [pytest.mark.act, pytest.mark.slow]


def test_self_test_workflow_passes_with_its_negative_cases(tmp_path: Path) -> None:
    repo = copy_checkout(tmp_path / "repo")
    workflows = {p.name: p.read_text() for p in (repo / ".github" / "workflows").glob("*.yml")}
    run = run_workflow(
        tmp_path, workflows, project=repo, workflow="self-test.yml", event="pull_request",
        job="actions", repo="release-actions/release-actions", matrix={"os": "ubuntu-latest"},
    )  # fmt: skip
    assert run.returncode == 0, run.log[-8000:]
    assert "Success - Main Check the outcomes" in run.log
    assert "Keyless signing is refused in the job that ran the build" in run.log
    assert "the provenance is not signed" in run.log
