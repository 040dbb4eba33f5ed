"""The real actions/publish, run by act, against a real pypiserver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from release_actions.build import build
from release_actions.hashing import encode_base64, hash_files
from support.act import run_workflow, workflow
from support.paths import PROJECTS
from support.pypiserver import pypiserver

pytestmark = [pytest.mark.act, pytest.mark.slow]

WORKFLOW = workflow(
    "publish",
    """
    - id: publish
      uses: octo/release-actions/actions/publish@v1
      with:
        repository-url: ${{ secrets.INDEX_URL }}
        subjects: ${{ secrets.SUBJECTS }}
        user: uploader
        password: ${{ secrets.INDEX_PASSWORD }}
    - id: again
      uses: octo/release-actions/actions/publish@v1
      with:
        repository-url: ${{ secrets.INDEX_URL }}
        user: uploader
        password: ${{ secrets.INDEX_PASSWORD }}
    """,
    outputs={"first": "steps.publish.outputs", "second": "steps.again.outputs"},
)


def test_publish_action_uploads_to_pypiserver_and_a_rerun_skips(tmp_path: Path) -> None:
    project = tmp_path / "project"
    result = build(PROJECTS / "flit_demo", project / "dist", clean=True)
    subjects = encode_base64(hash_files(result.artifacts))
    with pypiserver(tmp_path / "index") as server:
        run = run_workflow(
            tmp_path, {"release.yml": WORKFLOW}, project=project, tag="v1.2.3",
            secrets={"INDEX_URL": server.url, "SUBJECTS": subjects, "INDEX_PASSWORD": server.password},
        )  # fmt: skip
        assert run.returncode == 0, run.log[-6000:]
        outputs = run.outputs()
        names = ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]
        assert json.loads(outputs["first"]["uploaded"]) == names
        assert json.loads(outputs["second"]["skipped"]) == names
        assert json.loads(outputs["second"]["uploaded"]) == []
        assert server.files() == names
    assert server.password not in run.log
