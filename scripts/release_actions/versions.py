"""Tags and versions: ``v1.2.3``, ``1.2.3`` and ``refs/tags/v1.2.3`` all name 1.2.3."""

from __future__ import annotations

import re

from packaging.version import Version

from .errors import InputError, shown

# What git allows in a tag name is wide; what we accept as a release tag is
# narrow on purpose: an optional refs/tags/ prefix, an optional "v", a version.
_TAG = re.compile(r"^(?:refs/tags/)?[vV]?(?P<version>[0-9][0-9A-Za-z.+!_-]{0,100})$")


def version_from_tag(tag: str) -> Version:
    """The PEP 440 version a release tag names; InputError for anything else."""
    match = _TAG.match(tag.strip()) if tag and tag == tag.strip() else None
    if match is None:
        raise InputError(
            f"'{shown(tag)}' is not a release tag.",
            "Use the version, optionally with a leading 'v' (for example v1.2.3 or 1.2.3).",
        )
    try:
        return Version(match.group("version"))
    except ValueError:  # InvalidVersion, or a number too long for int()
        raise InputError(
            f"Tag '{shown(tag)}' does not name a PEP 440 version.",
            "Tag releases with the package's version, for example v1.2.3, 1.2.3rc1 or 2.0.0.post1.",
        ) from None


def parse_version(value: str) -> Version:
    try:
        return Version(value)
    except ValueError:  # InvalidVersion, or a number too long for int()
        raise InputError(
            f"'{shown(value)}' is not a PEP 440 version.",
            "Use a version such as 1.2.3, 1.2.3rc1 or 2.0.0.post1.",
        ) from None


def is_prerelease(version: Version) -> bool:
    """PEP 440: a, b, rc and dev releases are prereleases."""
    return version.is_prerelease or version.is_devrelease


def names_version(text: str, version: Version) -> bool:
    """Whether a tag, milestone title or heading (``1.2.3``, ``v1.2.3``) names ``version``."""
    text = text.strip()
    if text[:1] in "vV":
        text = text[1:]
    try:
        return Version(text) == version
    except ValueError:  # InvalidVersion, or a number too long for int()
        return False
