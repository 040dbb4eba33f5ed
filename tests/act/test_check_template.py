"""The check template, exactly as a user copies it, run by act on a pull request."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.act import job_contents_permissions, run_workflow
from support.fake_github import FakeGitHub
from support.paths import PROJECTS, ROOT

pytestmark = [pytest.mark.act, pytest.mark.slow]
PROJECT = PROJECTS / "flit_demo"


def test_check_template_rehearses_a_release_on_a_pull_request(tmp_path: Path) -> None:
    """As copied, on a private repository: the job's token is the one its permissions grant."""
    template = (ROOT / "workflows-templates" / "python-release-check.yml").read_text()
    with FakeGitHub({}) as github:
        github.add_repo("octo/demo", private=True).source = tmp_path / "ws"
        tokens = {}
        for job, level in job_contents_permissions(template).items():
            tokens[job] = f"ghs_{job}_token_0123456789"
            github.tokens[tokens[job]] = level
        run = run_workflow(
            tmp_path, {"release-check.yml": template}, project=PROJECT, event="pull_request",
            env={"GITHUB_API_URL": github.api_url},
            job_tokens=tokens,
        )  # fmt: skip
    assert run.returncode == 0, run.log[-6000:]
    assert [s for _, path, s in github.requests if "/tarball/" in path] == [302]
    summaries = "\n".join(run.summaries)
    assert "Built flit-demo 1.2.3" in summaries or "Built flit_demo 1.2.3" in summaries
    assert "Release notes for 1.2.3" in summaries
    assert "Provenance VERIFIED" in summaries
    assert "Unsigned provenance" in run.log


def test_check_template_fails_without_the_change_log_section(tmp_path: Path) -> None:
    project = tmp_path / "project"

    shutil.copytree(PROJECT, project)
    (project / "CHANGES.md").write_text("# Changes\n\n## 1.2.2 - 2026-10-01\n\n- First release.\n")
    template = (ROOT / "workflows-templates" / "python-release-check.yml").read_text()
    run = run_workflow(
        tmp_path, {"release-check.yml": template}, project=project, event="pull_request",
    )  # fmt: skip
    assert run.returncode != 0
    assert "CHANGES.md has no section for version 1.2.3" in run.log


def test_check_template_passes_on_a_pull_request_of_a_dev_version(tmp_path: Path) -> None:
    """Main carries the next version as a development release and an "Unreleased" section."""

    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.2.3"', 'version = "1.3.0.dev0"')
    )
    (project / "CHANGES.md").write_text(
        "# Changes\n\n## Unreleased\n\n- Brew faster.\n\n## 1.2.3 - 2026-11-20\n\n- Fixed.\n"
    )
    template = (ROOT / "workflows-templates" / "python-release-check.yml").read_text()
    run = run_workflow(
        tmp_path, {"release-check.yml": template}, project=project, event="pull_request",
    )  # fmt: skip
    assert run.returncode == 0, run.log[-6000:]
    summaries = "\n".join(run.summaries)
    assert "Brew faster." in summaries
    assert "Provenance VERIFIED" in summaries
