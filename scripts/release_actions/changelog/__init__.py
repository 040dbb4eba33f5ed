"""Release notes from a project's change log.

Finds the change log (``finding``), picks the section of one version (``sections``) and
renders it as GitHub Markdown (``rst`` for reStructuredText, its inline pass and the
Sphinx roles in ``inline``; a Markdown section is kept as it is, with the link
definitions it uses). Understands the reStructuredText style of the Pallets projects
(``Version 3.1.3`` underlined, then ``Released 2026-02-18`` or ``Unreleased``),
towncrier and packaging-style reST headings (``25.0 - 2025-04-19``), Keep a Changelog
Markdown (``## [1.2.3] - 2026-01-01``) and plain ``## 1.2.3`` headings.

reST roles: ````code```` becomes a code span, ```text <url>`_`` a Markdown link, and the
Sphinx roles change logs use (``:issue:``, ``:pr:``, ``:ghsa:``, ``:user:``,
``:commit:``, ``:cve:``, ``:pep:`` …) become links; roles it does not know become their
plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from ..git import GITHUB as DEFAULT_SERVER
from ..versions import parsed
from .finding import (
    CANDIDATES,
    DOC_FOLDERS,
    FIX_NO_CHANGELOG,
    MissingNotesError,
    find_changelog,
    looked_for,
)
from .rst import rst_to_markdown
from .sections import Changelog, Section, markdown_body, read_changelog

__all__ = [
    "CANDIDATES",
    "DEFAULT_SERVER",
    "DOC_FOLDERS",
    "FIX_NO_CHANGELOG",
    "Changelog",
    "MissingNotesError",
    "Notes",
    "Section",
    "extract",
    "find_changelog",
    "looked_for",
    "read_changelog",
    "rst_to_markdown",
]


@dataclass(frozen=True)
class Notes:
    """The rendered notes of one version."""

    version: str
    title: str
    released: bool | None
    date: str | None
    markdown: str
    source: Path
    chosen: str = ""  # how a dev or local version's section was chosen; "" when exact


def extract(
    path: Path,
    version: str | Version,
    *,
    repo: str | None = None,
    server_url: str = DEFAULT_SERVER,
) -> Notes:
    """The notes of ``version`` from the change log at ``path``, as GitHub Markdown."""
    log = read_changelog(path)
    section, chosen = log.section_for(version)
    if section is None:
        found = log.versions()
        shown = ", ".join(found[:12]) + (f" and {len(found) - 12} more" if len(found) > 12 else "")
        wanted = parsed(str(version))
        dev = wanted is not None and (wanted.is_devrelease or wanted.local is not None)
        raise MissingNotesError(
            f"{path.name} has no section for version {version}"
            + (
                f" (nor for {wanted.base_version}, nor one marked unreleased)"
                if dev and wanted
                else ""
            )
            + (
                f"; it has sections for {shown}."
                if found
                else "; it has no version sections at all."
            ),
            "Add a section for the version (a heading such as 'Version "
            f"{wanted.base_version if dev and wanted else version}' or "
            f"'## {wanted.base_version if dev and wanted else version}') before releasing it.",
            missing="section",
        )
    if log.kind == "rst":
        markdown = rst_to_markdown(
            section.body, repo=repo, server_url=server_url, targets=log.rst_targets
        )
    else:
        markdown = markdown_body(section.body, log.md_definitions)
    return Notes(
        section.version, section.title, section.released, section.date, markdown, path, chosen
    )
