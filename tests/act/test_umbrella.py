"""The umbrella action (action.yml at the root) run by act: build, hash and attest in one job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from release_actions.signing import private_pem, public_pem
from support.act import run_workflow, workflow
from support.cli import run_cli
from support.paths import PROJECTS

pytestmark = [pytest.mark.act, pytest.mark.slow]

PROJECT = PROJECTS / "flit_demo"

WORKFLOW = workflow(
    "prepare",
    """
    - id: prepare
      uses: octo/release-actions@v1
      with:
        attest: "true"
        signer: key
        signing-key: ${{ secrets.SIGNING_KEY }}
    """,
    outputs="steps.prepare.outputs",
)


def test_umbrella_prepares_a_release_in_one_job(tmp_path: Path, capsys) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    run = run_workflow(
        tmp_path, {"release.yml": WORKFLOW}, project=PROJECT, tag="v1.2.3",
        secrets={"SIGNING_KEY": private_pem(key).decode()},
    )  # fmt: skip
    assert run.returncode == 0, run.log[-6000:]
    outputs = run.outputs()
    assert (outputs["name"], outputs["version"]) == ("flit-demo", "1.2.3")
    assert outputs["provenance-name"] == "multiple.intoto.jsonl"
    assert len(json.loads(outputs["artifacts"])) == 2
    # One layout with actions/build: the distributions flat in "dist", the
    # hashes and provenance beside them in "dist-provenance".
    art, side = run.artifacts / "dist", run.artifacts / "dist-provenance"
    assert sorted(str(p.relative_to(art)) for p in art.rglob("*") if p.is_file()) == [
        "flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz",
    ]  # fmt: skip
    assert sorted(p.name for p in side.iterdir()) == ["SHA256SUMS", "multiple.intoto.jsonl"]
    # Two uploads, two IDs. (act hands both of the umbrella's outputs the
    # second upload's ID, as it merges the outputs of one nested action used
    # twice, so the IDs are read from what the upload stand-in recorded.)
    ids = {p.name: p.read_text() for p in (run.artifacts / ".ids").iterdir()}
    assert sorted(ids.values()) == ["dist", "dist-provenance"]
    assert outputs["provenance-artifact-id"] in ids
    (tmp_path / "key.pub").write_bytes(public_pem(key))
    dists = sorted(str(p) for p in art.iterdir())
    verified = run_cli(
        ["verify", *dists, "--provenance", str(side / "multiple.intoto.jsonl"), "--key", str(tmp_path / "key.pub"),
         "--source-uri", "github.com/octo/demo", "--source-tag", "v1.2.3"],
        capsys, tmp_path, on_runner=False,
    )  # fmt: skip
    assert verified.code == 0, verified.text


def test_umbrella_refuses_a_tag_that_is_not_the_version(tmp_path: Path) -> None:
    run = run_workflow(tmp_path, {"release.yml": WORKFLOW}, project=PROJECT, tag="v1.2.4")
    assert run.returncode != 0
    assert "1.2.4" in run.log
    assert not (run.artifacts / "dist").exists()
