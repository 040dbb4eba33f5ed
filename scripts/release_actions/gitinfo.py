"""What the local git checkout says: the release tag, the commit, a dirty tree."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Checkout:
    root: Path
    commit: str
    exact_tag: str | None  # a tag on HEAD itself
    nearest_tag: str | None  # the closest tag reachable from HEAD
    dirty: list[str]  # `git status --porcelain` lines
    remote_url: str | None


def _git(cwd: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def read_checkout(path: Path) -> Checkout | None:
    """The checkout ``path`` belongs to, or None outside git (or without git)."""
    root = _git(path, "rev-parse", "--show-toplevel")
    commit = _git(path, "rev-parse", "HEAD")
    if not root or not commit:
        return None
    exact = _git(path, "describe", "--tags", "--exact-match", "HEAD")
    nearest = exact or _git(path, "describe", "--tags", "--abbrev=0", "HEAD")
    status = _git(path, "status", "--porcelain", "--untracked-files=normal", "--", ".") or ""
    remote = _git(path, "remote", "get-url", "origin")
    return Checkout(Path(root), commit, exact, nearest, status.splitlines(), remote)


def github_repo_from_url(url: str | None) -> str | None:
    """``owner/repo`` from a GitHub remote URL (https or ssh), else None."""
    if not url:
        return None
    for prefix in (
        "https://github.com/",
        "http://github.com/",
        "git@github.com:",
        "ssh://git@github.com/",
    ):
        if url.startswith(prefix):
            rest = url[len(prefix) :].removesuffix("/").removesuffix(".git")
            parts = rest.split("/")
            if len(parts) == 2 and all(parts):
                return rest
    return None
