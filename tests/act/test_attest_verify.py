"""The real actions/attest and actions/verify, run by nektos act on a tag push."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from release_actions.signing import private_pem, public_pem
from support.act import run_workflow, workflow

pytestmark = [pytest.mark.act, pytest.mark.slow]

WORKFLOW = workflow(
    "provenance",
    """
    - id: hash
      uses: octo/release-actions/actions/hash@v1
    - id: attest
      uses: octo/release-actions/actions/attest@v1
      with:
        subjects: ${{ steps.hash.outputs.subjects }}
        signer: key
        signing-key: ${{ secrets.SIGNING_KEY }}
    - id: verify
      uses: octo/release-actions/actions/verify@v1
      with:
        artifacts: |
          dist/demo-1.2.3.tar.gz
          dist/demo-1.2.3-py3-none-any.whl
        provenance: ${{ steps.attest.outputs.provenance-path }}
        public-key: signing.pub
        source-tag: v1.2.3
    - id: tampered
      continue-on-error: true
      uses: octo/release-actions/actions/verify@v1
      with:
        artifacts: other/evil-1.2.3.tar.gz
        provenance: ${{ steps.attest.outputs.provenance-path }}
        public-key: signing.pub
    - id: keyless
      # No id-token permission: the action must say which permission to add.
      continue-on-error: true
      uses: octo/release-actions/actions/attest@v1
      with:
        files: dist/*
        output: keyless.intoto.jsonl
    """,
    outputs={"attest": "steps.attest.outputs", "verified": "steps.verify.outputs.verified",
             "tampered": "steps.tampered.outcome", "keyless": "steps.keyless.outcome"},
    then='cp multiple.intoto.jsonl "$RA_TEST_ARTIFACTS/"',
)  # fmt: skip


def test_attest_with_a_key_then_verify(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "dist").mkdir(parents=True)
    (project / "dist" / "demo-1.2.3.tar.gz").write_bytes(b"sdist")
    (project / "dist" / "demo-1.2.3-py3-none-any.whl").write_bytes(b"wheel")
    (project / "other").mkdir()
    (project / "other" / "evil-1.2.3.tar.gz").write_bytes(b"not built here")
    key = ed25519.Ed25519PrivateKey.generate()
    (project / "signing.pub").write_bytes(public_pem(key))
    pem = private_pem(key).decode()
    run = run_workflow(
        tmp_path, {"release.yml": WORKFLOW}, project=project, tag="v1.2.3",
        secrets={"SIGNING_KEY": pem},
    )  # fmt: skip
    assert run.returncode == 0, run.log[-6000:]
    outputs = run.outputs()
    assert outputs["attest"]["provenance-name"] == "multiple.intoto.jsonl"
    assert outputs["verified"] == "true"
    assert outputs["tampered"] == "failure"
    assert outputs["keyless"] == "failure"
    assert "lacks the 'id-token: write' permission" in run.log
    assert "no verified subject matches the digest of evil-1.2.3.tar.gz" in run.log
    body = "".join(pem.splitlines()[1:-1])
    assert body not in run.log.replace("\n", "")
    line = (run.artifacts / "multiple.intoto.jsonl").read_text().strip()
    statement = json.loads(base64.b64decode(json.loads(line)["payload"]))
    assert {s["name"] for s in statement["subject"]} == {
        "demo-1.2.3.tar.gz",
        "demo-1.2.3-py3-none-any.whl",
    }
    workflow = statement["predicate"]["buildDefinition"]["externalParameters"]["workflow"]
    assert workflow["ref"] == "refs/tags/v1.2.3"
    assert workflow["path"] == ".github/workflows/release.yml"
