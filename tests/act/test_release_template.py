"""python-release.yml, the starter template, run end to end by act on a tag push.

Build → provenance → draft release page (the GitHub API fake) → publish (a real
pypiserver). Two services cannot run here, so the copy under test changes two
things, and nothing else: the provenance is signed with a key (the template's
documented alternative to keyless Sigstore signing, which needs the internet),
and publish sends an index password to pypiserver instead of exchanging an OIDC
token with PyPI (Trusted Publishing is tested against the PyPI fake in
test_publish.py).

The repository is private and every job gets the token GitHub would mint from
its ``permissions:`` block: checkout fetches the commit from the API fake with
it, which answers 404 to a token without contents permission, as GitHub does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519

from release_actions.signing import private_pem, public_pem
from support.act import git, job_contents_permissions, run_workflow, suite_snapshot
from support.cli import run_cli
from support.fake_github import FakeGitHub
from support.paths import PROJECTS, ROOT
from support.pypiserver import PyPIServer, pypiserver

pytestmark = [pytest.mark.act, pytest.mark.slow]

PROJECT = PROJECTS / "flit_demo"
TOKEN = "ghs_release_template_token_0123456789"
NAMES = ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]


def _template_for_this_machine(text: str | None = None) -> str:
    doc = yaml.safe_load(text or (ROOT / "workflows-templates" / "python-release.yml").read_text())
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
    with FakeGitHub({TOKEN: "write"}) as github, pypiserver(tmp_path / "index") as index:
        repo = github.add_repo("octo/demo", private=True)
        repo.add_milestone("1.2.3")
        repo.source = tmp_path / "ws"  # the workspace run_workflow makes: what checkout fetches
        yield github, index


def job_tokens(github: FakeGitHub, workflow: str) -> dict[str, str]:
    """One token per job, with the contents permission its permissions: block grants."""
    tokens = {}
    for job, level in job_contents_permissions(workflow).items():
        tokens[job] = f"ghs_{job.replace('-', '_')}_job_token_0123456789"
        github.tokens[tokens[job]] = level
    return tokens


def _run(
    tmp_path: Path,
    services: tuple[FakeGitHub, PyPIServer],
    tag: str,
    key: ed25519.Ed25519PrivateKey,
    *,
    workflow: str | None = None,
    job: str | None = None,
    project: Path | None = None,
    extra_repos: dict[str, Path] | None = None,
):
    github, index = services
    if project is None:
        project = tmp_path / "project"
        shutil.copytree(PROJECT, project)
    (project / "signing.pub").write_bytes(public_pem(key))
    workflow = workflow or _template_for_this_machine()
    return run_workflow(
        tmp_path, {"release.yml": workflow}, project=project, tag=tag, job=job, extra_repos=extra_repos,
        job_tokens=job_tokens(github, workflow),
        env={"GITHUB_API_URL": github.api_url, "RA_GITHUB_WRITE_INTERVAL": "0"},
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
    # Every job that checked out fetched the private repository with its own token.
    fetched = [(m, path, status) for m, path, status in github.requests if "/tarball/" in path]
    assert len(fetched) == 2
    assert all(status == 302 for _, _, status in fetched)
    assert not any(token in run.log for token in github.tokens)


def test_a_job_without_contents_permission_cannot_check_out_a_private_repository(
    tmp_path: Path, services
) -> None:
    """What the template looked like before: a build job with ``permissions: {}``."""
    github, index = services
    text = (ROOT / "workflows-templates" / "python-release.yml").read_text()
    old = text.replace(
        "    permissions:\n      contents: read # check out the code (a private repository hides itself from a token without it)\n",
        "    permissions: {}\n", 1,
    )  # fmt: skip
    assert old != text
    run = _run(tmp_path, services, "v1.2.3", ed25519.Ed25519PrivateKey.generate(),
               workflow=_template_for_this_machine(old), job="build")  # fmt: skip
    assert run.returncode != 0
    assert "Repository 'octo/demo' (404 Not Found)" in run.log
    assert "needs 'contents: read'" in run.log
    assert [s for m, path, s in github.requests if "/tarball/" in path] == [404]
    assert not (run.artifacts / "dist").exists()
    assert index.files() == []


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


def test_a_single_file_release_with_the_change_log_under_docs_as_init_writes_it(
    tmp_path: Path, services, capsys
) -> None:
    """A wheel-only release (the maintainer's ``dists: wheel``) of a project keeping
    its change log in docs/, with the workflow ``release-actions init`` wrote:
    verify reads the one provenance name, the release page finds the notes."""
    github, index = services
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "docs").mkdir()
    (project / "CHANGES.md").rename(project / "docs" / "CHANGES.md")
    scratch = tmp_path / "scratch"
    shutil.copytree(project, scratch)
    git(scratch, "init", "-q", "-b", "main")
    git(scratch, "remote", "add", "origin", "https://github.com/octo/demo.git")
    sha = "5" * 40
    init = run_cli(["init", str(scratch), "--actions", f"octo/release-actions@{sha}"], capsys, tmp_path,
                   on_runner=False)  # fmt: skip
    assert init.code == 0, init.text
    written = (scratch / ".github" / "workflows" / "release.yml").read_text()
    doc = yaml.safe_load(written)
    build = next(s for s in doc["jobs"]["build"]["steps"] if "/actions/build@" in s.get("uses", ""))
    build["with"]["dists"] = "wheel"
    workflow = _template_for_this_machine(
        yaml.safe_dump({("on" if k is True else k): v for k, v in doc.items()})
    )
    run = _run(tmp_path, services, "v1.2.3", ed25519.Ed25519PrivateKey.generate(), workflow=workflow,
               job="release-page", project=project, extra_repos={f"octo/release-actions@{sha}": suite_snapshot()})  # fmt: skip
    assert run.returncode == 0, run.log[-8000:]
    [release] = github.repo("octo/demo").releases
    assert sorted(a.name for a in release.assets) == [
        "SHA256SUMS", "flit_demo-1.2.3-py3-none-any.whl", "multiple.intoto.jsonl"
    ]  # fmt: skip
    assert release.body is not None
    assert "Fix the greeting for empty names" in release.body
    assert index.files() == []  # publish was not part of this run


def test_without_a_change_log_the_release_page_uses_githubs_notes(tmp_path: Path, services) -> None:
    """The template as copied on a project that keeps no change log: the release goes on."""
    github, _ = services
    github.repo("octo/demo").add_tag("v1.2.2")
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "CHANGES.md").unlink()
    run = _run(tmp_path, services, "v1.2.3", ed25519.Ed25519PrivateKey.generate(),
               job="release-page", project=project)  # fmt: skip
    assert run.returncode == 0, run.log[-8000:]
    assert "::warning title=No release notes in the change log::No change log found" in run.log
    [release] = github.repo("octo/demo").releases
    assert release.draft
    assert release.body is not None
    assert "**Full Changelog**" in release.body
    assert "/compare/v1.2.2...v1.2.3" in release.body
    assert sorted(a.name for a in release.assets) == ["SHA256SUMS", *NAMES, "multiple.intoto.jsonl"]
