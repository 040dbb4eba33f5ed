"""The bad-input catalogue: every case gets one clear message, a non-zero exit, and leaves
nothing behind (no release file, output or index entry written).

docs/bad-inputs.md lists the same cases; a test keeps the two in step. Cases about
keys, credentials and indexes live beside their commands (test_attest_verify.py,
test_publish.py) and are listed in the docs too.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.cli import run_cli
from support.paths import PROJECTS, ROOT
from support.platform import FIFOS, NO_FIFOS, NO_SYMLINKS, SYMLINKS

A_SUM = "a" * 64


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    args: list[str]
    message: str
    code: int = 1
    setup: Callable[[Path], None] = lambda _w: None
    leaves: str = ""  # a folder the command may leave, with an account of what failed


def _write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def setup(work: Path) -> None:
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    return setup


def _project(name: str = "flit_demo") -> Callable[[Path], None]:
    return lambda work: shutil.copytree(PROJECTS / name, work / "p")


def _both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(work: Path) -> None:
        for step in steps:
            step(work)

    return setup


def _symlink_out(work: Path) -> None:
    if not SYMLINKS:
        pytest.skip(NO_SYMLINKS)
    (work / "dist").mkdir()
    (work / "secret.txt").write_text("outside")
    (work / "dist" / "demo-1.0.tar.gz").symlink_to(work / "secret.txt")


def _fifo(work: Path) -> None:
    if not FIFOS:
        pytest.skip(NO_FIFOS)
    (work / "dist").mkdir()
    os.mkfifo(work / "dist" / "demo-1.0.tar.gz")


STATEMENT = base64.b64encode(
    json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": []}).encode()
).decode()

CASES = [
    # -- tags and versions
    Case(
        "tag-not-the-version",
        "tags and versions",
        ["build", "p", "--tag", "v1.2.4"],
        "1.2.4",
        setup=_project(),
    ),
    Case(
        "tag-not-a-version",
        "tags and versions",
        ["build", "p", "--tag", "release-candidate"],
        "release-candidate",
        setup=_project(),
    ),
    Case(
        "tag-empty",
        "tags and versions",
        ["build", "p", "--tag", ""],
        "'' is not a release tag",
        setup=_project(),
    ),
    Case(
        "tag-with-newline",
        "tags and versions",
        ["build", "p", "--tag", "v1.2.3\n::error::forged"],
        "is not",
        setup=_project(),
    ),
    Case(
        "notes-version-not-pep440",
        "tags and versions",
        ["notes", "--version", "one.two", "p/CHANGES.md"],
        "one.two",
        setup=_project(),
    ),
    Case(
        "run-tag-mismatch",
        "tags and versions",
        ["run", "p", "--tag", "v9.0.0", "--out-dir", "rehearsal"],
        "9.0.0",
        setup=_project(),
        leaves="rehearsal",
    ),
    # -- projects and paths
    Case("project-missing", "paths", ["build", "nowhere"], "does not exist"),
    Case("project-is-a-file", "paths", ["build", "f.txt"], "is a file", setup=_write("f.txt", "x")),
    Case(
        "project-without-pyproject",
        "paths",
        ["build", "empty"],
        "has no pyproject.toml or setup.py",
        setup=lambda w: (w / "empty").mkdir(),
    ),
    Case(
        "glob-matches-nothing",
        "paths",
        ["hash", "dist/*.whl"],
        "matches no files",
        setup=lambda w: (w / "dist").mkdir(),
    ),
    Case("file-missing", "paths", ["hash", "dist/gone.whl"], "no such file"),
    Case(
        "symlink-outside-dist",
        "paths",
        ["hash", "dist/demo-1.0.tar.gz"],
        "is a symbolic link",
        setup=_symlink_out,
    ),
    Case(
        "fifo-not-a-file",
        "paths",
        ["hash", "dist/demo-1.0.tar.gz"],
        "is not a regular file",
        setup=_fifo,
    ),
    Case("empty-path", "paths", ["hash", ""], "An empty path was given"),
    Case(
        "dotdot-subject-name",
        "paths",
        ["attest", "--signer", "none", "--subjects", "s.txt"],
        "is not a plain file name",
        setup=_write("s.txt", f"{A_SUM}  ../../etc/passwd\n"),
    ),
    Case(
        "input-that-looks-like-a-flag",
        "paths",
        ["hash", "--", "--version"],
        "--version: no such file",
    ),
    Case(
        "unicode-and-spaces-in-missing-path",
        "paths",
        ["hash", "dist/dé mo 1.0.tar.gz"],
        "dé mo 1.0.tar.gz: no such file",
    ),
    # -- distributions
    Case(
        "empty-file-as-wheel",
        "distributions",
        ["publish", "--repository-url", "http://127.0.0.1:9/", "dist/demo-1.0-py3-none-any.whl"],
        "cannot be read",
        setup=_write("dist/demo-1.0-py3-none-any.whl", b""),
    ),
    Case(
        "renamed-wheel",
        "distributions",
        ["publish", "--repository-url", "http://127.0.0.1:9/", "dist/x.whl"],
        "file name is not valid",
        setup=_write("dist/x.whl", b"PK\x05\x06" + b"\0" * 18),
    ),
    Case(
        "not-a-distribution",
        "distributions",
        ["publish", "--repository-url", "http://127.0.0.1:9/", "dist/notes.txt"],
        "notes.txt",
        setup=_write("dist/notes.txt", "hello"),
    ),
    # -- change logs
    Case(
        "changelog-not-utf8",
        "change logs",
        ["notes", "--version", "1.0", "CHANGES.md"],
        "CHANGES.md",
        setup=_write("CHANGES.md", b"## 1.0\n\n- caf\xe9\n"),
    ),
    Case("changelog-missing", "change logs", ["notes", "--version", "1.0"], "No change log"),
    Case(
        "changelog-no-section",
        "change logs",
        ["notes", "--version", "2.0", "CHANGES.md"],
        "has no section for version 2.0",
        setup=_write("CHANGES.md", "# Changes\n\n## 1.0 - 2026-01-01\n\n- First.\n"),
    ),
    Case(
        "changelog-unreleased-required",
        "change logs",
        ["notes", "--version", "1.0", "--require-released", "CHANGES.md"],
        "still marked unreleased",
        setup=_write("CHANGES.md", "# Changes\n\n## 1.0 - Unreleased\n\n- Soon.\n"),
    ),
    Case(
        "changelog-is-a-directory",
        "change logs",
        ["notes", "--version", "1.0", "CHANGES.md"],
        "CHANGES.md",
        setup=lambda w: (w / "CHANGES.md").mkdir(),
    ),
    Case(
        "changelog-required-but-no-section",
        "change logs",
        ["release-page", "--tag", "v2.0", "--require-notes", "--repo", "octo/demo"],
        "CHANGES.md has no section for version 2.0",
        setup=_write("CHANGES.md", "# Changes\n\n## 1.0 - 2026-01-01\n\n- First.\n"),
    ),
    Case(
        "run-changelog-missing",
        "change logs",
        ["run", ".", "--tag", "v1.0", "--changelog", "NOPE.md"],
        "--changelog NOPE.md: no such file.",
        setup=_write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.0"\n'),
    ),
    # -- build checks
    Case(
        "skip-check-unknown",
        "build checks",
        ["build", "--skip-check", "speed: too slow"],
        "There is no check named 'speed' to skip.",
        code=2,
    ),
    Case(
        "skip-check-pypi-enforces",
        "build checks",
        ["build", "--skip-check", "metadata: later"],
        "The 'metadata' check (valid core metadata",
        code=2,
    ),
    Case(
        "skip-check-without-a-reason",
        "build checks",
        ["build", "--skip-check", "package-inside"],
        "Skipping the 'package-inside' check needs a reason",
        code=2,
    ),
    # -- SHA256SUMS and base64 subjects
    Case(
        "sums-short-digest",
        "subjects",
        ["attest", "--signer", "none", "--subjects", "s.txt"],
        "neither sha256sum lines nor their base64",
        setup=_write("s.txt", "abc123  demo-1.0.tar.gz\n"),
    ),
    Case(
        "sums-no-name",
        "subjects",
        ["attest", "--signer", "none", "--subjects", "s.txt"],
        "neither sha256sum lines nor their base64",
        setup=_write("s.txt", A_SUM + "\n"),
    ),
    Case(
        "sums-duplicate-name",
        "subjects",
        ["attest", "--signer", "none", "--subjects", "s.txt"],
        "listed twice with different digests",
        setup=_write("s.txt", f"{A_SUM}  demo.whl\n{'b' * 64}  demo.whl\n"),
    ),
    Case(
        "sums-empty",
        "subjects",
        ["attest", "--signer", "none", "--subjects", "s.txt"],
        "lists no files",
        setup=_write("s.txt", ""),
    ),
    Case(
        "subjects-bad-base64",
        "subjects",
        ["attest", "--signer", "none", "--subjects", "s.txt"],
        "neither sha256sum lines nor their base64",
        setup=_write("s.txt", "!!!not base64!!!"),
    ),
    Case(
        "subjects-base64-of-binary",
        "subjects",
        ["attest", "--signer", "none", "--subjects", "s.txt"],
        "neither sha256sum lines nor their base64",
        setup=_write("s.txt", base64.b64encode(b"\xff\xfe\x00garbage").decode()),
    ),
    Case(
        "subjects-newline-in-name",
        "subjects",
        ["attest", "--signer", "none", "--subjects", "s.txt"],
        "not a sha256sum line",
        setup=_write("s.txt", f"{A_SUM}  demo.whl\n::set-output name=x::y\n"),
    ),
    # -- provenance files
    Case(
        "provenance-truncated",
        "provenance",
        ["verify", "sha256:" + A_SUM, "--provenance", "p.jsonl"],
        "not JSON",
        setup=_write("p.jsonl", '{"payloadType": "application/vnd.in-toto+json", "payl'),
    ),
    Case(
        "provenance-not-json",
        "provenance",
        ["verify", "sha256:" + A_SUM, "--provenance", "p.jsonl"],
        "not JSON",
        setup=_write("p.jsonl", "this is not provenance\n"),
    ),
    Case(
        "provenance-unknown-type",
        "provenance",
        ["verify", "sha256:" + A_SUM, "--provenance", "p.jsonl"],
        "unsupported format: not a Sigstore bundle, DSSE envelope",
        code=2,
        setup=_write("p.jsonl", '{"kind": "something else"}\n'),
    ),
    Case(
        "provenance-extra-garbage-line",
        "provenance",
        ["verify", "sha256:" + A_SUM, "--provenance", "p.jsonl", "--allow-unsigned"],
        "line 2: not JSON",
        setup=_write(
            "p.jsonl",
            json.dumps(
                {
                    "payload": STATEMENT,
                    "payloadType": "application/vnd.in-toto+json",
                    "signatures": [],
                }
            )
            + "\ngarbage\n",
        ),
    ),
    Case(
        "provenance-empty",
        "provenance",
        ["verify", "sha256:" + A_SUM, "--provenance", "p.jsonl"],
        "is empty",
        setup=_write("p.jsonl", ""),
    ),
    Case(
        "provenance-missing",
        "provenance",
        ["verify", "sha256:" + A_SUM, "--provenance", "p.jsonl"],
        "cannot be read",
    ),
    Case(
        "provenance-no-subjects",
        "provenance",
        ["verify", "sha256:" + A_SUM, "--provenance", "p.jsonl", "--allow-unsigned"],
        "the Statement has no subjects",
        setup=_write(
            "p.jsonl",
            json.dumps(
                {
                    "payload": STATEMENT,
                    "payloadType": "application/vnd.in-toto+json",
                    "signatures": [],
                }
            ),
        ),
    ),
    Case(
        "artifact-digest-malformed",
        "provenance",
        ["verify", "sha256:xyz", "--provenance", "p.jsonl"],
        "is not a sha256 digest",
        code=2,
    ),
    # -- repository names and options
    Case(
        "repo-not-owner-slash-repo",
        "repository names",
        ["notes", "--version", "1.0", "--repo", "just-a-name", "CHANGES.md"],
        "is not OWNER/REPO",
        code=2,
        setup=_write("CHANGES.md", "## 1.0\n\n- x\n"),
    ),
    Case(
        "repo-three-parts",
        "repository names",
        ["notes", "--version", "1.0", "--repo", "a/b/c", "CHANGES.md"],
        "is not OWNER/REPO",
        code=2,
        setup=_write("CHANGES.md", "## 1.0\n\n- x\n"),
    ),
    Case(
        "repo-with-newline",
        "repository names",
        ["notes", "--version", "1.0", "--repo", "a/b\nc=d", "CHANGES.md"],
        "is not OWNER/REPO",
        code=2,
        setup=_write("CHANGES.md", "## 1.0\n\n- x\n"),
    ),
    Case("unknown-signer", "options", ["attest", "--signer", "gpg"], "invalid choice", code=2),
    Case("unknown-command", "options", ["deploy"], "invalid choice", code=2),
    Case(
        "both-files-and-subjects",
        "options",
        ["attest", "x", "--subjects", "y"],
        "either FILES or --subjects",
        code=2,
    ),
    Case(
        "publish-nothing",
        "options",
        ["publish", "--repository-url", "http://127.0.0.1:9/"],
        "'dist/*' matches no files",
    ),
]


def _snapshot(work: Path) -> dict[str, bytes]:
    return {str(p.relative_to(work)): (p.read_bytes() if p.is_file() and not p.is_symlink() else b"")
            for p in work.rglob("*") if not p.is_fifo()}  # fmt: skip


def test_the_catalogue_has_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_docs_list_every_case() -> None:
    doc = (ROOT / "docs" / "bad-inputs.md").read_text()
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", doc, re.M))
    assert {c.id for c in CASES} <= listed


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    case.setup(work)
    monkeypatch.chdir(work)
    before = _snapshot(work)
    result = run_cli(case.args, capsys, tmp_path, env={"GITHUB_REPOSITORY": "octo/demo"})
    assert result.code == case.code, result.text
    assert case.message in result.text
    # One annotation naming the cause (and no forged one from the input).
    errors = [line for line in result.out.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, result.out
    assert "\n::error::forged" not in result.out
    # Nothing written; a failed step sets no output but verify's own verdict.
    after = _snapshot(work)
    if case.leaves:
        left = {k for k in after if k == case.leaves or k.startswith(case.leaves + "/")}
        assert f"{case.leaves}/README.md" in left  # the account of what failed where
        assert not any(k.endswith((".whl", ".tar.gz")) for k in left)
        after = {k: v for k, v in after.items() if k not in left}
    assert after == before
    assert result.outputs in (
        {},
        {"verified": "false", "outcome": "failed"},
        {"verified": "false", "outcome": "unsupported"},
    )
