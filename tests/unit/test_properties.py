"""Property tests for the parsers: on any input they return a result or raise a ReleaseError,
never anything else (no crash, no traceback for a user)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from release_actions.changelog import extract
from release_actions.errors import ReleaseError
from release_actions.hashing import Subject, encode_base64, format_sums, parse_subjects
from release_actions.verify import Artifact, Expectations, read_documents, verify
from release_actions.versions import version_from_tag

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
    min_size=1,
    max_size=40,
)
hexes = st.text("0123456789abcdef", min_size=64, max_size=64)


@SETTINGS
@given(st.text(max_size=400))
def test_subjects_parser_never_crashes(text: str) -> None:
    try:
        subjects = parse_subjects(text)
    except ReleaseError:
        return
    assert subjects
    assert all(len(s.sha256) == 64 for s in subjects)


@SETTINGS
@given(
    st.dictionaries(
        names.filter(lambda n: n.strip() == n and n not in (".", "..") and not n.startswith("./")),
        hexes,
        min_size=1,
        max_size=8,
    )
)
def test_subjects_round_trip_in_both_forms(files: dict[str, str]) -> None:
    subjects = [Subject(n, d) for n, d in files.items()]
    expected = sorted((s.name, s.sha256) for s in subjects)
    for text in (format_sums(subjects), encode_base64(subjects)):
        assert sorted((s.name, s.sha256) for s in parse_subjects(text)) == expected


@SETTINGS
@given(st.text(max_size=60))
def test_tags_never_crash(tag: str) -> None:
    cause = ""
    try:
        version = version_from_tag(tag)
    except ReleaseError as error:
        cause = error.cause
    else:
        assert str(version)
    assert "\n" not in cause  # user input is quoted on one line


@SETTINGS
@given(
    st.from_regex(
        r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc)[0-9]{1,2})?(\.post[0-9])?(\.dev[0-9])?",
        fullmatch=True,
    )
)
def test_valid_tags_normalise_to_their_version(tag: str) -> None:
    from packaging.version import Version

    assert version_from_tag(tag) == Version(tag.removeprefix("v"))


@SETTINGS
@given(
    st.text(max_size=600),
    st.sampled_from(["CHANGES.md", "CHANGES.rst"]),
    st.sampled_from(["1.0", "2.3.4", "0.1rc1"]),
)
def test_changelog_sections_never_crash(
    tmp_path_factory: pytest.TempPathFactory, text: str, name: str, version: str
) -> None:
    path = tmp_path_factory.mktemp("log") / name
    path.write_text(text, encoding="utf-8")
    try:
        notes = extract(path, version)
    except ReleaseError:
        return
    assert isinstance(notes.markdown, str)


@SETTINGS
@given(st.binary(max_size=400))
def test_provenance_reader_never_crashes_on_bytes(data: bytes) -> None:
    try:
        docs = read_documents(data, "p.jsonl")
    except ReleaseError:
        return
    assert all(isinstance(d, dict) for _, d in docs)


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = (
    scalars
    | st.lists(scalars, max_size=4)
    | st.dictionaries(st.text(max_size=10), scalars, max_size=4)
)


@SETTINGS
@given(
    st.fixed_dictionaries(
        {"payloadType": st.sampled_from(["application/vnd.in-toto+json", "text/plain"]),
         "payload": st.one_of(st.text(max_size=40), json_values.map(lambda v: base64.b64encode(json.dumps(v).encode()).decode())),
         "signatures": st.one_of(st.just([]), st.lists(st.dictionaries(st.sampled_from(["keyid", "sig", "cert"]), st.text(max_size=30)), max_size=2))}
    )
)  # fmt: skip
def test_verify_never_crashes_on_envelopes(envelope: dict) -> None:
    data = json.dumps(envelope).encode()
    try:
        report = verify(
            [Artifact("x", "a" * 64)],
            data,
            "p.jsonl",
            Expectations(allow_unsigned=True, source_uri="github.com/o/r"),
        )
    except ReleaseError:
        return
    assert not report.ok  # nothing random can match the artifact


def test_property_module_sees_real_files(tmp_path: Path) -> None:
    """A sanity anchor: the strategies above produce the shapes the parsers expect."""
    subjects = [Subject("demo-1.0.tar.gz", "a" * 64)]
    assert parse_subjects(encode_base64(subjects)) == subjects


def test_names_with_unicode_line_separators_round_trip() -> None:
    """str.splitlines() splits at U+2028; sha256sum lines end at '\\n' only."""
    subjects = [
        Subject("demo\u2028odd-1.0.tar.gz", "b" * 64),
        Subject("plain-1.0.tar.gz", "c" * 64),
    ]
    for text in (format_sums(subjects), encode_base64(subjects)):
        assert parse_subjects(text) == sorted(subjects, key=lambda s: s.name)
