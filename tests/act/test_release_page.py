"""The real actions/release-page, run by nektos act on a tag push, against the fake GitHub API."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.act import run_workflow, workflow
from support.fake_github import FakeGitHub

pytestmark = [pytest.mark.act, pytest.mark.slow]

TOKEN = "ghs_act_secret_token_0123456789"


def _workflow(require_notes: str = "false") -> str:
    return workflow(
        "release-page",
        f"""
        - id: release
          uses: octo/release-actions/actions/release-page@v1
          with:
            files: |
              dist/*
              SHA256SUMS
            draft: "false"
            close-milestone: "true"
            require-notes: "{require_notes}"
            token: ${{{{ secrets.RELEASE_TOKEN }}}}
        """,
        permissions={"contents": "write", "issues": "write"},
        outputs="steps.release.outputs",
    )


WORKFLOW = _workflow()
# A section for the version is required: no fallback to GitHub's generated notes.
WITH_NOTES_REQUIRED = _workflow(require_notes="true")


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: "write"}) as server:
        server.add_repo("octo/demo").add_milestone("1.2.3")
        yield server


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "dist").mkdir(parents=True)
    (root / "CHANGES.rst").write_text(
        "Version 1.2.3\n-------------\n\nReleased 2026-11-20\n\n"
        "-   Fix the greeting for empty names. :issue:`12`\n"
    )
    (root / "dist" / "demo-1.2.3.tar.gz").write_bytes(b"sdist")
    (root / "dist" / "demo-1.2.3-py3-none-any.whl").write_bytes(b"wheel")
    (root / "SHA256SUMS").write_text("sums\n")
    return root


def test_release_page_action_publishes_a_complete_release(fake: FakeGitHub, tmp_path: Path) -> None:
    run = run_workflow(
        tmp_path, {"release.yml": WORKFLOW}, project=_project(tmp_path), tag="v1.2.3",
        env={"GITHUB_API_URL": fake.api_url, "RA_GITHUB_WRITE_INTERVAL": "0"},
        secrets={"RELEASE_TOKEN": TOKEN},
    )  # fmt: skip
    assert run.returncode == 0, run.log[-6000:]
    [release] = fake.repo("octo/demo").releases
    assert (release.tag_name, release.draft, release.prerelease) == ("v1.2.3", False, False)
    assert release.body is not None
    assert release.body.startswith(
        "- Fix the greeting for empty names. [#12](https://github.com/octo/demo/issues/12)\n\n"
        f"**Milestone:** [1.2.3]({fake.url}/octo/demo/milestone/1?closed=1)"
    )
    assert {a.name: a.digest for a in release.assets} == {
        "demo-1.2.3.tar.gz": "sha256:" + hashlib.sha256(b"sdist").hexdigest(),
        "demo-1.2.3-py3-none-any.whl": "sha256:" + hashlib.sha256(b"wheel").hexdigest(),
        "SHA256SUMS": "sha256:" + hashlib.sha256(b"sums\n").hexdigest(),
    }
    assert fake.repo("octo/demo").milestones[0].state == "closed"
    outputs = run.outputs()
    assert outputs == {
        "id": str(release.id),
        "url": f"{fake.api_url}/repos/octo/demo/releases/{release.id}",
        "html-url": f"{fake.url}/octo/demo/releases/tag/v1.2.3",
        "upload-url": f"{fake.url}/api/uploads/repos/octo/demo/releases/{release.id}/assets{{?name,label}}",
        "draft": "false",
    }
    assert any(
        f"### Release [v1.2.3]({outputs['html-url']}) (published)" in s for s in run.summaries
    )
    assert TOKEN not in run.log


def test_release_page_action_with_a_bad_token_fails_clearly(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    run = run_workflow(
        tmp_path, {"release.yml": WORKFLOW}, project=_project(tmp_path), tag="v1.2.3",
        env={"GITHUB_API_URL": fake.api_url}, secrets={"RELEASE_TOKEN": "ghs_not_valid_123456"},
    )  # fmt: skip
    assert run.returncode != 0
    assert (
        "::error title=Credentials refused::GitHub refused the token while reading the repository (401 Bad credentials)."
        in run.log
    )
    assert "ghs_not_valid_123456" not in run.log
    assert fake.repo("octo/demo").releases == []


def test_release_page_action_without_a_section_uses_githubs_notes_unless_required(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    project = _project(tmp_path)
    (project / "CHANGES.rst").write_text(
        "Version 1.2.2\n-------------\n\nReleased 2026-10-01\n\n- Old.\n"
    )
    fake.repo("octo/demo").add_tag("v1.2.2")
    fake.repo("octo/demo").add_tag("v1.2.3")
    env = {"GITHUB_API_URL": fake.api_url, "RA_GITHUB_WRITE_INTERVAL": "0"}
    required = run_workflow(
        tmp_path / "required", {"release.yml": WITH_NOTES_REQUIRED},
        project=project, tag="v1.2.3", env=env, secrets={"RELEASE_TOKEN": TOKEN},
    )  # fmt: skip
    assert required.returncode != 0
    assert (
        "::error title=Change log problem::CHANGES.rst has no section for version 1.2.3"
        in required.log
    )
    assert fake.repo("octo/demo").releases == []

    run = run_workflow(
        tmp_path / "fallback", {"release.yml": WORKFLOW}, project=project, tag="v1.2.3",
        env=env, secrets={"RELEASE_TOKEN": TOKEN},
    )  # fmt: skip
    assert run.returncode == 0, run.log[-6000:]
    assert (
        "::warning title=No release notes in the change log::CHANGES.rst has no section for version 1.2.3"
        in run.log
    )
    [release] = fake.repo("octo/demo").releases
    assert release.body is not None
    assert release.body.startswith(
        f"**Full Changelog**: {fake.url}/octo/demo/compare/v1.2.2...v1.2.3"
    )
    assert not release.draft
    assert TOKEN not in run.log
