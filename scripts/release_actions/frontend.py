"""A PEP 517 front end whose environments uv fills: the sdist, then the wheel from it.

The guarantees are those of ``uv build`` and ``python -m build``: each build
runs in a new virtual environment holding only the project's declared build
requirements, and the wheel is built from the unpacked sdist, so nothing the
sdist leaves out can reach the wheel. Two things make it faster than either:

- Each build asks the backend for its extra requirements and then builds in
  one interpreter (the others start one per hook, importing the backend twice).
- The wheel's environment is made while the backend writes the sdist, and the
  caller is handed the sdist (to check it) while the wheel builds.

Projects that configure uv itself (``[tool.uv]``, ``uv.toml``) or whose
``[build-system]`` table is unusual are built by ``uv build`` instead, which
reads that configuration and reports such tables in its own words.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tarfile
import threading
import venv
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

OUTPUT_TAIL_LINES = 25
FIX_BACKEND = "Fix the error above; reproduce it with 'python -m build' in the project directory."

# PEP 517's fallback for projects without a [build-system] table (a setup.py alone).
LEGACY = ("setuptools.build_meta:__legacy__", ("setuptools>=40.8.0",))

# Runs inside the build environment, with the project folder as working directory.
# Standard library only. Its stdout is the control channel (one JSON object a
# line); everything the backend prints goes to stderr, which the caller keeps.
HOOKS = r"""
import importlib, json, os, sys, traceback

def main():
    kind, backend_spec, backend_path, out_dir = json.loads(sys.argv[1])
    control = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path[:0] = [os.path.abspath(p) for p in backend_path]
    module, _, attribute = backend_spec.partition(":")
    backend = importlib.import_module(module.strip())
    for name in filter(None, attribute.strip().split(".")):
        backend = getattr(backend, name)
    get_requires = getattr(backend, "get_requires_for_build_" + kind, None)
    requires = list(get_requires(None)) if get_requires else []
    control.write(json.dumps({"requires": requires}) + "\n")
    control.flush()
    if sys.stdin.readline().strip() != "build":
        return 0
    hook = getattr(backend, "build_" + kind, None)
    if hook is None:
        print(f"The backend {backend_spec} has no build_{kind} hook.", file=sys.stderr)
        return 1
    name = hook(out_dir, None) if kind == "sdist" else hook(out_dir, None, None)
    control.write(json.dumps({"built": name}) + "\n")
    control.flush()
    return 0

sys.exit(main())
"""


@dataclass(frozen=True)
class BuildSystem:
    """What ``[build-system]`` declares (or PEP 517's fallback when there is none)."""

    backend: str
    requires: tuple[str, ...]
    backend_path: tuple[str, ...] = ()


def read_build_system(project_dir: Path) -> BuildSystem | None:
    """The project's build system; None when ``uv build`` should handle the project itself."""
    if (project_dir / "uv.toml").exists():
        return None
    pyproject = project_dir / "pyproject.toml"
    if not pyproject.is_file():
        return BuildSystem(LEGACY[0], LEGACY[1])
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the 'build' dependency brings tomli on 3.10
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        with pyproject.open("rb") as fh:
            document = tomllib.load(fh)
    except (OSError, ValueError):
        return None
    if "uv" in document.get("tool", {}):
        return None
    table = document.get("build-system")
    if table is None:
        return BuildSystem(LEGACY[0], LEGACY[1])
    requires = table.get("requires") if isinstance(table, dict) else None
    backend = table.get("build-backend", LEGACY[0]) if isinstance(table, dict) else None
    paths = table.get("backend-path", []) if isinstance(table, dict) else None
    if (
        not isinstance(requires, list)
        or not all(isinstance(r, str) for r in requires)
        or not isinstance(backend, str)
        or not backend.strip()
        or not isinstance(paths, list)
        or not all(isinstance(p, str) for p in paths)
    ):
        return None
    return BuildSystem(backend, tuple(requires), tuple(paths))


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-OUTPUT_TAIL_LINES:])


def backend_failed(code: int, output: str) -> BuildError:
    return _failed("The build backend failed", code, output)


def _failed(what: str, code: int, output: str, fix: str = FIX_BACKEND) -> BuildError:
    tail = _tail(output)
    return BuildError(
        f"{what} (exit code {code}). Last lines:\n{tail}", fix, details=f"```\n{tail}\n```"
    )


class Environment:
    """A new virtual environment with the given requirements, made by venv and filled by uv."""

    def __init__(
        self, path: Path, uv: str, env: Mapping[str, str], cwd: Path, requires: tuple[str, ...]
    ) -> None:
        self.path, self.uv, self.env, self.cwd = path, uv, env, cwd
        self.requires = requires
        scripts = "Scripts" if os.name == "nt" else "bin"
        self.python = path / scripts / ("python.exe" if os.name == "nt" else "python")
        self.run_env = {
            **env,
            "PATH": os.pathsep.join([str(path / scripts), env.get("PATH", os.defpath)]),
            "VIRTUAL_ENV": str(path),
        }
        self.run_env.pop("PYTHONHOME", None)
        self.error: BuildError | None = None

    def create(self) -> None:
        """Make the environment; a failure is kept for ``ready`` (this may run in a thread)."""
        try:
            venv.EnvBuilder(symlinks=os.name != "nt", with_pip=False).create(self.path)
            self.install(self.requires)
        except BuildError as error:
            self.error = error
        except OSError as exc:
            self.error = BuildError(
                f"Could not make the build environment: {exc}.",
                "Check the disk space and permissions of the temporary folder.",
            )

    def ready(self) -> Environment:
        if self.error is not None:
            raise self.error
        return self

    def install(self, requirements: tuple[str, ...] | list[str]) -> None:
        if not requirements:
            return
        cmd = [self.uv, "pip", "install", "--quiet", "--python", str(self.python)]
        if self.env.get("UV_BUILD_CONSTRAINT"):
            cmd += ["--constraint", self.env["UV_BUILD_CONSTRAINT"]]
        try:
            proc = subprocess.run(
                [*cmd, *requirements],
                cwd=self.cwd,
                env=self.env,
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
            )
        except OSError as exc:
            raise BuildError(f"Could not start uv: {exc}.") from None
        if proc.returncode != 0:
            raise _failed(
                f"Installing the build requirements ({', '.join(requirements)}) failed",
                proc.returncode,
                proc.stdout + proc.stderr,
                "Check [build-system] requires in pyproject.toml, and that the package index "
                "is reachable.",
            )


def _start(environment: Environment, threads: list[threading.Thread]) -> Environment:
    thread = threading.Thread(target=environment.create, daemon=True)
    thread.start()
    threads.append(thread)
    return environment


def run_backend(
    environment: Environment, system: BuildSystem, kind: str, source: Path, out_dir: Path
) -> Path:
    """Ask the backend for its extra requirements, install them, build; the file it wrote."""
    control = environment.path.parent / f"hooks-{kind}"
    control.mkdir()
    (control / "hooks.py").write_text(HOOKS, encoding="utf-8")
    (control / "output.log").touch()
    argument = json.dumps([kind, system.backend, list(system.backend_path), str(out_dir)])
    with (control / "output.log").open("ab") as log:
        try:
            proc = subprocess.Popen(
                [str(environment.python), str(control / "hooks.py"), argument],
                cwd=source,
                env=environment.run_env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        except OSError as exc:
            raise BuildError(f"Could not start the build backend: {exc}.") from None
        assert proc.stdin is not None
        assert proc.stdout is not None
        built = ""
        with proc:
            message = proc.stdout.readline()
            if message:
                requires = json.loads(message)["requires"]
                environment.install(requires)
                with contextlib.suppress(BrokenPipeError):  # it died: its output says why
                    proc.stdin.write("build\n")
                    proc.stdin.close()
                reply = proc.stdout.readline()
                built = json.loads(reply)["built"] if reply else ""
        output = (control / "output.log").read_text(encoding="utf-8", errors="replace")
    if proc.returncode != 0 or not built:
        raise backend_failed(proc.returncode, output)
    path = out_dir / built
    if not path.is_file():
        raise BuildError(
            f"The build backend said it wrote '{built}', but there is no such file.",
            "Check the build backend's configuration.",
        )
    return path


def unpack_sdist(sdist: Path, into: Path) -> Path:
    """The sdist's one top folder, unpacked (links and absolute paths refused)."""
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    folders = [p for p in into.iterdir() if p.is_dir()]
    if len(folders) != 1:
        raise BuildError(
            f"{sdist.name} holds {len(folders)} top-level folders; an sdist holds one.",
            "Check the build backend's configuration.",
        )
    return folders[0]


def build_isolated(
    project_dir: Path,
    out_dir: Path,
    work: Path,
    system: BuildSystem,
    *,
    sdist: bool,
    wheel: bool,
    uv: str,
    env: Mapping[str, str],
    on_sdist: Callable[[Path], None] = lambda _path: None,
) -> list[Path]:
    """Build what is asked into ``out_dir`` (``work`` is an empty scratch folder).

    With both, the wheel is built from the sdist; ``on_sdist`` gets the sdist as
    soon as it exists, while the wheel still builds.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    threads: list[threading.Thread] = []
    first = _start(Environment(work / "env-first", uv, env, project_dir, system.requires), threads)
    second = None
    if sdist and wheel:
        # Most sdists declare the build system of their tree: prepare for it now.
        second = _start(
            Environment(work / "env-wheel", uv, env, project_dir, system.requires), threads
        )
    try:
        threads[0].join()
        if not sdist:
            return [run_backend(first.ready(), system, "wheel", project_dir, out_dir)]
        built = [run_backend(first.ready(), system, "sdist", project_dir, out_dir)]
        if second is None:
            return built
        source = unpack_sdist(built[0], work / "unpacked")
        on_sdist(built[0])
        threads[1].join()
        packed = read_build_system(source) or system
        if packed != system:
            second = Environment(work / "env-packed", uv, env, source, packed.requires)
            second.create()
        built.append(run_backend(second.ready(), packed, "wheel", source, out_dir))
        return built
    finally:
        for thread in threads:
            thread.join()
