"""The real actions/audit, run by nektos act on a schedule-like push, against the fake index.

The fake serves the Simple API, which is all the audit reads from an index.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.act import run_workflow, workflow
from support.fake_index import FakeIndex
from support.paths import PROJECTS

pytestmark = [pytest.mark.act, pytest.mark.slow]

PROJECT = PROJECTS / "flit_demo"

TAGS_ONLY = workflow(
    "audit",
    """
    - id: audit
      uses: octo/release-actions/actions/audit@v1
      with:
        index-url: ${{ env.RA_TEST_INDEX }}
        skip: release milestone assets
        tags-from: git
        report-file: audit.json
        fail-on-broken: ${{ env.RA_TEST_FAIL }}
        since: ${{ env.RA_TEST_SINCE }}
    """,
    permissions={"contents": "read"},
    checkout={"fetch-depth": 0},
    outputs="steps.audit.outputs",
    then='if [ -f audit.json ]; then cp audit.json "$RA_TEST_ARTIFACTS/"; fi',
    always=True,
)


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    with FakeIndex() as fake:
        fake.add("flit-demo", "1.2.3", {"flit_demo-1.2.3.tar.gz": b"sdist"})
        fake.add("flit-demo", "1.0.0", {"flit_demo-1.0.0.tar.gz": b"old"})
        fake.add("flit-demo", "0.9.0", {"flit_demo-0.9.0.tar.gz": b"older"}, yanked=True)
        yield fake


def test_audit_action_reports_an_untagged_version(index: FakeIndex, tmp_path: Path) -> None:
    run = run_workflow(
        tmp_path,
        {"audit.yml": TAGS_ONLY},
        project=PROJECT,
        tag="v1.2.3",
        env={"RA_TEST_INDEX": index.url, "RA_TEST_FAIL": "false", "RA_TEST_SINCE": ""},
    )
    assert run.returncode == 0, run.log[-6000:]
    assert run.outputs() == {
        "broken": "1",
        "unreachable": "0",
        "versions": "3",
        "excluded": "0",
        "report-file": "audit.json",
    }
    report = json.loads((run.artifacts / "audit.json").read_text())
    assert report["project"] == "flit-demo"  # from the checkout's pyproject.toml
    assert report["repository"] == "octo/demo"
    assert report["tags_from"] == "git"
    assert [(v["version"], v["status"]) for v in report["versions"]] == [
        ("1.2.3", "ok"),
        ("1.0.0", "broken"),
        ("0.9.0", "yanked"),
    ]
    # fail-on-broken: false turns the annotations into warnings
    assert "::warning title=Release audit%3A 1.0.0 tag::no git tag '1.0.0' or 'v1.0.0'." in run.log
    assert any("Release audit of flit-demo" in s for s in run.summaries)


def test_audit_action_fails_the_step_when_a_promise_is_broken(
    index: FakeIndex, tmp_path: Path
) -> None:
    run = run_workflow(
        tmp_path,
        {"audit.yml": TAGS_ONLY},
        project=PROJECT,
        tag="v1.2.3",
        env={"RA_TEST_INDEX": index.url, "RA_TEST_FAIL": "true", "RA_TEST_SINCE": "1.0"},
    )
    assert run.returncode != 0
    assert "::error title=Release audit%3A 1.0.0 tag::no git tag '1.0.0' or 'v1.0.0'." in run.log
    assert run.outputs()["broken"] == "1"
    assert run.outputs()["excluded"] == "1"  # 0.9.0 is older than since: 1.0
