"""Call the CLI in-process as a runner would, and read back what it wrote."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from release_actions import gha
from release_actions.cli import main

# A tag push as a GitHub-hosted runner describes it, for commands that read the job's context.
RUNNER_ENV = {
    "GITHUB_REPOSITORY": "octo/demo",
    "GITHUB_REPOSITORY_ID": "123456",
    "GITHUB_REPOSITORY_OWNER_ID": "654321",
    "GITHUB_REF": "refs/tags/v1.2.3",
    "GITHUB_SHA": "a" * 40,
    "GITHUB_WORKFLOW_REF": "octo/demo/.github/workflows/release.yml@refs/tags/v1.2.3",
    "GITHUB_RUN_ID": "42",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_EVENT_NAME": "push",
    "GITHUB_SERVER_URL": "https://github.com",
    "RUNNER_ENVIRONMENT": "github-hosted",
}


@dataclass
class CliResult:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    summary: str

    @property
    def text(self) -> str:
        """Everything a user (or a log) would see."""
        return self.out + self.err + self.summary + "".join(self.outputs.values())


def parse_heredoc_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^([^<=]+)<<(\S+)$", lines[i])
        if m:
            name, delim = m.groups()
            end = lines.index(delim, i + 1)
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            name, _, value = lines[i].partition("=")
            values[name] = value
            i += 1
    return values


def run_cli(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *,
    on_runner: bool = True,
    env: dict[str, str] | None = None,
) -> CliResult:
    """Run ``release-actions ARGS`` with a simulated runner (GITHUB_OUTPUT etc. in tmp_path)."""
    files = tmp_path / "runner-files"
    files.mkdir(exist_ok=True)
    output, summary = files / "output", files / "summary"
    for f in (output, summary):
        f.write_text("")
    runner_env = dict(env or {})
    if on_runner:
        runner_env.update(
            GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary)
        )
    code = main(args, runner=gha.Runner(env=runner_env))
    captured = capsys.readouterr()
    return CliResult(
        code, captured.out, captured.err, parse_heredoc_file(output), summary.read_text("utf-8")
    )
