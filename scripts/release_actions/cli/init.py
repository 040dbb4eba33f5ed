"""release-actions init: write a starter workflow adapted to the project, and say what is left."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import DEFAULT_ACTIONS, gha
from ._shared import Parser, rel, repo_arg


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "init",
        help="write a release workflow for this project into .github/workflows/",
        description="Write one of the starter workflows into the repository's .github/workflows/, "
        "adapted to the project: its directory, change log, name and main branch, the wheel "
        "matrix for compiled code. Then print what is left to do on PyPI and GitHub.",
    )
    p.add_argument("project_dir", nargs="?", type=Path, default=Path(), metavar="PROJECT_DIR",
                   help="the project's directory (default: the current directory)")  # fmt: skip
    p.add_argument("--template", choices=("release", "matrix", "check"),
                   help="release (sdist + wheel), matrix (cibuildwheel wheels) or check (pull "
                   "requests); default: matrix for compiled code, else release")  # fmt: skip
    p.add_argument("--actions", default=DEFAULT_ACTIONS, metavar="OWNER/REPO@REF",
                   help="how the workflow names this suite: pin the commit of the release you installed "
                   f"(default: {DEFAULT_ACTIONS})")  # fmt: skip
    p.add_argument("--name", help="the project's name on PyPI (default: from its metadata)")
    p.add_argument("--repo", metavar="OWNER/REPO",
                   help="the GitHub repository (default: the origin remote)")  # fmt: skip
    p.add_argument("--force", action="store_true", help="replace an existing workflow file")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..starter import adapt, default_kind, inspect_project, write

    project = inspect_project(args.project_dir, name=args.name)
    project.repo = repo_arg(args.repo, {}) or project.repo
    starter = adapt(args.template or default_kind(project), project, args.actions)
    path = write(starter, force=args.force)
    print(f"Wrote {rel(path)}")
    for line in starter.found:
        print(f"  {line}")
    print("\nStill to do:")
    for number, item in enumerate(_items(starter.todo), 1):
        print(f"{number}. {item}")
    return 0


def _items(lines: list[str]) -> list[str]:
    """Indented lines continue the item before them."""
    items: list[str] = []
    for line in lines:
        if line.startswith(" ") and items:
            items[-1] += "\n   " + line
        else:
            items.append(line)
    return items
