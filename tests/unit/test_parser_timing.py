"""Every parser of untrusted text runs in time linear in its input: a bound per input size.

Hypothesis builds inputs as prefix + unit * n + suffix (the shape that makes a
backtracking regex quadratic: a heading padded with 32,000 spaces took 25 s)
of about SIZE characters, from the characters the parsers treat specially. A
linear parser takes milliseconds on them; a quadratic one takes seconds.
"""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from release_actions.errors import ReleaseError

SIZE = 10_000
BOUND = 1.0  # seconds for SIZE characters; the quadratic cases found took 2-8 s at this size
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FEW = settings(SETTINGS, max_examples=8)  # a change log run reads three such lines
MARKUP = " \t#=-*_`:<>[]()!.,0123456789aAvV\\/|~+@%"
units = st.text(st.sampled_from(MARKUP), min_size=1, max_size=4)
ends = st.text(st.sampled_from(MARKUP + "\n"), max_size=4)


def _timed(parse: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    with contextlib.suppress(ReleaseError):
        parse(text)
    return time.perf_counter() - start


def _padded(prefix: str, unit: str, suffix: str) -> str:
    return prefix + unit * ((SIZE - len(prefix)) // len(unit)) + suffix


HEADINGS = ["", "## ", "## 1.0", "# v1.0 ", "Version 1.0", "1.0 (", ".. _", "[", "- ", "Released"]


@pytest.mark.parametrize("name", ["CHANGES.md", "CHANGES.rst"])
@FEW
@given(prefix=st.sampled_from(HEADINGS), unit=units, suffix=ends)
@example(prefix="## 1.0", unit=" ", suffix="x")  # the reported case: 25 s at 32,000
@example(prefix="## ", unit="[", suffix="")  # 76 s at 32,000 (link stripping)
@example(prefix="## 1.0 ", unit="[a](", suffix="")
@example(prefix="", unit="0", suffix="")  # a 10,000-digit version crashed packaging's int()
def test_change_log_parsing_is_linear(
    tmp_path_factory: pytest.TempPathFactory, name: str, prefix: str, unit: str, suffix: str
) -> None:
    from release_actions.changelog import extract

    path = tmp_path_factory.mktemp("log") / name
    body = _padded(prefix, unit, suffix)
    # The same padding as a heading, as a body line under a real section, and as an rST title.
    path.write_text(
        f"{body}\n\n## 1.0\n\n- {body}\n\n{body}\n{'=' * len(body)}\n", encoding="utf-8"
    )
    took = _timed(lambda _: extract(path, "1.0"), "")
    assert took < BOUND * 2, f"{took:.1f} s for {prefix!r} + {unit!r} * n + {suffix!r}"


@SETTINGS
@given(prefix=st.sampled_from(["", "a" * 64 + "  ", "a" * 64 + " *"]), unit=units, suffix=ends)
def test_subjects_parsing_is_linear(prefix: str, unit: str, suffix: str) -> None:
    from release_actions.hashing import parse_subjects

    text = _padded(prefix, unit, suffix)
    assert _timed(parse_subjects, text) < BOUND
    encoded = base64.b64encode(text.encode()).decode()
    assert _timed(parse_subjects, encoded) < BOUND


@SETTINGS
@given(prefix=st.sampled_from(["", "v", "v1.", "1.0"]), unit=units, suffix=ends)
def test_tag_parsing_is_linear(prefix: str, unit: str, suffix: str) -> None:
    from release_actions.versions import version_from_tag

    assert _timed(version_from_tag, _padded(prefix, unit, suffix)) < BOUND


@SETTINGS
@given(prefix=st.sampled_from(["", "{", '{"payload": "', "[", "<pre>"]), unit=units, suffix=ends)
@example(prefix="", unit="1", suffix="")  # json.loads: a ValueError, not a JSONDecodeError
@example(prefix="", unit="[", suffix="")  # json.loads: RecursionError
def test_provenance_and_index_answers_parse_in_linear_time(
    prefix: str, unit: str, suffix: str
) -> None:
    from release_actions.publish.upload import _json_sha256
    from release_actions.verify import read_documents

    text = _padded(prefix, unit, suffix)
    assert _timed(lambda t: read_documents(t.encode(), "p.jsonl"), text) < BOUND
    assert _timed(lambda t: _json_sha256(t.encode(), "x.whl"), text) < BOUND


@SETTINGS
@given(prefix=st.sampled_from(["", "<pre>", "<html><body>", "400 "]), unit=units, suffix=ends)
def test_index_error_pages_are_read_in_linear_time(prefix: str, unit: str, suffix: str) -> None:
    import requests

    from release_actions.publish.upload import _message

    response = requests.Response()
    response.status_code, response.reason = 400, "Bad Request"
    response._content = _padded(prefix, unit, suffix).encode()
    assert _timed(lambda _: _message(response), "") < BOUND
