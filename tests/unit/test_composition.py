"""Stages decide, the command layer prints: the notes stage and the one wording of a failed report."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_actions import reporter
from release_actions.changelog import MissingNotesError
from release_actions.errors import ChangelogError
from release_actions.notes import notes_for, page_notes
from release_actions.verify.report import Attestation, Check, Report
from release_actions.versions import version_from_tag

CHANGES = "# Changes\n\n## 1.3.0 - Unreleased\n\n- Soon.\n\n## 1.2.3 - 2026-11-20\n\n- Fixed.\n"


def _notes(tmp_path: Path, version: str, **options: object) -> tuple[object, reporter.Recorded]:
    (tmp_path / "CHANGES.md").write_text(CHANGES)
    recorded = reporter.Recorded()
    kwargs = {"changelog": None, "project": tmp_path, "repo": "octo/demo",
              "server_url": "https://github.com", "reporter": recorded, **options}  # fmt: skip
    if "require_released" in kwargs:
        return notes_for(version_from_tag(version), **kwargs), recorded  # type: ignore[arg-type]
    kwargs.setdefault("require_notes", False)
    return page_notes(version_from_tag(version), fix="Add one.", **kwargs), recorded  # type: ignore[arg-type]


def test_an_unreleased_section_is_reported_through_the_reporter(tmp_path: Path) -> None:
    (markdown, path), recorded = _notes(tmp_path, "v1.3.0", require_released=False)  # type: ignore[misc]
    assert markdown == "- Soon.\n"
    assert path == tmp_path / "CHANGES.md"
    assert recorded.texts("warning") == [
        "Unreleased change log section: CHANGES.md: the section for 1.3.0 is still marked "
        "unreleased. Replace 'Unreleased' with 'Released <date>' before tagging the release."
    ]
    with pytest.raises(ChangelogError, match=r"the section for 1\.3\.0 is still marked unreleased"):
        _notes(tmp_path, "v1.3.0", require_released=True)


def test_a_development_version_takes_the_section_it_leads_to_quietly(tmp_path: Path) -> None:
    (markdown, _), recorded = _notes(tmp_path, "1.3.0.dev4", require_released=True)  # type: ignore[misc]
    assert markdown == "- Soon.\n"
    assert recorded.texts("warning") == []
    assert recorded.texts("info") == [
        "1.3.0.dev4 is a development version: using the section for 1.3.0 of CHANGES.md"
    ]


def test_a_page_without_a_section_falls_back_to_generated_notes(tmp_path: Path) -> None:
    page, recorded = _notes(tmp_path, "v9.0.0")
    assert (page.markdown, page.changelog, page.generate) == ("", None, True)  # type: ignore[attr-defined]
    assert recorded.texts("warning") == [
        "No release notes in the change log: CHANGES.md has no section for version 9.0.0; it has "
        "sections for 1.3.0, 1.2.3. The release page uses GitHub's generated notes instead "
        "(set require-notes: true, or pass --require-notes, to fail here)."
    ]
    with pytest.raises(MissingNotesError):
        _notes(tmp_path, "v9.0.0", require_notes=True)
    found, quiet = _notes(tmp_path, "v1.2.3")
    assert (found.markdown, found.generate, quiet.messages) == ("- Fixed.\n", False, [])  # type: ignore[attr-defined]


def test_one_wording_of_what_stands_between_a_report_and_verified() -> None:
    checks = [Check("signature", "pass", "key"), Check("tag", "fail", "v2 is not v1"),
              Check("log entry", "not done", "offline"), Check("unsigned", "waived", "asked")]  # fmt: skip
    report = Report(
        "p.jsonl", [Attestation(1, "dsse", checks)], Check("subjects", "fail", "x differs")
    )
    assert report.findings() == "tag: v2 is not v1; log entry: offline; subjects: x differs"
    assert report.findings("fail") == "tag: v2 is not v1; subjects: x differs"
    assert report.findings(leave_out=("subjects",)) == "tag: v2 is not v1; log entry: offline"
    error = report.error()
    assert error is not None
    assert error.cause == "p.jsonl does not verify: tag: v2 is not v1; subjects: x differs."


def test_the_rehearsal_and_the_release_page_model_load_no_github_client() -> None:
    """The model of a release page is pure: a preview or a rehearsal never loads PyGithub."""
    import subprocess
    import sys

    code = (
        "import sys, release_actions.rehearsal, release_actions.release_page.model; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "release_actions" in loaded
    assert "github" not in loaded
    assert "requests" not in loaded


def test_stages_report_through_one_reporter_and_never_print() -> None:
    """No stage takes log/warn/notice/mask callables, and only the command layer prints."""
    import ast

    from support.paths import ROOT

    package = ROOT / "scripts" / "release_actions"
    callables = {"log", "warn", "notice", "mask"}
    found = []
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package).as_posix()
        if where.startswith("cli/") or where in ("gha.py", "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), where)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                found.append(f"{where}:{node.lineno} print")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args.args + node.args.kwonlyargs
                found += [f"{where}:{node.lineno} {a.arg}" for a in arguments if a.arg in callables]
    assert found == []


def test_the_notes_command_rules_live_in_the_stage(tmp_path: Path) -> None:
    from release_actions.notes import version_notes

    (tmp_path / "CHANGES.md").write_text("# Changes\n\n## 1.2.3 - 2026-11-20\n\n- Fixed.\n")
    recorded = reporter.Recorded()
    common = {"changelog": None, "project": tmp_path, "repo": None, "server_url": "https://github.com",
              "require_released": False, "reporter": recorded}  # fmt: skip
    dev = version_notes(version_from_tag("1.2.4.dev1"), missing_ok=False, **common)  # type: ignore[arg-type]
    assert (dev.markdown, dev.changelog, dev.generate) == ("", tmp_path / "CHANGES.md", False)
    assert recorded.texts("warning")[0].startswith(
        "No change log section yet: CHANGES.md has no section for version 1.2.4.dev1"
    )
    with pytest.raises(MissingNotesError):
        version_notes(version_from_tag("v9.0.0"), missing_ok=False, **common)  # type: ignore[arg-type]
    early = version_notes(version_from_tag("v9.0.0"), missing_ok=True, **common)  # type: ignore[arg-type]
    assert (early.markdown, early.changelog, early.generate) == ("", None, True)
    assert recorded.texts("warning")[-1].endswith(
        "The release page will use GitHub's generated notes."
    )
