"""Static checks over every action and workflow file of the suite."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.paths import ROOT

ACTIONS = sorted([ROOT / "action.yml", *ROOT.glob("actions/*/action.yml")], key=str)
ACTIONS = [p for p in ACTIONS if p.exists()]
WORKFLOWS = sorted([*ROOT.glob("workflows-templates/*.yml"), *ROOT.glob(".github/workflows/*.yml")])
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
OWN = re.compile(r"^[\w.-]+/release-actions(/actions/[\w-]+)?@v\d+$")


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.fail(f"{name} is not installed; install the test extra: pip install -e '.[test]'")
    return found


def _steps(doc: dict) -> list[dict]:
    if "runs" in doc:
        return list(doc["runs"].get("steps") or [])
    return [s for job in doc.get("jobs", {}).values() for s in (job.get("steps") or [])]


def test_there_are_actions_to_check() -> None:
    assert {p.parent.name for p in ACTIONS} >= {"build", "hash"}


@pytest.mark.parametrize("path", ACTIONS + WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_expressions_in_run_and_everything_pinned(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for step in _steps(doc):
        run = step.get("run")
        if run is not None:
            assert "${{" not in run, f"{path}: expression inside run: {run[:60]!r}"
            if "runs" in doc:
                assert step.get("shell") == "bash", (
                    f"{path}: composite run step without shell: bash"
                )
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert SHA_PIN.match(uses) or OWN.match(uses), f"{path}: {uses} is not pinned by SHA"
            if SHA_PIN.match(uses):
                line = next(line for line in path.read_text().splitlines() if uses in line)
                assert re.search(r"# v\d", line), f"{path}: {uses} has no '# vX.Y.Z' comment"


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_action_inputs_reach_code_only_through_env(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["runs"]["using"] == "composite"
    for step in _steps(doc):
        for value in (step.get("env") or {}).values():
            assert isinstance(value, str)
        if step.get("run"):
            for name in step.get("env") or {}:
                # TWINE_* are the names the publish command reads, as twine does.
                assert name.startswith(("RA_", "GITHUB_", "TWINE_")), (
                    f"{path}: env {name} not namespaced"
                )


def test_zizmor_pedantic_finds_nothing() -> None:
    files = [str(p) for p in ACTIONS + WORKFLOWS]
    proc = subprocess.run(
        [_tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress", "--config", str(ROOT / ".github" / "zizmor.yml"), *files],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr


def test_check_jsonschema_with_githubs_schemas() -> None:
    tool = _tool("check-jsonschema")
    proc = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-actions", *map(str, ACTIONS)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if WORKFLOWS:
        proc = subprocess.run(
            [tool, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bootstrap_and_actions_agree_on_the_setup_python_pin() -> None:
    pins = set()
    for path in ACTIONS:
        for step in _steps(yaml.safe_load(path.read_text())):
            if str(step.get("uses", "")).startswith("actions/setup-python@"):
                pins.add(step["uses"])
                assert step["with"]["update-environment"] is False
    assert len(pins) == 1


def test_action_readmes_are_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "action_readmes.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for action in ACTIONS:
        if action.parent != ROOT:
            assert (action.parent / "README.md").exists()


def test_actionlint_on_workflows() -> None:
    if not WORKFLOWS:
        pytest.fail("no workflows to lint")
    proc = subprocess.run(
        [_tool("actionlint"), "-no-color", *map(str, WORKFLOWS)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_githubs_own_parser_accepts_every_file() -> None:
    """npm @actions/workflow-parser: the parser GitHub's services and editors use."""
    js = ROOT / "tests" / "js"
    if not (js / "node_modules" / "@actions" / "workflow-parser").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed for GitHub's workflow parser (install Node.js)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=js, check=True, capture_output=True
        )
    node = shutil.which("node")
    assert node, "node is needed for GitHub's workflow parser"
    files = [str(p) for p in ACTIONS + WORKFLOWS]
    proc = subprocess.run(
        [node, "--import", "./json-imports.mjs", "parse.mjs", *files],
        cwd=js, capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(report) == set(files)
    assert all(errors == [] for errors in report.values()), report
    assert proc.returncode == 0
