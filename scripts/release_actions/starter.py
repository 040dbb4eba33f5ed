"""Starter workflows adapted to a project: what ``release-actions init`` writes.

The templates are the files in ``workflows-templates/`` (shipped in the wheel
as ``release_actions/templates``). Adapting one changes only what the project
decides: the suite's reference, the main branch, the project's directory and
change log, and the project's name in the PyPI environment's URL. Everything
else stays as the template says, so a copied workflow and an initialised one
behave the same.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import DEFAULT_ACTIONS, __version__, git
from .errors import ChangelogError, InputError, ProjectError

TEMPLATE_FILES = {
    "release": "python-release.yml",
    "matrix": "python-release-matrix.yml",
    "check": "python-release-check.yml",
}
WORKFLOW_FILES = {"release": "release.yml", "matrix": "release.yml", "check": "release-check.yml"}
# How the templates name the suite; init replaces it with the maintainer's pin.
TEMPLATE_REF = re.compile(r"release-actions/release-actions(?P<sub>(?:/actions/[\w-]+)?)@v1\b")
SHA = re.compile(r"[0-9a-f]{40}")
# Build back ends that only make sense for compiled code.
COMPILED_BACKENDS = ("maturin", "scikit_build_core", "mesonpy", "setuptools_rust", "enscons")
COMPILED_SOURCES = ("*.c", "*.cc", "*.cpp", "*.cxx", "*.pyx", "*.rs", "*.f90")
SKIPPED_DIRS = {"tests", "test", "docs", "doc", "build", "dist", "node_modules", "venv"}


@dataclass
class Project:
    """What init found out about the project it runs in."""

    project_dir: Path
    root: Path  # the repository's top level (where .github/workflows lives)
    name: str
    compiled: bool
    changelog: Path | None
    default_branch: str
    repo: str | None  # OWNER/REPO of the GitHub remote
    server_url: str = git.GITHUB  # its host: github.com or a GitHub Enterprise Server

    @property
    def subdir(self) -> str:
        rel = self.project_dir.relative_to(self.root).as_posix()
        return "" if rel == "." else rel


@dataclass
class Starter:
    """A workflow adapted to a project, and what the maintainer must still do."""

    kind: str
    path: Path
    text: str
    found: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)


def _toml(path: Path) -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProjectError(
            f"{path.name} cannot be read: {exc}.", "Fix the file so that pip can build the project."
        ) from None
    return data


def _table(data: dict[str, object], *keys: str) -> dict[str, object]:
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def _name(project_dir: Path, pyproject: dict[str, object]) -> str | None:
    for table in (_table(pyproject, "project"), _table(pyproject, "tool", "poetry")):
        if isinstance(table.get("name"), str) and table["name"]:
            return str(table["name"])
    setup_cfg = project_dir / "setup.cfg"
    if setup_cfg.is_file():
        m = re.search(r"(?ms)^\[metadata\].*?^name\s*=\s*(\S+)", setup_cfg.read_text("utf-8"))
        if m:
            return m.group(1)
    setup_py = project_dir / "setup.py"
    if setup_py.is_file():
        m = re.search(r"""\bname\s*=\s*["']([\w.-]+)["']""", setup_py.read_text("utf-8"))
        if m:
            return m.group(1)
    return None


def _sources(directory: Path, depth: int = 0) -> bool:
    """True when compiled sources sit in the project's own code (not tests, docs, builds)."""
    try:
        entries = list(directory.iterdir())
    except OSError:
        return False
    for entry in entries:
        if entry.is_file() and any(entry.match(p) for p in COMPILED_SOURCES):
            return True
        if (
            entry.is_dir()
            and depth < 4
            and not entry.name.startswith(".")
            and entry.name not in SKIPPED_DIRS
            and _sources(entry, depth + 1)
        ):
            return True
    return False


def _compiled(project_dir: Path, pyproject: dict[str, object]) -> bool:
    backend = str(_table(pyproject, "build-system").get("build-backend", ""))
    if backend.startswith(COMPILED_BACKENDS):
        return True
    if _table(pyproject, "tool", "cibuildwheel") or _table(pyproject, "tool", "setuptools").get(
        "ext-modules"
    ):
        return True
    setup_py = project_dir / "setup.py"
    if setup_py.is_file() and re.search(
        r"\bext_modules\b|\bExtension\(", setup_py.read_text("utf-8")
    ):
        return True
    return (project_dir / "Cargo.toml").is_file() or _sources(project_dir)


def _changelog(project_dir: Path) -> Path | None:
    """The change log the notes command would find (the project's top, then docs/)."""
    try:
        # Lazily: every command builds the parser, which reads this module (hash imports
        # nothing beyond the standard library).
        from .changelog import find_changelog

        return find_changelog(project_dir)
    except ChangelogError:
        return None


def _default_branch(root: Path) -> str:
    remote_head = git.read(root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
    if remote_head:
        return remote_head.split("/", 1)[-1]
    return git.read(root, "branch", "--show-current") or "main"


def inspect_project(project_dir: Path, *, name: str | None = None) -> Project:
    """Read what the workflow must know from the project's files and its git checkout."""
    project_dir = project_dir.resolve()
    markers = [project_dir / f for f in ("pyproject.toml", "setup.py", "setup.cfg")]
    if not any(p.is_file() for p in markers):
        raise ProjectError(
            f"'{project_dir}' has no pyproject.toml, setup.py or setup.cfg.",
            "Run 'release-actions init' in the project's directory (or pass it as the argument).",
        )
    pyproject = _toml(markers[0]) if markers[0].is_file() else {}
    found_name = name or _name(project_dir, pyproject)
    if not found_name:
        raise ProjectError(
            f"Cannot tell the name of the project in '{project_dir}' (no [project] name, setup.cfg or literal setup.py name).",
            "Pass --name with the name the project has on PyPI.",
        )
    top = git.top_level(project_dir)
    root = top.resolve() if top else project_dir
    origin = git.origin(root)
    return Project(
        project_dir=project_dir, root=root, name=found_name,
        compiled=_compiled(project_dir, pyproject), changelog=_changelog(project_dir),
        default_branch=_default_branch(root), repo=origin.slug if origin else None,
        server_url=origin.server_url if origin else git.GITHUB,
    )  # fmt: skip


def template_dir() -> Path:
    """The starter templates: in the wheel beside this module, in a checkout at the top."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parents[1] / "workflows-templates"):
        if (candidate / TEMPLATE_FILES["release"]).is_file():
            return candidate
    raise InputError(  # pragma: no cover - only a broken installation gets here
        "The starter workflow templates are missing from this installation.",
        "Reinstall release-actions (pip install --force-reinstall release-actions).",
    )


def _add_inputs(text: str, uses: str, inputs: dict[str, str]) -> str:
    """Add ``with:`` inputs to every step that uses ``uses`` (the template's reference)."""
    if not inputs:
        return text
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        m = re.match(r"^(\s*)(- )?uses: " + re.escape(uses) + r"(\s|$)", lines[i])
        if m:
            pad = " " * (len(m.group(1)) + (2 if m.group(2) else 0))
            if i + 1 < len(lines) and lines[i + 1].rstrip() == pad + "with:":
                i += 1
                out.append(lines[i])
            else:
                out.append(f"{pad}with:\n")
            out += [f"{pad}  {key}: {json.dumps(value)}\n" for key, value in inputs.items()]
        i += 1
    return "".join(out)


def _template_ref(action: str = "") -> str:
    """How a template names the umbrella action or one of the suite's actions."""
    return f"release-actions/release-actions{'/' + action if action else ''}@v1"


def _actions_pin(actions: str) -> tuple[str, str, bool]:
    """(OWNER/REPO, '@REF[ # vX.Y.Z]', pinned to a commit?) from --actions OWNER/REPO@REF.

    A commit is taken to be this version's release commit: the comment beside
    it names the version, as Dependabot expects.
    """
    m = re.fullmatch(r"([\w.-]+/[\w.-]+)@([\w./-]+)", actions)
    if not m:
        raise InputError(
            f"'{actions}' is not OWNER/REPO@REF.",
            "Pass --actions like 'octo/release-actions@<40-hex commit SHA>'.",
        )
    repo, ref = m.groups()
    pinned = SHA.fullmatch(ref) is not None
    return repo, f"@{ref} # v{__version__}" if pinned else f"@{ref}", pinned


def _index_name(name: str) -> str:
    """The project's name as PyPI's URLs spell it (PEP 503)."""
    from packaging.utils import canonicalize_name  # init's start-up stays free of packaging

    return canonicalize_name(name)


def _pypi_todo(project: Project, workflow: str) -> list[str]:
    owner, _, repository = (project.repo or "<owner>/<repository>").partition("/")
    normalized = _index_name(project.name)
    url = (
        f"https://pypi.org/manage/project/{normalized}/settings/publishing/?provider=github"
        f"&owner={owner}&repository={repository}&workflow_filename={workflow}&environment=pypi"
    )
    lines = [
        f"On PyPI, add a trusted publisher to {project.name} (a project not on PyPI yet: a pending "
        "publisher at https://pypi.org/manage/account/publishing/) with these values:",
        f"    PyPI Project Name: {project.name}",
        f"    Owner: {owner}",
        f"    Repository name: {repository}",
        f"    Workflow name: {workflow}",
        "    Environment name: pypi",
        f"  or open the form filled in: {url}",
    ]
    if project.repo is None:
        lines.append(
            "  (No GitHub remote named origin was found: use your repository's owner and name.)"
        )
    return lines


def _github_todo(project: Project) -> list[str]:
    where = f"{project.server_url}/{project.repo}/settings/environments" if project.repo else (
        "the repository's Settings → Environments"
    )  # fmt: skip
    return [
        f'On GitHub, create the environment "pypi" ({where}): add required reviewers, who '
        "approve each upload after checking the draft release, and limit its deployment tags "
        "to your release tags (for example v*).",
        "Optionally set the repository variable PUBLISH_RELEASE_PAGE=true to publish the "
        "release page as soon as PyPI has the files (by default it stays a draft for you to publish).",
    ]


def adapt(kind: str, project: Project, actions: str = DEFAULT_ACTIONS) -> Starter:
    """The ``kind`` template adapted to ``project``, with the maintainer's remaining steps."""
    if kind not in TEMPLATE_FILES:
        raise InputError(
            f"There is no '{kind}' template.", f"Choose one of: {', '.join(TEMPLATE_FILES)}."
        )
    text = (template_dir() / TEMPLATE_FILES[kind]).read_text(encoding="utf-8")
    workflow = WORKFLOW_FILES[kind]
    starter = Starter(kind, project.root / ".github" / "workflows" / workflow, "")
    sub = project.subdir
    changelog = None

    # Inputs first, while the steps still use the template's own reference.
    # Paths are relative to the repository's top, where the jobs start.
    if sub:
        text = _add_inputs(text, _template_ref("actions/build"), {"project-dir": sub})
        text = _add_inputs(text, _template_ref(), {"project-dir": sub})
    if project.changelog is not None:
        changelog = project.changelog.relative_to(project.root).as_posix()
        # The release page looks for the change log at the top, the umbrella's
        # notes in the project's directory: name it where neither would look.
        if project.changelog.parent != project.root:
            text = _add_inputs(
                text, _template_ref("actions/release-page"), {"changelog": changelog}
            )
        if project.changelog.parent != project.project_dir:
            text = _add_inputs(text, _template_ref(), {"changelog": changelog})
    elif kind == "check":
        # Nothing to check the notes against: GitHub's generated notes stand in.
        text = text.replace(
            'notes: "true"',
            'notes: "false" # no change log: releases use GitHub\'s generated notes',
            1,
        )

    repo, pin, pinned = _actions_pin(actions)
    text = TEMPLATE_REF.sub(lambda m: f"{repo}{m.group('sub')}{pin}", text)
    text = text.replace("$default-branch", project.default_branch)
    normalized = _index_name(project.name)
    text = re.sub(
        r"pypi\.org/project/\$\{\{ needs\.\w+\.outputs\.name \}\}/",
        f"pypi.org/project/{normalized}/",
        text,
    )
    first, _, rest = text.partition("\n")
    header = f"# Written by `release-actions init` {__version__} for {project.name}; keep its pins current with Dependabot (package-ecosystem: github-actions)."
    text = (header if first.startswith("# Replace") else first) + "\n" + rest

    compiled = "compiled code: wheels per platform" if project.compiled else "pure Python"
    starter.found.append(f"template: {kind} ({compiled})")
    starter.found.append(f"project: {project.name}" + (f" in {sub}/" if sub else ""))
    starter.found.append(f"change log: {changelog}" if changelog else "change log: none found")
    starter.found.append(f"actions: {repo}{pin}")
    if not pinned:
        starter.todo.append(
            f"Pin the actions to a commit: rerun with --actions {repo}@<40-hex commit SHA of v{__version__}> "
            "(a tag can be moved; a commit cannot)."
        )
    if changelog is None:
        starter.todo.append(
            "No change log: each release page gets GitHub's generated notes, with a warning. To "
            "write the notes yourself, add CHANGES.md or CHANGES.rst with a section per version "
            "and run init again (--force)."
        )
    if kind == "check":
        starter.todo.append("Commit the workflow: it rehearses the release on every pull request.")
    else:
        starter.todo += _pypi_todo(project, workflow)
        starter.todo += _github_todo(project)
        starter.todo.append("Commit the workflow, then push a tag v<version> to release.")
    starter.text = text
    return starter


def default_kind(project: Project) -> str:
    return "matrix" if project.compiled else "release"


def write(starter: Starter, *, force: bool = False) -> Path:
    """Write the workflow; an existing file is replaced only with ``force``."""
    from .files import write_atomic

    if starter.path.exists() and not force:
        raise InputError(
            f"{starter.path} already exists.",
            "Compare it with the template, or pass --force to replace it.",
        )
    write_atomic(starter.path, starter.text.encode())
    # A file for people and for git: the usual mode, not the temporary file's 0600.
    umask = os.umask(0)
    os.umask(umask)
    starter.path.chmod(0o666 & ~umask)
    return starter.path
