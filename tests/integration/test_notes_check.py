"""The build job's early check of the release notes (build action ``check-notes``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_a_missing_change_log_is_a_warning_with_missing_ok(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(["notes", "--version", "v1.2.3", "--missing-ok"], capsys, tmp_path)
    assert result.code == 0, result.text
    assert "::warning title=No release notes in the change log::" in result.out
    assert "The release page will use GitHub's generated notes." in result.out
    assert result.outputs == {"notes": ""}
    assert list(project.iterdir()) == []  # nothing written


def test_a_missing_section_is_a_warning_with_missing_ok_and_an_error_without(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "CHANGES.md").write_text("# Changes\n\n## 1.2.2\n\n- An older fix.\n")
    warned = run_cli(["notes", "--version", "1.2.3", "--missing-ok"], capsys, tmp_path)
    assert warned.code == 0, warned.text
    assert "::warning title=No release notes in the change log::" in warned.out
    assert "1.2.3" in warned.out
    failed = run_cli(["notes", "--version", "1.2.3"], capsys, tmp_path)
    assert failed.code != 0
    assert "::error" in failed.out
    assert "1.2.3" in failed.text


def test_a_present_section_is_the_same_with_or_without_missing_ok(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "CHANGES.md").write_text("# Changes\n\n## 1.2.3\n\n- Fixed the widget.\n")
    checked = run_cli(["notes", "--version", "1.2.3", "--missing-ok"], capsys, tmp_path)
    plain = run_cli(["notes", "--version", "1.2.3"], capsys, tmp_path)
    assert checked.code == plain.code == 0
    assert "Fixed the widget." in checked.outputs["notes"]
    assert checked.outputs == plain.outputs
