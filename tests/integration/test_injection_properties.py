"""No untrusted value forges a workflow command, on stdout or stderr, through any command.

Hypothesis drives hostile file names, tags, change-log text, output names and
index / GitHub API error bodies through the commands on a simulated runner.
The runner's own commands (annotations, masks, groups) are written to their
own stream here, so they can be told apart from everything else: that stream
holds only well-formed commands, and no other line of stdout or stderr, from
any source, is one (the runner reads a line as a command when it starts with
"::" once trimmed, or holds "##[" anywhere; it splits lines at CR and LF).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from release_actions import gha
from release_actions.cli import main
from support.loopback import Handler, Loopback
from support.paths import PROJECTS

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ATTACKS = [
    "::stop-commands::hide", "::add-mask::x", "::error::forged", "::set-output name=a::b",
    "  ::warning::indented", "##[group]v1", "##[add-mask]y", "::", "##[", "%0A::error::x",
]  # fmt: skip
PIECES = ["\n", "\r", "\r\n", " ", "\t", "\u2028", "\x85", "\x1b[31m", "%", "a", "-", "1.0", "v"]
hostile = st.lists(st.sampled_from(ATTACKS + PIECES), min_size=1, max_size=8).map("".join)
# What a file system accepts as a name (no "/" or NUL), at most 200 bytes.
file_names = hostile.map(lambda s: s.replace("/", "_")[:60]).filter(
    lambda s: s not in ("", ".", "..")
)
COMMAND = re.compile(r"^::(error|warning|notice)( title=[^:]*)?::[^\r\n]*$|^::(add-mask|group)::[^\r\n]*$|^::endgroup::$")  # fmt: skip


def _lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def _forged(text: str) -> list[str]:
    return [line for line in _lines(text) if line.strip().startswith("::") or "##[" in line]


def run_on_runner(
    args: list[str], capsys: pytest.CaptureFixture[str], env: dict[str, str] | None = None
) -> int:
    """Run the CLI as a runner would, and check every line it printed."""
    commands, info = io.StringIO(), io.StringIO()
    runner = gha.Runner(env={"GITHUB_ACTIONS": "true", **(env or {})}, out=commands, err=info)
    code = main(args, runner=runner)
    captured = capsys.readouterr()
    plain = info.getvalue() + captured.out + captured.err
    assert _forged(plain) == [], plain
    for line in _lines(commands.getvalue()):
        assert not line or COMMAND.match(line), line
    return code


@pytest.fixture
def work(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], Path]:
    def fresh() -> Path:
        path = tmp_path_factory.mktemp("work")
        monkeypatch.chdir(path)
        return path

    return fresh


# -- file names --------------------------------------------------------------------------------


@SETTINGS
@given(name=file_names)
@example(name="x\n::stop-commands::hide\n.sigstore")  # the reported case
def test_file_names_through_hash_and_attest(work, capsys, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = work()
    (folder / "dist").mkdir()
    try:
        (folder / "dist" / name).write_bytes(b"content")
    except OSError:
        return  # not a name this file system takes
    run_on_runner(["hash", "--output", "SUMS", f"dist/{name}"], capsys)
    run_on_runner(["hash", "--output", "SUMS", "dist"], capsys)
    run_on_runner(["attest", "--signer", "none", "--output", name, "dist"], capsys)


@SETTINGS
@given(name=file_names)
@example(name="x\n::stop-commands::hide\n")
def test_file_names_through_publish(work, built: Path, capsys, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = work()
    shutil.copytree(built, folder / "dist")
    try:
        (folder / "dist" / (name + ".sigstore")).write_text("{}")  # a leftover, set aside
        (folder / "dist" / name).write_bytes(b"not a distribution")
    except OSError:
        return
    env = {"TWINE_PASSWORD": "pw-secret", "RA_PUBLISH_BACKOFF": "0"}
    # Every file named: the stranger fails the checks, and its name is quoted.
    assert run_on_runner(["publish", "--repository-url", "http://127.0.0.1:9/", "dist/*"], capsys, env) != 0  # fmt: skip
    (folder / "dist" / name).unlink()
    # Only the leftover is a stranger now: it is set aside (and named), then the upload fails.
    assert run_on_runner(["publish", "--repository-url", "http://127.0.0.1:9/", "dist/*"], capsys, env) != 0  # fmt: skip


# -- tags and change logs ----------------------------------------------------------------------


@SETTINGS
@given(tag=hostile)
def test_tags_through_build_notes_and_release_page(work, capsys, tag: str) -> None:  # type: ignore[no-untyped-def]
    folder = work()
    (folder / "CHANGES.md").write_text("## 1.0\n\n- x\n")
    run_on_runner(["build", str(PROJECTS / "flit_demo"), "--out-dir", "out", "--tag", tag], capsys)
    run_on_runner(["notes", "--version", tag, "CHANGES.md"], capsys)
    run_on_runner(["release-page", "--tag", tag, "--notes-file", "CHANGES.md"], capsys)


@SETTINGS
@given(text=st.lists(hostile | st.sampled_from(["## 1.0\n", "1.0\n===\n", "- ", "``", "`a <b>`_"]), max_size=10).map("".join))  # fmt: skip
@example(text="::stop-commands::x\n##[group]y\n  ::add-mask::z\r::error::forged")
def test_change_log_text_through_notes(work, capsys, text: str) -> None:  # type: ignore[no-untyped-def]
    folder = work()
    for name in ("CHANGES.md", "CHANGES.rst"):
        (folder / name).write_text(f"## 1.0\n\n{text}\n", encoding="utf-8")
        run_on_runner(["notes", "--version", "1.0", name], capsys, {"GITHUB_REPOSITORY": "o/r"})


# -- what servers say ------------------------------------------------------------------------------


class Answering(Loopback):
    """Answers every request with one status and a hostile body (a JSON message and HTML)."""

    def __init__(self) -> None:
        self.status, self.body = 500, b""
        server = self

        class Hostile(Handler):
            def _serve(self) -> None:
                self.body()
                self.reply(server.status, server.body, content_type="application/json")

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        super().__init__(Hostile)


@pytest.fixture(scope="module")
def answering() -> Iterator[Answering]:
    with Answering() as server:
        yield server


@settings(SETTINGS, max_examples=12)  # each example is two commands over loopback
@given(message=hostile, status=st.sampled_from([400, 403, 422, 502]))
@example(message="x\n::stop-commands::hide", status=400)
def test_error_bodies_through_publish_and_release_page(  # type: ignore[no-untyped-def]
    work, built: Path, answering: Answering, capsys, message: str, status: int
) -> None:
    folder = work()
    shutil.copytree(built, folder / "dist")
    (folder / "notes.md").write_text("Notes.\n")
    answering.status = status
    answering.body = (
        json.dumps(
            {"message": message, "errors": [{"code": message, "description": message}]}
        ).encode()
        + f"<pre>{message}</pre>".encode()
    )
    run_on_runner(["publish", "--repository-url", answering.url + "/legacy/"], capsys,
                  {"TWINE_PASSWORD": "pw-secret", "RA_PUBLISH_BACKOFF": "0"})  # fmt: skip
    run_on_runner(["release-page", "--tag", "v1.2.3", "--notes-file", "notes.md", "dist"], capsys,
                  {"GITHUB_API_URL": answering.url + "/api/v3", "GITHUB_REPOSITORY": "o/r",
                   "GITHUB_TOKEN": "ghs_x", "RA_GITHUB_ATTEMPTS": "2", "RA_GITHUB_BACKOFF": "0"})  # fmt: skip


def test_the_check_itself_sees_a_forged_line(capsys: pytest.CaptureFixture[str]) -> None:
    """The yardstick: unguarded text with a command in it would be caught."""
    assert _forged("ok\n  ::stop-commands::x\r::error::y\nz ##[group]") == [
        "  ::stop-commands::x", "::error::y", "z ##[group]"
    ]  # fmt: skip
    assert gha.guard("  ::stop-commands::x\r::error::y\nz ##[group]").count("\u200b") == 3
