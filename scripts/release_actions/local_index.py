"""A package index in a folder: PEP 503 pages that pip installs from with file:// URLs.

The local rehearsal publishes here instead of PyPI. It keeps PyPI's rules
that matter to a release: a file name is published once — the same bytes
again are skipped, other bytes under that name are refused.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from .checks import read_dist
from .errors import PublishError
from .files import write_atomic
from .hashing import sha256_file


@dataclass
class FolderPublishResult:
    index_url: str
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def publish_to_folder(files: list[Path], root: Path) -> FolderPublishResult:
    """Copy distributions into ``root/<project>/`` and rewrite the index pages.

    Every file is checked against what is already there before the first
    copy, so a refused file leaves the index as it was.
    """
    simple = root.absolute()
    plan: list[tuple[Path, Path]] = []
    result = FolderPublishResult(simple.as_uri() + "/")
    # What each file's link needs, read once: the project pages list these without reading again.
    links: dict[str, tuple[object, str]] = {}
    for path in files:
        info = read_dist(path)
        links[path.name] = (info.metadata.get("requires_python"), sha256_file(path))
        project_dir = simple / canonicalize_name(info.name)
        target = project_dir / path.name
        if target.exists():
            if sha256_file(target) == links[path.name][1]:
                result.skipped.append(path.name)
                continue
            raise PublishError(
                f"'{path.name}' is already in the index at {project_dir} with other content.",
                "A published file name can never be reused: bump the version, or delete the rehearsal folder.",
            )
        plan.append((path, target))
    for path, target in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.partial")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
        result.uploaded.append(path.name)
    for project_dir in {t.parent for _, t in plan}:
        _write_project_page(project_dir, links)
    _write_root_page(simple)
    return result


def _write_project_page(project_dir: Path, known: dict[str, tuple[object, str]]) -> None:
    links = []
    for f in sorted(project_dir.iterdir()):
        if f.name.startswith(".") or f.name == "index.html" or not f.is_file():
            continue
        requires, digest = known.get(f.name) or (
            read_dist(f).metadata.get("requires_python"),
            sha256_file(f),
        )
        attr = f' data-requires-python="{html.escape(str(requires))}"' if requires else ""
        href = f"{html.escape(f.name)}#sha256={digest}"
        links.append(f'    <a href="{href}"{attr}>{html.escape(f.name)}</a><br>')
    name = html.escape(project_dir.name)
    _page(project_dir / "index.html", f"Links for {name}", links)


def _write_root_page(simple: Path) -> None:
    links = [
        f'    <a href="{html.escape(d.name)}/">{html.escape(d.name)}</a><br>'
        for d in sorted(simple.iterdir())
        if d.is_dir() and (d / "index.html").exists()
    ]
    _page(simple / "index.html", "Simple index", links)


def _page(path: Path, title: str, links: list[str]) -> None:
    body = "\n".join(links)
    text = (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{title}</title>\n  </head>\n  <body>\n    <h1>{title}</h1>\n"
        f"{body}\n  </body>\n</html>\n"
    )
    write_atomic(path, text.encode())
