from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from release_actions import errors, gha
from release_actions.cli import main
from support.cli import parse_heredoc_file, run_cli
from support.paths import ROOT

DOC = ROOT / "docs" / "troubleshooting.md"


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def test_every_error_links_to_a_section_of_the_troubleshooting_guide() -> None:
    anchors = {_anchor(h) for h in re.findall(r"^## (.+)$", DOC.read_text(), re.M)}
    for cls in _subclasses(errors.ReleaseError):
        assert cls.anchor in anchors, f"{cls.__name__}: #{cls.anchor} missing from {DOC.name}"
        assert _anchor(cls.title) == cls.anchor or cls.anchor in anchors


def test_annotation_escaping() -> None:
    assert gha.escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert gha.escape_property("a:b,c\n") == "a%3Ab%2Cc%0A"
    out = io.StringIO()
    gha.Runner(env={"GITHUB_ACTIONS": "true"}, out=out).error("line1\nline2", title="T: x, y")
    assert out.getvalue() == "::error title=T%3A x%2C y::line1%0Aline2\n"


def test_off_a_runner_messages_are_plain(capsys: pytest.CaptureFixture[str]) -> None:
    r = gha.Runner(env={})
    r.error("boom", title="Broken")
    r.mask("s3cret")
    with r.group("g"):
        r.warning("careful")
    assert capsys.readouterr().err == "error: Broken: boom\nwarning: careful\n"
    r.set_outputs({"a": "b"})  # no file, nothing happens


def test_outputs_cannot_be_injected(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("")
    r = gha.Runner(env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out)})
    hostile = "x\nghadelimiter_0\nevil=1\nEOF\nother<<EOF"
    r.set_outputs({"name": hostile, "multi": "a\nb"})
    assert parse_heredoc_file(out) == {"name": hostile, "multi": "a\nb"}
    with pytest.raises(ValueError, match="invalid GITHUB_OUTPUT name"):
        r.set_outputs({"bad\nname": "x"})


def test_mask_every_line_of_a_secret() -> None:
    out = io.StringIO()
    gha.Runner(env={"GITHUB_ACTIONS": "true"}, out=out).mask("abc\ndef\n")
    assert out.getvalue() == "::add-mask::abc\n::add-mask::def\n"


def test_usage_errors_exit_2_with_an_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(["build", "--no-such-flag"], capsys, tmp_path)
    assert result.code == 2
    assert result.out.startswith("::error title=Invalid arguments::")
    result = run_cli(["build", "--tag", "1", "--expect-version", "1"], capsys, tmp_path)
    assert result.code == 2
    assert "not allowed with argument" in result.out
    result = run_cli([], capsys, tmp_path, on_runner=False)
    assert result.code == 2
    assert "No command given" in result.err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert re.match(r"release-actions \d+\.\d+\.\d+", capsys.readouterr().out)
    assert main(["--help"]) == 0
    assert "build" in capsys.readouterr().out


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "hash", str(tmp_path / "nope")], runner=gha.Runner(env={})) == 1
    assert "Traceback" in capsys.readouterr().err
    assert main(["hash", str(tmp_path / "nope")], runner=gha.Runner(env={})) == 1
    assert "Traceback" not in capsys.readouterr().err
