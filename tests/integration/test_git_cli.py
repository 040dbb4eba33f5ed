"""What the commands read from a checkout through the git module: the origin on any GitHub
host, and the tag at HEAD, refused when it is ambiguous."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from support.act import git
from support.cli import run_cli


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout of a GitHub Enterprise repository, tagged, with a file to attest."""
    root = tmp_path / "work"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "demo-1.2.3.tar.gz").write_bytes(b"sdist bytes\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "release")
    git(root, "tag", "v1.2.3")
    git(root, "remote", "add", "origin", "ssh://git@ghe.example.com:2222/octo/demo.git/")
    monkeypatch.chdir(root)
    return root


def _workflow(path: Path) -> dict:
    """The source the provenance names: its workflow's repository, ref and path."""
    envelope = json.loads(path.read_text().splitlines()[0])
    statement = json.loads(base64.b64decode(envelope["payload"]))
    return statement["predicate"]["buildDefinition"]["externalParameters"]["workflow"]


def test_local_provenance_names_a_github_enterprise_origin(work: Path, capsys, tmp_path) -> None:
    """The provenance of a local build used to name no repository for a GitHub Enterprise
    origin (its parser knew only github.com)."""
    result = run_cli(["attest", "--signer", "none", "demo-1.2.3.tar.gz"], capsys, tmp_path,
                     on_runner=False)  # fmt: skip
    assert result.code == 0, result.text
    workflow = _workflow(work / "multiple.intoto.jsonl")
    assert workflow["repository"] == "https://ghe.example.com/octo/demo"
    assert workflow["ref"] == "refs/tags/v1.2.3"


def test_local_provenance_refuses_to_guess_among_several_tags(work: Path, capsys, tmp_path) -> None:
    """With two tags on HEAD the provenance used to name whichever 'git describe' chose."""
    git(work, "tag", "1.2.3")
    result = run_cli(["attest", "--signer", "none", "demo-1.2.3.tar.gz"], capsys, tmp_path,
                     on_runner=False)  # fmt: skip
    assert result.code == 1
    assert (
        "HEAD carries several tags (1.2.3, v1.2.3). Say which one is the release with --tag."
        in result.err
    )
    assert not (work / "multiple.intoto.jsonl").exists()
    chosen = run_cli(["attest", "--signer", "none", "--tag", "1.2.3", "demo-1.2.3.tar.gz"],
                     capsys, tmp_path, on_runner=False)  # fmt: skip
    assert chosen.code == 0, chosen.text
    assert _workflow(work / "multiple.intoto.jsonl")["ref"] == "refs/tags/1.2.3"
