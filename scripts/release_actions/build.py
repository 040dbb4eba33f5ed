"""Build an sdist and a wheel in isolation, check them, and only then hand them over.

Builds run in a temporary directory; files move into the output directory
only after the version matches the tag and every check passes, so a failed
build never leaves artifacts behind. The front end is ``frontend`` (uv fills
its environments; uv is a dependency of this package); ``uv build`` builds
projects that configure uv, and ``python -m build`` is the fallback without uv.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from .checks import DistInfo, check_dist, check_dists, dist_kind, preload_renderers
from .errors import BuildError, InputError, ProjectError, VersionMismatchError
from .frontend import (
    Environment,
    backend_failed,
    build_isolated,
    load_pyproject,
    read_build_system,
    run_tool,
)
from .reporter import Reporter, Silent

if TYPE_CHECKING:
    from concurrent.futures import Future

# What the build backend (the project's own code, and its build dependencies)
# must never see: the job's OIDC request variables (it could mint tokens in the
# job's name), the runner's files for later steps' environment, PATH, outputs
# and state (it could poison them), shell start-up files, and credentials.
SCRUBBED_PREFIXES = ("ACTIONS_",)
SCRUBBED = frozenset({
    "GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY",
    "BASH_ENV", "ENV", "PROMPT_COMMAND",
    "GITHUB_TOKEN", "GH_TOKEN", "TWINE_PASSWORD", "TWINE_USERNAME", "RA_SIGNING_KEY",
})  # fmt: skip


@dataclass
class BuildResult:
    out_dir: Path
    name: str
    version: str
    dists: list[DistInfo]
    frontend: str
    source_date_epoch: str | None

    @property
    def artifacts(self) -> list[Path]:
        return [d.path for d in self.dists]


def find_uv() -> str | None:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def check_project(project_dir: Path) -> None:
    if not project_dir.exists():
        raise ProjectError(
            f"Project directory '{project_dir}' does not exist.",
            "Pass the directory that holds pyproject.toml (default: the current directory).",
        )
    if not project_dir.is_dir():
        raise ProjectError(
            f"'{project_dir}' is a file, not a project directory.",
            "Pass the directory that holds pyproject.toml.",
        )
    if not (project_dir / "pyproject.toml").is_file() and not (project_dir / "setup.py").is_file():
        raise ProjectError(
            f"'{project_dir}' has no pyproject.toml or setup.py.",
            "Run the command in the project's root, or pass that directory.",
        )


def declared_version(project_dir: Path) -> tuple[Version, str] | None:
    """The version a project states without running its backend, and where it says so.

    ``[project] version`` of pyproject.toml when it is not dynamic, else the
    PKG-INFO of an unpacked sdist; None when only the backend knows
    (setuptools-scm, hatch-vcs, a version read from the code).
    """
    try:
        project = load_pyproject(project_dir).get("project", {})
        if isinstance(project.get("version"), str) and "version" not in project.get("dynamic", []):
            return Version(project["version"]), "pyproject.toml"
    except (OSError, ValueError, AttributeError):
        pass  # no pyproject, or one the backend will complain about itself
    try:
        with (project_dir / "PKG-INFO").open("rb") as fh:
            from email.parser import BytesHeaderParser

            value = BytesHeaderParser().parse(fh).get("Version")
        if value:
            return Version(str(value)), "PKG-INFO"
    except (OSError, ValueError):
        pass
    return None


def readme_kinds(project_dir: Path) -> set[str]:
    """The markup of the project's readme ("md", "rst"): what ``[project] readme``
    names, else the suffix of a README at the top (a setup.py project's)."""
    try:
        readme = load_pyproject(project_dir).get("project", {}).get("readme")
    except (OSError, ValueError, AttributeError):
        readme = None
    if isinstance(readme, dict):
        kind = str(readme.get("content-type", ""))
        readme = readme.get("file") if not kind else ("x.md" if "markdown" in kind else "x.rst")
    names = [readme] if isinstance(readme, str) else [p.name for p in project_dir.glob("README*")]
    return {kind for name in names for kind in ("rst", "md") if name.lower().endswith("." + kind)}


def check_declared_version(project_dir: Path, expected: Version) -> None:
    """A tag the project's stated version contradicts fails before anything is compiled."""
    declared = declared_version(project_dir)
    if declared is not None and declared[0] != expected:
        raise VersionMismatchError(
            f"The tag says version {expected}, but {declared[1]} says version {declared[0]}.",
            "Bump the version in the project (or tag the commit that has it), then tag again.",
        )


def git_commit_epoch(project_dir: Path) -> str | None:
    """The last commit's timestamp, for reproducible archives; None outside git."""
    from . import git

    value = git.read(project_dir, "log", "-1", "--format=%ct", timeout=30)
    return value if value and value.isdigit() else None


def _external(
    project_dir: Path, tmp: Path, sdist: bool, wheel: bool, uv: str | None,
    env: Mapping[str, str], reporter: Reporter,
) -> tuple[list[Path], str]:  # fmt: skip
    """Build with ``uv build`` (a project that configures uv) or ``python -m build`` (no uv)."""
    # Neither flag means "sdist, then the wheel from the sdist" for both front ends.
    flags = (["--sdist"] if sdist else []) + (["--wheel"] if wheel else [])
    if sdist and wheel:
        flags = []
    if uv:
        cmd, frontend = [uv, "build", "--python", sys.executable, "--out-dir", str(tmp)], "uv build"
    else:
        cmd, frontend = [sys.executable, "-m", "build", "--outdir", str(tmp)], "build"
    reporter.info(f"building {project_dir} with {frontend}")
    proc = run_tool(
        [*cmd, *flags, str(project_dir.absolute())], "the build front end", cwd=project_dir, env=env
    )
    if proc.returncode != 0:
        raise backend_failed(proc.returncode, proc.stdout + proc.stderr)
    return sorted(p for p in tmp.iterdir() if p.is_file()), frontend


def build(
    project_dir: Path,
    out_dir: Path,
    *,
    sdist: bool = True,
    wheel: bool = True,
    expected_version: Version | None = None,
    clean: bool = False,
    env: Mapping[str, str] | None = None,
    reporter: Reporter | None = None,
    skip_checks: Mapping[str, str] | None = None,
    tree: Callable[[], Path] | None = None,
) -> BuildResult:
    """Build, check and move the distributions of ``project_dir`` into ``out_dir``.

    ``skip_checks`` maps the names of checks to skip to the maintainer's reasons.
    ``tree``, when given, returns the folder to build from once it is made (a
    rehearsal's clean checkout of ``project_dir``'s HEAD, made meanwhile): the
    build system, version and readme are read from ``project_dir``, whose
    committed files the checkout holds, and the first environment is under way
    before the checkout is there.
    """
    reporter = reporter or Silent()
    if not (sdist or wheel):
        raise InputError("Nothing to build.", "Ask for the sdist, the wheel, or both.")
    check_project(project_dir)
    if expected_version is not None:
        check_declared_version(project_dir, expected_version)
    out_dir = out_dir.absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            f"Output directory '{out_dir}' is a file.", "Pass a directory for --out-dir."
        )
    stale = _stale_dists(out_dir)
    strangers = [p for p in stale if not _recognised(p)]
    if clean and strangers:
        # --clean removes what a build wrote, never a file it cannot vouch for.
        raise InputError(
            f"'{out_dir}' holds {', '.join(p.name for p in strangers)}, which is not a distribution "
            "a build writes, so --clean leaves it alone.",
            "Move it out of the output directory (or pick another --out-dir), then build again.",
        )
    if stale and not clean:
        raise InputError(
            f"'{out_dir}' already holds distributions: {', '.join(p.name for p in stale)}.",
            "Remove them (or pass --clean) so old files cannot be released by accident.",
        )

    run_env = backend_environment(os.environ if env is None else env)
    epoch = run_env.get("SOURCE_DATE_EPOCH") or git_commit_epoch(project_dir)
    if epoch:
        run_env["SOURCE_DATE_EPOCH"] = epoch
    uv = find_uv()
    system = read_build_system(project_dir) if uv else None
    with tempfile.TemporaryDirectory(prefix="release-actions-build-") as tmp_name:
        tmp = Path(tmp_name)
        first = None
        if uv and system:
            # uv reaches the index and makes the first environment while the rest loads.
            first = Environment(
                tmp / "work" / "env", uv, run_env, project_dir.absolute(), system.requires
            ).start()
        # The readme's renderer loads while the environments are made and the backend works.
        threading.Thread(
            target=preload_renderers, args=(readme_kinds(project_dir),), daemon=True
        ).start()
        source = project_dir
        if tree is not None:
            try:
                source = tree()
                check_project(source)
            except BaseException:
                if first is not None:
                    first.join()  # uv still writes into the scratch folder that goes now
                raise
        from concurrent.futures import ThreadPoolExecutor

        early: dict[Path, Future[DistInfo]] = {}
        with ThreadPoolExecutor(max_workers=1) as checker:
            if first is not None and system is not None:
                frontend = "uv"
                reporter.info(f"building {source} in new environments that uv fills")
                produced = build_isolated(
                    source.absolute(), tmp / "dist", first, system,
                    sdist=sdist, wheel=wheel,
                    # The sdist is checked while its wheel builds.
                    on_sdist=lambda p: early.update({p: checker.submit(check_dist, p, skip_checks)}),
                )  # fmt: skip
            else:
                produced, frontend = _external(
                    source, tmp / "dist", sdist, wheel, uv, run_env, reporter
                )
            for name, reason in (skip_checks or {}).items():
                reporter.info(f"skipping the {name} check: {reason}")
            dists = check_dists(
                [p for p in sorted(produced) if _is_dist(p)], skip_checks, early=early
            )
        _check_counts(dists, sdist, wheel, produced)
        name, version = dists[0].name, dists[0].version
        if expected_version is not None and Version(version) != expected_version:
            raise VersionMismatchError(
                f"The tag says version {expected_version}, but the project builds version {version}.",
                "Bump the version in the project (or tag the commit that has it), then tag again.",
            )
        from packaging.utils import canonicalize_name

        others = [p for p in stale if _project_of(p) != canonicalize_name(name)]
        if others:
            raise InputError(
                f"'{out_dir}' holds {', '.join(p.name for p in others)}, which is not a "
                f"distribution of {name}, so --clean leaves it alone.",
                "Move it out of the output directory (or pick another --out-dir), then build again.",
            )
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in stale:
            old.unlink()
        for info in dists:
            target = out_dir / info.path.name
            shutil.move(str(info.path), target)
            info.path = target
    return BuildResult(out_dir, name, version, dists, frontend, epoch)


def backend_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The environment the build front end and backend run in: ``env`` without SCRUBBED."""
    return {
        name: value
        for name, value in env.items()
        if name.upper() not in SCRUBBED and not name.upper().startswith(SCRUBBED_PREFIXES)
    }


def _is_dist(path: Path) -> bool:
    try:
        dist_kind(path)
    except Exception:
        return False
    return True


def _recognised(path: Path) -> bool:
    """A file name a build front end writes: a valid wheel or sdist name, nothing else."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if path.name.endswith(".whl"):
            parse_wheel_filename(path.name)
        else:
            parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return False
    return True


def _project_of(path: Path) -> str:
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    if path.name.endswith(".whl"):
        return str(parse_wheel_filename(path.name)[0])
    return str(parse_sdist_filename(path.name)[0])


def _stale_dists(out_dir: Path) -> list[Path]:
    if not out_dir.is_dir():
        return []
    return sorted(p for p in out_dir.iterdir() if p.is_file() and _is_dist(p))


def _check_counts(dists: list[DistInfo], sdist: bool, wheel: bool, produced: list[Path]) -> None:
    kinds = [d.kind for d in dists]
    for kind, count in (("sdist", int(sdist)), ("wheel", int(wheel))):
        if kinds.count(kind) != count:
            listing = ", ".join(p.name for p in produced) or "nothing"
            raise BuildError(
                f"Expected {count} {kind}, the build produced: {listing}.",
                "Check the build backend's configuration.",
            )
