from __future__ import annotations

import pytest
from packaging.version import Version

from release_actions.errors import InputError
from release_actions.versions import is_prerelease, parse_version, version_from_tag


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
