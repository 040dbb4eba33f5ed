"""What every command module shares: the parser class and how values are shown and read."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from .. import gha
from ..errors import InputError, UsageError, shown

Handler = Callable[[argparse.Namespace, gha.Runner], int]


class Parser(argparse.ArgumentParser):
    """Usage errors become UsageError, so they are reported like every other error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}.", f"See '{self.prog} --help'.")


def rel(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def read_subjects_arg(value: str) -> tuple[str, str]:
    """(text, where) of --subjects: a file, or '-' for standard input."""
    if value == "-":
        return sys.stdin.read(), "standard input"
    try:
        return Path(value).read_text(encoding="utf-8"), value
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise InputError(f"The subjects file '{value}' cannot be read: {reason}.",
                         "Pass the SHA256SUMS file the hash action wrote, or '-' to read standard input.") from None  # fmt: skip


def repo_arg(value: str | None, env: dict[str, str]) -> str | None:
    """--repo, else the runner's GITHUB_REPOSITORY; it must look like OWNER/REPO."""
    repo = value or env.get("GITHUB_REPOSITORY") or None
    if repo is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise UsageError(f"'{shown(repo)}' is not OWNER/REPO.", "Pass --repo like 'pallets/flask'.")
    return repo
