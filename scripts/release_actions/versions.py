"""Tags and versions: ``v1.2.3``, ``1.2.3`` and ``refs/tags/v1.2.3`` all name 1.2.3, and
which tag, milestone, change-log section or index version names a given version.

``packaging`` is imported here at the top: the command layer imports this module only
inside the commands that need it, so starting the CLI stays free of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.version import VERSION_PATTERN, Version

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
    return _pep440(
        match.group("version"),
        f"Tag '{shown(tag)}' does not name a PEP 440 version.",
        "Tag releases with the package's version, for example v1.2.3, 1.2.3rc1 or 2.0.0.post1.",
    )


def parse_version(value: str) -> Version:
    return _pep440(
        value,
        f"'{shown(value)}' is not a PEP 440 version.",
        "Use a version such as 1.2.3, 1.2.3rc1 or 2.0.0.post1.",
    )


def _pep440(value: str, message: str, fix: str) -> Version:
    try:
        return Version(value)
    except ValueError:  # InvalidVersion, or a number too long for int()
        raise InputError(message, fix) from None


def is_prerelease(version: Version) -> bool:
    """PEP 440: a, b, rc and dev releases are prereleases."""
    return version.is_prerelease or version.is_devrelease


# A PEP 440 version inside other text (a change-log heading), as the group "version"
# (its optional leading "v" included): compile with re.VERBOSE | re.IGNORECASE, as
# packaging does.
VERSION_IN_TEXT = f"(?P<version>{VERSION_PATTERN})"


def _bare(name: str) -> str:
    name = name.strip()
    return name[1:] if name[:1] in "vV" else name


def parsed(text: str) -> Version | None:
    """The PEP 440 version ``text`` is, or None (never an exception: text from anywhere)."""
    try:
        return Version(text)
    except ValueError:  # InvalidVersion, or a number too long for int()
        return None


def spells_version(name: str, version: Version | str) -> bool:
    """Whether ``name`` is ``version`` as written, with or without a leading ``v``."""
    return _bare(name) == _bare(str(version))


def names_version(name: str, version: Version | str) -> bool:
    """Whether a tag, milestone title, change-log heading's version or index version
    (``1.2.3``, ``v1.2.3``, ``V1.2.3.0``) denotes ``version``: the same spelling, or an
    equal PEP 440 version."""
    if spells_version(name, version):
        return True
    wanted = version if isinstance(version, Version) else _version_named(version)
    return wanted is not None and _version_named(name) == wanted


def _version_named(name: str) -> Version | None:
    bare = _bare(name)
    return None if bare[:1] in "vV" else parsed(bare)  # one "v", not "vv1.2.3"


def names_of(names: Iterable[str], version: Version | str) -> list[str]:
    """The names that denote ``version``: those that spell it as written if any (so
    ``v1.2.3`` wins over ``1.2.3.0``), else every equal version; sorted, so the first is
    the same on every run."""
    found = [n for n in names if names_version(n, version)]
    exact = [n for n in found if spells_version(n, version)]
    return sorted(exact or found)
