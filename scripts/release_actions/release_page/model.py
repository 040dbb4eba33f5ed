"""What a release page is made from and what it became: pure data and text, no GitHub client.

The request (tag, notes, files and their subjects), the result, the body the
release gets, and the page as Markdown for a preview. Importing this module
loads no PyGithub: the rehearsal and a preview without a token stay light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from packaging.version import Version

from ..hashing import Subject
from ..markdown import code, link, table

NotesSource = Literal["given", "generated", "kept"]
AssetOutcome = Literal["uploaded", "unchanged", "replaced"]


@dataclass(frozen=True)
class Request:
    tag: str
    version: Version
    name: str
    notes: str
    draft: bool = True
    prerelease: bool = False
    files: Sequence[Subject] = ()
    overwrite: bool = False
    close_milestone: bool = False
    # No notes of our own: ask GitHub to generate them (kept if the release already has a body).
    generate_notes: bool = False
    target_commitish: str = ""  # where the tag will point, for generating notes before it exists
    # Replace differing assets on a draft (a rehearsal's own draft), never on a published release.
    overwrite_drafts: bool = False
    # The hash action's subjects: the files are checked against them before any is attached.
    subjects: Sequence[Subject] | None = None


@dataclass(frozen=True)
class MilestoneInfo:
    title: str
    number: int
    html_url: str
    state: str


@dataclass
class Result:
    id: int
    url: str
    html_url: str
    upload_url: str
    draft: bool
    prerelease: bool
    created: bool
    body: str
    milestone: MilestoneInfo | None = None
    milestone_closed: bool = False
    assets: dict[str, AssetOutcome] = field(default_factory=dict)
    deleted_duplicates: list[int] = field(default_factory=list)
    notes_source: NotesSource = "given"  # generated: by GitHub; kept: the release's own body


def check_files(request: Request, repo: str | None, host: str = "github.com") -> None:
    """The integrity gate, before anything is attached or previewed (publish has its own).

    Distributions must be the subjects; SHA256SUMS and attestations are attached
    only when they are what their names claim.
    """
    if request.subjects is None:
        return
    from ..hashing import is_sidecar, match_files
    from ..sidecars import check_sidecars

    match_files(request.subjects, [f for f in request.files if not is_sidecar(f.name)])
    check_sidecars(request.files, request.subjects, repo, host)


def compose_body(notes: str, milestone: MilestoneInfo | None) -> str:
    parts = [notes.strip()] if notes.strip() else []
    if milestone is not None:
        parts.append(
            f"**Milestone:** {link(milestone.title, milestone.html_url + '?closed=1')} "
            "lists the issues and pull requests of this release."
        )
    return "\n\n".join(parts) + "\n" if parts else ""


def render_preview(request: Request, repo: str | None) -> str:
    """The release page as it would be made, for local rehearsal without a token."""
    check_files(request, repo)
    flags = ["draft" if request.draft else "published"]
    if request.prerelease:
        flags.append("prerelease")
    lines = [
        f"# {request.name}",
        "",
        f"Tag {code(request.tag)} in {repo or '(repository not set)'} · {' · '.join(flags)}",
        "",
        "The milestone link is added when the page is made on GitHub (it needs the API).",
        "",
    ]
    if request.generate_notes:
        notes = "_No notes in the change log: GitHub's generated notes go here when the page is made on GitHub._"
    else:
        notes = request.notes.strip() or "_No release notes._"
    lines += [notes, ""]
    if request.files:
        rows = [[code(s.name), str(s.size), code(s.sha256)] for s in request.files]
        lines += ["## Assets", "", table(["File", "Size", "SHA-256"], rows), ""]
    return "\n".join(lines)
