from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from release_actions.errors import InputError
from release_actions.versions import (
    is_prerelease,
    names_of,
    names_version,
    parse_version,
    version_from_tag,
)


@pytest.mark.parametrize(
    ("tag", "version"),
    [("1.2.3", "1.2.3"), ("v1.2.3", "1.2.3"), ("refs/tags/v1.2.3", "1.2.3"), ("V2.0.0-RC1", "2.0.0rc1"),
     ("v1.0.post1", "1.0.post1"), ("0.1.dev3", "0.1.dev3"), ("1!2.0", "1!2.0")],
)  # fmt: skip
def test_tags_name_versions(tag: str, version: str) -> None:
    assert version_from_tag(tag) == Version(version)


@pytest.mark.parametrize(
    "tag",
    ["", " v1", "v1 ", "release-1.2", "vv1.2", "v1.2\n", "--tag", "../1.2", "v1.2.3;rm", "x" * 200],
)
def test_bad_tags(tag: str) -> None:
    with pytest.raises(InputError):
        version_from_tag(tag)


def test_messages_do_not_carry_raw_control_characters() -> None:
    with pytest.raises(InputError) as info:
        version_from_tag("v1\n::error::injected")
    assert "\n" not in info.value.cause


def test_prerelease_detection() -> None:
    assert is_prerelease(Version("1.0rc1"))
    assert is_prerelease(Version("1.0.dev1"))
    assert not is_prerelease(Version("1.0.post1"))
    with pytest.raises(InputError):
        parse_version("one")


# -- which names denote a version: one rule for tags, milestones, headings and the audit -----

versions_ = st.from_regex(
    r"([1-9]!)?[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc)[0-9]{1,2})?(\.post[0-9])?(\.dev[0-9])?(\+[a-z0-9]{1,4})?",
    fullmatch=True,
)


@given(versions_)
def test_every_spelling_of_a_version_names_it(text: str) -> None:
    version = Version(text)
    for name in (text, f"v{text}", f"V{text}", f" {text} ", str(version), f"v{version}"):
        assert names_version(name, version)
        assert names_version(name, text)
    assert not names_version(f"{text}.1", version)
    assert not names_version(f"vv{text}", version)


@pytest.mark.parametrize(
    ("name", "version", "names"),
    [("1.0", "1.0.0", True), ("v2.0.0-RC1", "2.0.0rc1", True), ("1.2.3", "1.2.4", False),
     ("release-1.2.3", "1.2.3", False), ("", "1.2.3", False), ("1" * 5000, "1.2.3", False),
     ("not-a-version", "not-a-version", True), ("vnot-a-version", "not-a-version", True)],
)  # fmt: skip
def test_names_version(name: str, version: str, names: bool) -> None:
    assert names_version(name, version) is names


def test_the_spelling_written_wins_over_an_equal_version() -> None:
    assert names_of(["1.2.3.0", "v1.2.3", "x", "1.2.3"], "1.2.3") == ["1.2.3", "v1.2.3"]
    assert names_of(["V1.2.3.0", "1.2.3.0", "1.2.4"], Version("1.2.3")) == ["1.2.3.0", "V1.2.3.0"]
    assert names_of(["1.2.4"], "1.2.3") == []


def test_tags_milestones_and_change_log_sections_agree(tmp_path) -> None:
    """The audit's tag, the release page's milestone and the notes' section: one rule."""
    from dataclasses import dataclass

    from release_actions import github
    from release_actions.audit import model, repository
    from release_actions.changelog import read_changelog

    names = ["v1.2.3.0", "1.2.3", "2.0"]

    @dataclass
    class Milestone:
        title: str

    class Repo:
        def get_milestones(self, state: str) -> list[Milestone]:
            return [Milestone(n) for n in names]

    state = model.RepoState("o/r", frozenset(names), "git", (), ())
    changes = tmp_path / "CHANGES.md"
    changes.write_text("".join(f"## {n}\n\n- in {n}\n\n" for n in names))
    for version in ("1.2.3", "2.0.0"):
        chosen = names_of(names, version)[0]
        assert repository.find_tag(state, version) == chosen
        assert github.find_milestone(Repo(), Version(version)).title == chosen  # type: ignore[arg-type]
        section = read_changelog(changes).section(version)
        assert section is not None
        assert section.version == chosen
    assert repository.find_tag(state, "3.0") is None


@pytest.mark.parametrize(
    ("heading", "version"),
    [("1.2.3 (2024-01-01)", "1.2.3"), ("[1.2.3] - 2024-01-01", "1.2.3"), ("v1.2.3: title", "1.2.3"),
     ("Version 2.0.0rc1", "2.0.0rc1"), ("flask 3.1.0 (2024-11-13)", "3.1.0"),
     ("v2.0.0-beta.1 (2024)", "2.0.0-beta.1"), ("1.2.3+local.1", "1.2.3+local.1"),
     ("Version 1!2.0", "1!2.0"),  # an epoch: PEP 440's own pattern knows it
     ("1.2.3-2024-01-01", "1.2.3")],  # a glued date, not the post-release 1.2.3-2024
)  # fmt: skip
def test_change_log_headings_name_versions_by_pep_440s_pattern(
    heading: str, version: str, tmp_path
) -> None:
    from release_actions.changelog import read_changelog

    changes = tmp_path / "CHANGES.md"
    changes.write_text(f"# Changes\n\n## {heading}\n\n- a change\n")
    assert read_changelog(changes).versions() == [version]
