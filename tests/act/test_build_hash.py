"""The real actions/build and actions/hash, run by nektos act on a tag push."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from support.act import run_workflow, workflow
from support.paths import PROJECTS

pytestmark = [pytest.mark.act, pytest.mark.slow]

PROJECT = PROJECTS / "flit_demo"

WORKFLOW = workflow(
    "build",
    """
    - id: build
      uses: octo/release-actions/actions/build@v1
      with:
        skip-checks: |
          bytecode: the test says why
    - id: hash
      uses: octo/release-actions/actions/hash@v1
      with:
        files: |
          dist/*
    """,
    # A hostile caller environment: none of it may reach the action's Python.
    env={"PYTHONPATH": "/nonexistent/shadow", "PIP_CONSTRAINT": "/nonexistent/constraints.txt",
         "UV_SYSTEM_PYTHON": "1"},
    outputs={"build": "steps.build.outputs", "hash": "steps.hash.outputs"},
    then='cp -R dist SHA256SUMS "$RA_TEST_ARTIFACTS/"',
)  # fmt: skip


def test_build_and_hash_actions_on_a_tag_push(tmp_path: Path) -> None:
    run = run_workflow(tmp_path, {"release.yml": WORKFLOW}, project=PROJECT, tag="v1.2.3")
    assert run.returncode == 0, run.log[-6000:]
    outputs = run.outputs()
    build, hashed = outputs["build"], outputs["hash"]
    assert build["name"] == "flit-demo"
    assert build["version"] == "1.2.3"
    assert build["dist-dir"] == "dist"
    assert sorted(json.loads(build["artifacts"])) == [
        "dist/flit_demo-1.2.3-py3-none-any.whl",
        "dist/flit_demo-1.2.3.tar.gz",
    ]
    assert build["artifact-id"]
    assert (
        "::notice title=Check skipped::The bytecode check is skipped: the test says why" in run.log
    )
    # the upload step handed the dists to the artifact store
    assert sorted(p.name for p in (run.artifacts / "dist").iterdir()) == [
        "flit_demo-1.2.3-py3-none-any.whl",
        "flit_demo-1.2.3.tar.gz",
    ]
    # subjects are the sha256sum lines of exactly those files
    lines = base64.b64decode(hashed["subjects"]).decode().splitlines()
    dist = run.artifacts / "dist"
    assert lines == [
        f"{hashlib.sha256((dist / n).read_bytes()).hexdigest()}  {n}"
        for n in sorted(p.name for p in dist.iterdir())
    ]
    assert hashed["sums-file"] == "SHA256SUMS"
    assert (run.artifacts / "SHA256SUMS").read_text().splitlines() == lines
    # job summaries: the build table with sizes and digests, then the hash table
    assert any("### Built flit-demo 1.2.3" in s for s in run.summaries)
    assert any("### SHA-256 of 2 file(s)" in s for s in run.summaries)
    # build made its runtime once; hash needed none (the base interpreter alone)
    assert run.log.count("release-actions: build environment ready") == 1
    assert run.log.count("environment ready") == 1


def test_tag_that_does_not_match_fails_the_build_step(tmp_path: Path) -> None:
    run = run_workflow(tmp_path, {"release.yml": WORKFLOW}, project=PROJECT, tag="v9.9.9")
    assert run.returncode != 0
    assert (
        "::error title=Version does not match the tag::The tag says version 9.9.9, "
        "but pyproject.toml says version 1.2.3." in run.log
    )
    assert any(
        s.startswith("### ❌ Version does not match the tag") and "How to fix" in s
        for s in run.summaries
    )
    assert not (run.artifacts / "dist").exists()
    assert "RA-OUTPUTS" not in run.log
