"""Regression tests for the second hardening pass: one test per class of attack that broke.

Each test failed before its fix. The catalogue in docs/bad-inputs.md lists them
("Held-out attacks"); the property test that drives random values through every
command on a simulated runner is in test_injection_properties.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from release_actions import gha
from release_actions.build import build
from support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = Path(__file__).parent / "projects"
RUNNER = {"GITHUB_ACTIONS": "true"}


def _forged(text: str) -> list[str]:
    """Lines the runner would read as a workflow command."""
    return [
        line
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if line.strip().startswith("::") or "##[" in line
    ]


# -- tokens and identities -----------------------------------------------------------------------

BACKEND = '''
import json, os
def _record():
    with open(os.environ["RA_TEST_SEEN"], "w") as fh:
        json.dump(sorted(os.environ), fh)
    raise RuntimeError("recorded")
def build_sdist(directory, config_settings=None):
    _record()
def build_wheel(directory, config_settings=None, metadata_directory=None):
    _record()
'''


def test_the_build_backend_never_sees_tokens_or_the_runner_files(tmp_path: Path) -> None:
    """A backend runs arbitrary code: it must not mint OIDC tokens or poison later steps."""
    project = tmp_path / "spy"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "spy_backend"\nbackend-path = ["."]\n'
        '[project]\nname = "spy"\nversion = "1.0"\n'
    )
    (project / "spy_backend.py").write_text(BACKEND)
    seen = tmp_path / "seen.json"
    secret_env = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/token",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
        "ACTIONS_RUNTIME_TOKEN": "runtime-token",
        "GITHUB_ENV": str(tmp_path / "env"),
        "GITHUB_PATH": str(tmp_path / "path"),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STATE": str(tmp_path / "state"),
        "BASH_ENV": str(tmp_path / "bashenv"),
        "GITHUB_TOKEN": "ghs_secret",
        "TWINE_PASSWORD": "pypi-secret",
        "RA_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----",
    }
    env = {**os.environ, **secret_env, "RA_TEST_SEEN": str(seen)}
    with pytest.raises(Exception, match="build backend failed"):
        build(project, tmp_path / "dist", sdist=True, wheel=False, env=env)
    visible = set(json.loads(seen.read_text()))
    assert "RA_TEST_SEEN" in visible  # the spy ran, with an ordinary environment
    assert "PATH" in visible
    assert not visible & set(secret_env), visible & set(secret_env)


def test_clean_deletes_only_the_projects_own_distributions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "flit_demo"
    shutil.copytree(PROJECTS / "flit_demo", src)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("backup.tar.gz", "other_project-2.0.tar.gz"):
        (out / name).write_bytes(b"keep me")
        result = run_cli(["build", str(src), "--out-dir", str(out), "--clean"], capsys, tmp_path)
        assert result.code == 1, result.text
        assert f"holds {name}" in result.text and "--clean leaves it alone" in result.text
        assert (out / name).read_bytes() == b"keep me"
        assert sorted(p.name for p in out.iterdir()) == [name]
        (out / name).unlink()
    (out / "flit_demo-1.2.2.tar.gz").write_bytes(b"old")
    (out / "notes.txt").write_text("not a distribution")
    result = run_cli(["build", str(src), "--out-dir", str(out), "--clean"], capsys, tmp_path)
    assert result.code == 0, result.text
    assert sorted(p.name for p in out.iterdir()) == [
        "flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz", "notes.txt"
    ]  # fmt: skip
