"""Finding a project's change log: the usual names, at the top or with the docs."""

from __future__ import annotations

from pathlib import Path

from ..errors import ChangelogError, InputError

# The names looked for, in this order (any letter case): NEWS.* is towncrier's default.
CANDIDATES = (
    "CHANGES.rst",
    "CHANGES.md",
    "CHANGELOG.rst",
    "CHANGELOG.md",
    "NEWS.rst",
    "NEWS.md",
    "HISTORY.rst",
    "HISTORY.md",
    "CHANGES.txt",
    "CHANGELOG.txt",
    "NEWS.txt",
    "HISTORY.txt",
    "CHANGES",
    "CHANGELOG",
    "NEWS",
    "HISTORY",
)
# Looked in after the project's root, for projects that keep the change log with the docs.
DOC_FOLDERS = ("docs", "doc")
FIX_NO_CHANGELOG = (
    "Pass the change log's path, or add a CHANGES.rst or CHANGES.md with a section per version."
)


class MissingNotesError(ChangelogError):
    """No change log, or no section for the version: the release page can fall back."""

    def __init__(self, cause: str, fix: str, *, missing: str) -> None:
        super().__init__(cause, fix)
        self.missing = missing  # "changelog" or "section"


def _first_candidate(directory: Path) -> Path | None:
    try:
        present = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    except FileNotFoundError:
        return None
    for name in CANDIDATES:
        found = present.get(name.lower())
        if found is not None:
            return found
    return None


def looked_for(directory: Path) -> str:
    """Exactly what find_changelog looks for, in words."""
    folders = " and ".join(f"{f}/" for f in DOC_FOLDERS)
    return f"{', '.join(CANDIDATES)} in '{directory}', then in its {folders}"


def find_changelog(directory: Path, fix: str = FIX_NO_CHANGELOG) -> Path:
    """The project's change log: the first of CANDIDATES (any letter case) in ``directory``,
    else in one of its DOC_FOLDERS. ``fix`` says how the caller's user passes a path."""
    try:
        found = _first_candidate(directory)
        for folder in DOC_FOLDERS:
            if found is None and (directory / folder).is_dir():
                found = _first_candidate(directory / folder)
    except OSError as exc:
        raise InputError(
            f"Cannot read the directory '{directory}': {exc.strerror}.",
            "Run the command from the project's root or pass the change log's path.",
        ) from None
    if found is None:
        raise MissingNotesError(
            f"No change log found (looked for {looked_for(directory)}).", fix, missing="changelog"
        )
    return found
