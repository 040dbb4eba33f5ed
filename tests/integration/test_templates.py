"""The starter workflow templates: their shape, and the check template run for real by act."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.paths import PROJECTS, ROOT

TEMPLATES = sorted((ROOT / "workflows-templates").glob("*.yml"))
PROJECT = PROJECTS / "flit_demo"


def test_the_three_templates_exist() -> None:
    assert [p.name for p in TEMPLATES] == [
        "python-release-check.yml", "python-release-matrix.yml", "python-release.yml"
    ]  # fmt: skip


# The rules of GitHub's starter-workflow validator (actions/starter-workflows,
# script/validate-data and script/validate-categories): required fields and
# their types, a non-empty unique name, an icon that exists, categories that
# are known, the first one being the kind of workflow ("Deployment" for the
# release templates, "Continuous integration" for the check), and a creator
# for deployment workflows. "Python" is a Linguist language name.
KINDS = {"Deployment", "Continuous integration", "Automation", "Code Scanning", "Dependency review"}
KNOWN_CATEGORIES = KINDS | {"Python"}
FIRST_CATEGORY = {
    "python-release.yml": "Deployment",
    "python-release-matrix.yml": "Deployment",
    "python-release-check.yml": "Continuous integration",
}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_properties_pass_githubs_starter_workflow_rules(path: Path) -> None:
    props = json.loads(path.with_suffix(".properties.json").read_text())
    assert set(props) <= {
        "name",
        "description",
        "creator",
        "iconName",
        "categories",
        "filePatterns",
    }
    for required in ("name", "description", "iconName", "categories"):
        assert required in props, required
    assert isinstance(props["name"], str)
    assert props["name"].strip()
    assert isinstance(props["description"], str)
    assert len(props["description"]) <= 300
    icon = props["iconName"]
    if icon.startswith("octicon "):
        assert icon.split(None, 1)[1].split(".")[0]
    else:  # an SVG shipped beside the templates, named without its extension
        svg = path.parent / f"{icon}.svg"
        assert svg.is_file(), f"{icon}.svg must sit beside the template"
        assert svg.read_text().lstrip().startswith("<svg")
    categories = props["categories"]
    assert isinstance(categories, list)
    assert categories
    assert all(isinstance(c, str) for c in categories)
    assert categories[0] == FIRST_CATEGORY[path.name]
    assert set(categories) <= KNOWN_CATEGORIES
    if categories[0] == "Deployment":
        assert isinstance(props.get("creator"), str)
        assert props["creator"]
    assert "pyproject.toml$" in props["filePatterns"]
    for pattern in props["filePatterns"]:
        re.compile(pattern)


def test_template_names_are_unique() -> None:
    names = [json.loads(p.with_suffix(".properties.json").read_text())["name"] for p in TEMPLATES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_first_line_says_what_to_replace(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first.startswith('# Replace each "release-actions/release-actions')
    assert "40-hex commit SHA" in first
    assert "release-actions init" in first
    if "$default-branch" in path.read_text():
        assert "$default-branch" in first


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_hardened_shape(path: Path) -> None:
    text = path.read_text()
    doc = yaml.safe_load(text)
    assert doc["permissions"] == {}, "no default token permissions at the top"
    assert "group" in doc["concurrency"]
    for name, job in doc["jobs"].items():
        assert "timeout-minutes" in job, name
        assert "permissions" in job, f"{name}: every job states its permissions"
        granted = {k: v for k, v in job["permissions"].items()} if job["permissions"] else {}
        for scope in granted:
            # A commented grant: the line that grants it says why.
            line = next(line for line in text.splitlines() if line.strip().startswith(f"{scope}:"))
            assert "#" in line, f"{name}: grant of {scope} has no comment"
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
                # Private and internal repositories answer "Repository not
                # found" to a token without contents permission.
                assert job["permissions"].get("contents") in ("read", "write"), name
            if step.get("uses", "").startswith("actions/upload-artifact@"):
                assert step["with"]["retention-days"] == 30, name


def test_release_template_separates_the_permissions() -> None:
    doc = yaml.safe_load((ROOT / "workflows-templates" / "python-release.yml").read_text())
    jobs = doc["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["provenance"]["permissions"] == {"id-token": "write"}
    assert jobs["release-page"]["permissions"] == {"contents": "write"}
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert jobs["publish"]["environment"]["name"] == "pypi"
    assert set(jobs["publish"]["needs"]) == {"build", "provenance"}
    # The page is published only once PyPI has the files and the draft is complete.
    assert set(jobs["finalize"]["needs"]) == {"publish", "release-page"}
    assert jobs["finalize"]["if"] == "vars.PUBLISH_RELEASE_PAGE == 'true'"


def _jobs_in_sequence(jobs: dict[str, dict[str, object]], name: str) -> int:
    """How many jobs run one after another up to and including ``name`` (the longest chain)."""
    needs = jobs[name].get("needs") or []
    needs = [needs] if isinstance(needs, str) else needs
    return 1 + max((_jobs_in_sequence(jobs, n) for n in needs), default=0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "builder"),
    [
        (ROOT / "workflows-templates" / "python-release.yml", "build"),
        (ROOT / "workflows-templates" / "python-release-matrix.yml", "sdist"),
        (ROOT / ".github" / "workflows" / "release.yml", "build"),
    ],
    ids=["python-release.yml", "python-release-matrix.yml", "release.yml"],
)
def test_pypi_has_the_files_after_three_jobs_with_the_notes_checked_first(
    path: Path, builder: str
) -> None:
    """build → provenance → publish: the release page drafts beside publish, not before it."""
    jobs = yaml.safe_load(path.read_text())["jobs"]
    assert _jobs_in_sequence(jobs, "publish") == 3
    assert "provenance" in jobs["publish"]["needs"]  # publish still follows the signature
    assert "provenance" in jobs["release-page"]["needs"]
    build = next(s for s in jobs[builder]["steps"] if "actions/build" in s.get("uses", ""))
    assert build["with"]["check-notes"] is True  # the release page's notes, checked in the build


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_jobs_pass_files_by_artifact_id_and_read_one_provenance_name(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    for name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/download-artifact@"):
                given = set(step["with"]) & {"artifact-ids", "pattern", "name"}
                # By ID where one job made the artifact; a matrix's wheels by a pattern.
                assert given in ({"artifact-ids"}, {"pattern"}), (name, given)
            for value in (step.get("with") or {}).values():
                if isinstance(value, str) and ".intoto.jsonl" in value:
                    assert re.findall(r"[\w.-]*\.intoto\.jsonl", value) == ["multiple.intoto.jsonl"]


def test_matrix_template_merges_only_its_own_distributions() -> None:
    doc = yaml.safe_load((ROOT / "workflows-templates" / "python-release-matrix.yml").read_text())
    jobs = doc["jobs"]
    legs = jobs["wheels"]["strategy"]["matrix"]["include"]
    # cibuildwheel's own example: Linux x86_64/aarch64, macOS x86_64/arm64, Windows x86_64/ARM64.
    assert {leg["runs-on"] for leg in legs} >= {
        "ubuntu-latest", "ubuntu-24.04-arm", "macos-15-intel", "macos-latest", "windows-latest",
        "windows-11-arm",
    }  # fmt: skip
    assert len({leg["os"] for leg in legs}) == len(legs)
    upload = next(s for s in jobs["wheels"]["steps"] if "upload-artifact@" in s.get("uses", ""))
    assert "${{ matrix.os }}" in upload["with"]["name"]
    assert "${{ strategy.job-index }}" in upload["with"]["name"]
    sdist = next(s for s in jobs["sdist"]["steps"] if "/actions/build@" in s.get("uses", ""))
    dists = [upload["with"]["name"], sdist["with"]["artifact-name"]]
    sums = [
        s["with"]["name"]
        for job in ("wheels", "sdist")
        for s in jobs[job]["steps"]
        if "upload-artifact@" in s.get("uses", "") and s["with"]["name"] not in dists
    ]
    assert len(sums) == 2  # one hash list from each kind of build job

    def downloads(job: str) -> list[dict[str, object]]:
        return [s["with"] for s in jobs[job]["steps"] if "download-artifact@" in s.get("uses", "")]

    def matched(pattern: str, names: list[str]) -> list[str]:
        return [n for n in names if fnmatch.fnmatch(n.split("${{")[0] + "x", pattern)]

    # The provenance job gets the hash lists only, never a distribution.
    [lists] = downloads("provenance")
    assert matched(str(lists["pattern"]), sums) == sums
    assert matched(str(lists["pattern"]), dists) == []
    assert lists["merge-multiple"] is True
    # Release page and publish merge exactly the distributions: no hash list, no provenance.
    for job in ("release-page", "publish"):
        [files] = [d for d in downloads(job) if "pattern" in d]
        assert matched(str(files["pattern"]), dists) == dists
        assert matched(str(files["pattern"]), [*sums, "provenance"]) == []
        assert files["merge-multiple"] is True


def test_pins_are_the_same_everywhere_and_dependabot_reads_the_manifest() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_pins.py"), "--check"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dependabot = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    [actions] = [u for u in dependabot["updates"] if u["package-ecosystem"] == "github-actions"]
    dirs = actions["directories"]
    assert {"/", "/actions/*", "/.github/pins"} <= set(dirs)
    # Every template pin is in the manifest Dependabot reads (a custom directory reads action.yml only).
    manifest = (ROOT / ".github" / "pins" / "action.yml").read_text()
    for path in TEMPLATES:
        for pin in re.findall(r"uses: ([\w.-]+/[\w.-]+@[0-9a-f]{40})", path.read_text()):
            assert pin in manifest, (path.name, pin)


def test_sync_pins_rewrites_a_stale_pin(tmp_path: Path) -> None:
    """A Dependabot pull request moves the manifest; the script carries the pin to a template."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_pins", ROOT / "scripts" / "sync_pins.py")
    assert spec
    assert spec.loader
    sync_pins = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync_pins)
    (tmp_path / ".github" / "pins").mkdir(parents=True)
    (tmp_path / "workflows-templates").mkdir()
    new = "actions/checkout@" + "b" * 40 + " # v9.9.9"
    (tmp_path / ".github" / "pins" / "action.yml").write_text(
        f"runs:\n  steps:\n    - uses: {new}\n"
    )
    template = tmp_path / "workflows-templates" / "t.yml"
    template.write_text("steps:\n  - uses: actions/checkout@" + "a" * 40 + " # v1.0.0\n")
    sync_pins.ROOT, sync_pins.MANIFEST = tmp_path, tmp_path / ".github" / "pins" / "action.yml"
    problems, unknown = sync_pins.sync(check=True)
    assert len(problems) == 1
    assert not unknown
    assert "a" * 40 in template.read_text()
    sync_pins.sync(check=False)
    assert template.read_text() == f"steps:\n  - uses: {new}\n"
    assert sync_pins.sync(check=True) == ([], [])
    template.write_text("  - uses: octo/unknown@" + "c" * 40 + " # v1\n")
    assert sync_pins.sync(check=True)[1]


def _yaml_blocks(path: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


DOCS = sorted([ROOT / "README.md", *ROOT.glob("actions/**/README.md")])


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documented_jobs_that_check_out_may_read_the_code(path: Path) -> None:
    for block in _yaml_blocks(path):
        doc = yaml.safe_load(block)
        if not isinstance(doc, dict):
            continue
        jobs = doc.get("jobs", doc)
        for name, job in jobs.items():
            if not isinstance(job, dict) or "steps" not in job:
                continue
            for step in job["steps"]:
                uses = step.get("uses", "")
                if uses.startswith("actions/checkout@"):
                    assert (job.get("permissions") or {}).get("contents") in ("read", "write"), (
                        path.name,
                        name,
                    )
                if uses.startswith("actions/download-artifact@"):
                    assert "artifact-ids" in step["with"] or "pattern" in step["with"], (
                        path.name,
                        name,
                    )
                if "release-actions" in uses.split("@")[0]:
                    # The documented form is the pinned one.
                    assert uses.endswith("@<commit-sha>"), (path.name, uses)
