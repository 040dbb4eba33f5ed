"""Every row of docs/verify-compatibility.md: other projects' provenance and attestations, with
the outcome their own tests expect, through the verify command exactly as a user runs it."""

from __future__ import annotations

import pytest

from support.cli import run_cli
from support.verify_cases import DATA, DOC, Case, cases, render

EXIT = {"verified": 0, "failed": 1, "unsupported": 2, "incomplete": 3}


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_verify_compatibility(case: Case, capsys, tmp_path) -> None:
    artifacts = [a if a.startswith("sha256:") else str(DATA / a) for a in case.artifacts]
    result = run_cli(
        ["verify", *artifacts, "--provenance", str(case.provenance), *case.options],
        capsys,
        tmp_path,
    )
    assert result.code == EXIT[case.outcome], result.text
    assert f"Outcome: {case.outcome.upper()}" in result.out
    assert result.outputs["outcome"] == case.outcome
    assert result.outputs["verified"] == ("true" if case.outcome == "verified" else "false")
    if case.outcome != "verified":
        assert result.out.count("::error ") == 1, result.out
    if case.message:
        assert case.message.lower() in result.text.lower(), result.text


def test_no_row_is_a_false_pass() -> None:
    """Where the peer expects a failure we never answer 'verified'."""
    for case in cases():
        if case.peer.startswith("FAIL"):
            assert case.outcome != "verified", case.id


def test_the_document_is_current() -> None:
    assert DOC.read_text() == render(), "run: python tests/support/verify_cases.py"
