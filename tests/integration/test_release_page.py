"""release-page against the local fake of GitHub's REST API: final state and messages."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from release_actions.versions import is_prerelease as prerelease_of
from release_actions.versions import names_version as milestone_matches
from release_actions.versions import version_from_tag
from support.cli import CliResult, run_cli
from support.fake_github import FakeGitHub

TOKEN = "ghs_fake_write_token"
READ_TOKEN = "ghs_fake_read_only"
REPO = "octo/demo"
CHANGES = """\
# Changes

## 2.0.0rc1 - 2026-12-01

- Try the new engine.

## 1.2.3 - 2026-11-20

- Fix the greeting for empty names. #12
- Add `shout()`.
"""


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: "write", READ_TOKEN: "read"}) as server:
        server.add_repo(REPO).add_milestone("v1.2.3")
        yield server


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "dist").mkdir(parents=True)
    (root / "CHANGES.md").write_text(CHANGES)
    (root / "dist" / "demo-1.2.3.tar.gz").write_bytes(b"sdist bytes")
    (root / "dist" / "demo-1.2.3-py3-none-any.whl").write_bytes(b"wheel bytes" * 1000)
    (root / "SHA256SUMS").write_text("sums\n")
    monkeypatch.chdir(root)
    return root


def _env(fake: FakeGitHub, token: str | None = TOKEN, **extra: str) -> dict[str, str]:
    env = {
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_REPOSITORY": REPO,
        "RA_GITHUB_WRITE_INTERVAL": "0",
        "RA_GITHUB_BACKOFF": "0.01",
        **extra,
    }
    if token is not None:
        env["GITHUB_TOKEN"] = token
    return env


def _run(fake: FakeGitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str,
         token: str | None = TOKEN, on_runner: bool = True, **extra: str) -> CliResult:  # fmt: skip
    result = run_cli(["release-page", *args], capsys, tmp_path, env=_env(fake, token, **extra),
                     on_runner=on_runner)  # fmt: skip
    for secret in (TOKEN, READ_TOKEN, "ghs_wrong"):
        assert secret not in result.text.replace(f"::add-mask::{secret}", "")
    return result


def _writes(fake: FakeGitHub) -> list[tuple[str, str, int]]:
    return [r for r in fake.requests if r[0] != "GET"]


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


DIST = ["dist/*", "SHA256SUMS"]


def test_first_run_creates_a_draft_with_notes_milestone_and_assets(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert result.code == 0, result.text
    assert result.out.startswith(f"::add-mask::{TOKEN}\n")
    [release] = fake.repo(REPO).releases
    assert release.draft
    assert not release.prerelease
    assert release.name == "v1.2.3"
    assert release.body == (
        "- Fix the greeting for empty names. #12\n- Add `shout()`.\n\n"
        f"**Milestone:** [v1.2.3]({fake.url}/octo/demo/milestone/1?closed=1) "
        "lists the issues and pull requests of this release.\n"
    )
    assets = {a.name: a for a in release.assets}
    assert sorted(assets) == ["SHA256SUMS", "demo-1.2.3-py3-none-any.whl", "demo-1.2.3.tar.gz"]
    assert assets["demo-1.2.3.tar.gz"].digest == _sha(b"sdist bytes")
    assert assets["demo-1.2.3-py3-none-any.whl"].content_type == "application/zip"
    assert "v1.2.3" not in fake.repo(REPO).tags  # a draft does not create the tag
    assert result.outputs == {
        "id": str(release.id),
        "url": f"{fake.api_url}/repos/octo/demo/releases/{release.id}",
        "html-url": f"{fake.url}/octo/demo/releases/tag/untagged-{release.untagged}",
        "upload-url": f"{fake.url}/api/uploads/repos/octo/demo/releases/{release.id}/assets{{?name,label}}",
        "draft": "true",
    }
    assert f"### Release [v1.2.3]({result.outputs['html-url']}) (draft)" in result.summary
    assert "| `demo-1.2.3.tar.gz` | uploaded |" in result.summary


def test_rerun_changes_nothing_and_publishing_comes_last(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST).code == 0
    before = len(fake.requests)
    again = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert again.code == 0, again.text
    assert _writes(fake)[-1][0] == "POST"  # the re-run wrote nothing
    assert all(method == "GET" for method, _, _ in fake.requests[before:])
    assert "| `demo-1.2.3.tar.gz` | unchanged |" in again.summary
    # publish: the one write of this run is the PATCH that publishes, after every upload
    published = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--no-draft", *DIST)
    assert published.code == 0, published.text
    [release] = fake.repo(REPO).releases
    assert not release.draft
    assert len(release.assets) == 3
    assert "v1.2.3" in fake.repo(REPO).tags
    assert published.outputs["html-url"] == f"{fake.url}/octo/demo/releases/tag/v1.2.3"
    assert [m for m, _, _ in fake.requests[before:] if m != "GET"] == ["PATCH"]
    # a published release stays published on a later default (draft) run
    assert _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST).code == 0
    assert not fake.repo(REPO).releases[0].draft


def test_immutable_releases_get_every_asset_before_publishing(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake.repo(REPO).immutable_releases = True
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--no-draft", *DIST)
    assert result.code == 0, result.text
    [release] = fake.repo(REPO).releases
    assert release.immutable
    assert not release.draft
    assert len(release.assets) == 3
    # a new file later cannot be added: refused before any write, naming the file
    (project / "dist" / "demo-1.2.3-cp313-linux.whl").write_bytes(b"late")
    writes = len(_writes(fake))
    late = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--no-draft", *DIST)
    assert late.code == 1
    assert (
        "The release is published and immutable, so an asset 'demo-1.2.3-cp313-linux.whl' "
        "can no longer be added or changed."
    ) in late.out
    assert len(_writes(fake)) == writes


def test_different_asset_is_refused_without_overwrite_and_replaced_with_it(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake.add_release(REPO, "v1.2.3", draft=True, assets={"demo-1.2.3.tar.gz": b"other bytes"})
    writes = len(_writes(fake))
    refused = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert refused.code == 1
    assert (
        "::error title=Release page failed::The release already has an asset 'demo-1.2.3.tar.gz' with different content."
        in refused.out
    )
    assert "--overwrite" in refused.out
    assert len(_writes(fake)) == writes  # nothing changed, not even the body
    replaced = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--overwrite", *DIST)
    assert replaced.code == 0, replaced.text
    [release] = fake.repo(REPO).releases
    assert [a.digest for a in release.assets if a.name == "demo-1.2.3.tar.gz"] == [
        _sha(b"sdist bytes")
    ]
    assert len(release.assets) == 3
    assert "| `demo-1.2.3.tar.gz` | replaced |" in replaced.summary


def test_assets_without_a_digest_are_compared_by_downloading(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake.null_digests = True
    assert _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST).code == 0
    assert all(a.digest is None for a in fake.repo(REPO).releases[0].assets)
    writes = len(_writes(fake))
    again = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert again.code == 0, again.text
    assert len(_writes(fake)) == writes
    assert sum(1 for _, path, _ in fake.requests if path.startswith("/api/_storage/")) == 3


def test_502_on_upload_is_retried_and_leftovers_cleaned(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake.fail_uploads = 3
    fake.fail_uploads_leave_starter = True
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--no-draft", *DIST)
    assert result.code == 0, result.text
    [release] = fake.repo(REPO).releases
    assert sorted((a.name, a.state) for a in release.assets) == [
        ("SHA256SUMS", "uploaded"), ("demo-1.2.3-py3-none-any.whl", "uploaded"),
        ("demo-1.2.3.tar.gz", "uploaded"),
    ]  # fmt: skip
    assert sum(1 for m, p, s in fake.requests if s == 502) == 3
    assert "502 Server Error" in result.err
    assert "retry 1 of 4" in result.err


def test_502_that_does_not_stop_fails_and_does_not_publish(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake.fail_uploads = 1000
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--no-draft", "dist/demo-1.2.3.tar.gz")
    assert result.code == 1
    assert (
        "::error title=Service unavailable::GitHub kept failing while uploading 'demo-1.2.3.tar.gz' (502 Server Error)."
        in result.out
    )
    [release] = fake.repo(REPO).releases
    assert release.draft
    assert release.assets == []


def test_milestone_without_v_closed_on_request(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = fake.repo(REPO)
    repo.milestones.clear()
    repo.add_milestone("1.2.2", "closed")
    repo.add_milestone("1.2.3")
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--close-milestone", *DIST)
    assert result.code == 0, result.text
    assert [(m.title, m.state) for m in repo.milestones] == [
        ("1.2.2", "closed"),
        ("1.2.3", "closed"),
    ]
    assert f"[1.2.3]({fake.url}/octo/demo/milestone/2?closed=1)" in (repo.releases[0].body or "")
    assert "Milestone [1.2.3]" in result.summary
    assert "closed." in result.summary


def test_no_milestone_is_a_warning(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake.repo(REPO).milestones.clear()
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--close-milestone", *DIST)
    assert result.code == 0, result.text
    assert (
        "::warning title=Release page::No milestone titled 1.2.3 (or v1.2.3) in octo/demo"
        in result.out
    )
    assert "Milestone" not in (fake.repo(REPO).releases[0].body or "")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("v2.0.0rc1", True), ("1.0a1", True), ("1.0b2", True), ("1.0.dev3", True),
     ("1.0", False), ("1.0.post1", False)],
)  # fmt: skip
def test_prerelease_from_the_version(tag: str, expected: bool) -> None:
    assert prerelease_of(version_from_tag(tag)) is expected


def test_prerelease_auto_and_forced(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert _run(fake, capsys, tmp_path, "--tag", "v2.0.0rc1").code == 0
    assert _run(fake, capsys, tmp_path, "--tag", "v1.2.3").code == 0
    by_tag = {r.tag_name: r for r in fake.repo(REPO).releases}
    assert by_tag["v2.0.0rc1"].prerelease
    assert not by_tag["v1.2.3"].prerelease
    assert by_tag["v2.0.0rc1"].body == "- Try the new engine.\n"
    assert _run(fake, capsys, tmp_path, "--tag", "v2.0.0rc1", "--prerelease", "false").code == 0
    assert not by_tag["v2.0.0rc1"].prerelease


def test_milestone_titles() -> None:
    v = version_from_tag("1.2.3")
    assert milestone_matches("v1.2.3", v)
    assert milestone_matches("1.2.3", v)
    assert not milestone_matches("1.2.4", v)
    assert not milestone_matches("Backlog", v)


def test_missing_asset_file_fails_before_any_request(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "dist/*", "multiple.intoto.jsonl")
    assert result.code == 1
    assert "::error title=Invalid input::multiple.intoto.jsonl: no such file." in result.out
    assert fake.requests == []


def test_missing_section_falls_back_to_githubs_generated_notes(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = fake.repo(REPO)
    repo.add_tag("v1.2.3")
    repo.add_tag("v3.0.0")
    result = _run(fake, capsys, tmp_path, "--tag", "v3.0.0", *DIST, GITHUB_SHA="a" * 40)
    assert result.code == 0, result.text
    assert (
        "::warning title=No release notes in the change log::CHANGES.md has no section for "
        "version 3.0.0; it has sections for 2.0.0rc1, 1.2.3. The release page uses GitHub's "
        "generated notes instead"
    ) in result.out
    [release] = repo.releases
    assert release.body == f"**Full Changelog**: {fake.url}/octo/demo/compare/v1.2.3...v3.0.0\n"
    assert fake.generated_notes == [{"tag_name": "v3.0.0", "target_commitish": "a" * 40}]
    assert "Notes generated by GitHub" in result.summary
    assert len(release.assets) == 3

    # A maintainer edits the draft's notes; the run that publishes it keeps them.
    release.body = "Hand-written notes."
    again = _run(fake, capsys, tmp_path, "--tag", "v3.0.0", "--no-draft", *DIST)
    assert again.code == 0, again.text
    assert release.body == "Hand-written notes."
    assert not release.draft
    assert len(fake.generated_notes) == 1


def test_no_change_log_at_all_falls_back_too(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (project / "CHANGES.md").unlink()
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert result.code == 0, result.text
    assert (
        "::warning title=No release notes in the change log::No change log found (looked for"
        in result.out
    )
    [release] = fake.repo(REPO).releases
    # The tag is not on GitHub yet and no commit was named: GitHub cannot generate notes.
    assert release.body.startswith("**Milestone:** [v1.2.3]")
    assert "GitHub could not generate notes for v1.2.3 (404 Not Found)" in result.out


def test_require_notes_fails_before_any_request(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = _run(fake, capsys, tmp_path, "--tag", "v3.0.0", "--require-notes", *DIST)
    assert result.code == 1
    assert (
        "::error title=Change log problem::CHANGES.md has no section for version 3.0.0; it has "
        "sections for 2.0.0rc1, 1.2.3."
    ) in result.out
    assert fake.requests == []
    (project / "CHANGES.md").unlink()
    missing = _run(fake, capsys, tmp_path, "--tag", "v3.0.0", "--require-notes", *DIST)
    assert missing.code == 1
    assert "No change log found (looked for CHANGES.rst," in missing.out
    assert "Pass --changelog PATH (the action's changelog input)" in missing.out
    assert fake.requests == []


def test_subjects_gate_holds_for_the_preview_too(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The gate is the stage's, not the command's: a preview of a swapped file is refused too."""
    from release_actions.hashing import format_sums, hash_files

    dists = sorted(p for p in (project / "dist").iterdir())
    (project / "subjects.txt").write_text(format_sums(hash_files(dists)))
    dists[0].write_bytes(dists[0].read_bytes() + b"swapped")
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--subjects", "subjects.txt",
                  "dist/*", token=None, on_runner=False)  # fmt: skip
    assert result.code == 1
    assert f"'{dists[0].name}' does not match its hashed subject" in result.err
    assert not (project / "release-page.md").exists()
    assert fake.requests == []


def test_generated_notes_need_write_access(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = _run(fake, capsys, tmp_path, "--tag", "v3.0.0", *DIST, token=READ_TOKEN)
    assert result.code == 1
    assert (
        "The token lacks the permission for generating the release notes in octo/demo "
        "(403 Resource not accessible by integration)."
    ) in result.out
    assert fake.repo(REPO).releases == []


def test_preview_says_where_generated_notes_go(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = _run(fake, capsys, tmp_path, "--tag", "v3.0.0", *DIST, token=None, on_runner=False)
    assert result.code == 0, result.text
    page = (project / "release-page.md").read_text()
    assert "GitHub's generated notes go here" in page
    assert fake.requests == []


def test_bad_and_read_only_tokens(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST, token="ghs_wrong")
    assert bad.code == 1
    assert (
        "::error title=Credentials refused::GitHub refused the token while reading the repository (401 Bad credentials)."
        in bad.out
    )
    read_only = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST, token=READ_TOKEN)
    assert read_only.code == 1
    assert (
        "::error title=Credentials refused::The token lacks the permission for creating the draft "
        "release in octo/demo (403 Resource not accessible by integration)."
    ) in read_only.out
    assert "permissions: contents: write" in read_only.out
    assert fake.repo(REPO).releases == []


def test_wrong_repository(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--repo", "octo/nope", *DIST)
    assert result.code == 1
    assert (
        "Repository octo/nope was not found while reading the repository (404), or the token cannot see it."
        in result.out
    )
    assert fake.repo(REPO).releases == []


def test_existing_draft_is_found_although_get_by_tag_hides_it(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    older = fake.add_release(REPO, "v1.2.3", draft=True, name="old title")
    newer = fake.add_release(REPO, "v1.2.3", draft=True)
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert result.code == 0, result.text
    assert result.outputs["id"] == str(older.id)
    assert older.name == "v1.2.3"
    assert len(older.assets) == 3
    assert newer.assets == []
    assert f"v1.2.3 has other draft releases ({newer.id}); this run used {older.id}." in result.out
    assert len(fake.repo(REPO).releases) == 2  # drafts this run did not make are left alone


def test_two_concurrent_processes_end_with_one_release(
    fake: FakeGitHub, project: Path, tmp_path: Path
) -> None:
    fake.create_barrier = threading.Barrier(2)  # both list before either creates
    env = {**os.environ, **_env(fake)}
    env.pop("GITHUB_ACTIONS", None)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "release_actions",
                "release-page",
                "--tag",
                "v1.2.3",
                "--no-draft",
                *DIST,
            ],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    [release] = fake.repo(REPO).releases
    assert not release.draft
    assert sorted(a.name for a in release.assets) == [
        "SHA256SUMS",
        "demo-1.2.3-py3-none-any.whl",
        "demo-1.2.3.tar.gz",
    ]
    assert sum(1 for m, p, s in fake.requests if m == "POST" and p.endswith("/releases")) == 2
    assert sum(1 for m, p, s in fake.requests if m == "DELETE") == 1
    logs = "".join(o + e for o, e in outs)
    assert "another run created release" in logs
    assert TOKEN not in logs


def test_without_a_token_the_page_is_written_to_a_file(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST, token=None, on_runner=False)
    assert result.code == 0, result.text
    page = (project / "release-page.md").read_text()
    assert page.startswith("# v1.2.3\n\nTag `v1.2.3` in octo/demo · draft")
    assert "- Add `shout()`." in page
    assert f"| `demo-1.2.3.tar.gz` | 11 | `{hashlib.sha256(b'sdist bytes').hexdigest()}` |" in page
    assert (
        "GITHUB_TOKEN is not set: wrote the release page for v1.2.3 to release-page.md"
        in result.err
    )
    assert fake.requests == []
    on_runner = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST, token=None)
    assert on_runner.code == 1
    assert "::error title=Credentials refused::GITHUB_TOKEN is not set" in on_runner.out


@pytest.mark.parametrize("requests_limited", [1, 3])
def test_secondary_rate_limit_is_waited_out(
    fake: FakeGitHub,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    requests_limited: int,
) -> None:
    fake.rate_limit_next = requests_limited
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert result.code == 0, result.text
    [release] = fake.repo(REPO).releases
    assert len(release.assets) == 3
    assert sum(1 for _, _, s in fake.requests if s == 403) == requests_limited


def test_a_long_rate_limit_fails_with_when_to_retry(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake.rate_limit_next = 100
    fake.rate_limit_retry_after = 3600
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert result.code == 1
    assert (
        "GitHub is rate-limiting this token while reading the repository, for another 3600 s"
        in result.text
    )
    assert "lacks the permission" not in result.text
    assert fake.repo(REPO).releases == []


def test_subjects_gate_refuses_a_swapped_distribution_before_any_request(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from release_actions.hashing import format_sums, hash_files

    dists = sorted(p for p in (project / "dist").iterdir())
    (project / "subjects.txt").write_text(format_sums(hash_files(dists)))
    (project / "SHA256SUMS").write_text(format_sums(hash_files(dists)))
    ok = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--subjects", "subjects.txt", *DIST)
    assert ok.code == 0, ok.text  # SHA256SUMS is not a subject: it must list them
    fake.requests.clear()
    dists[0].write_bytes(dists[0].read_bytes() + b"swapped")
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", "--subjects", "subjects.txt", *DIST)
    assert result.code == 1
    assert f"'{dists[0].name}' does not match its hashed subject" in result.text
    assert fake.requests == []


def test_requests_reuse_their_connections(
    fake: FakeGitHub, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every request runs under the deadline's connection classes, and connections are still
    kept alive between requests: one per client (the main thread's, one per upload worker)."""
    result = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)
    assert result.code == 0, result.text
    made = fake.connections
    assert len(fake.requests) >= 12
    assert made <= 1 + 3  # three files: at most three upload workers besides the main client
    again = _run(fake, capsys, tmp_path, "--tag", "v1.2.3", *DIST)  # reads only, one client
    assert again.code == 0, again.text
    assert fake.connections - made == 1
