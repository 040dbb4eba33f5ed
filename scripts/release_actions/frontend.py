"""A PEP 517 front end whose environments uv fills: the sdist, then the wheel from it.

The guarantees are those of ``uv build`` and ``python -m build``: each build
runs in a new virtual environment holding only the project's declared build
requirements, and the wheel is built from the unpacked sdist, so nothing the
sdist leaves out can reach the wheel. It is faster than either because the
backend is imported twice, not four times, and never while anything waits:

- Each build runs its hooks (get_requires, then build) in one interpreter,
  which imports the backend before it is told which tree to build (the others
  start an interpreter per hook).
- The wheel's interpreter starts, and imports the backend, while the sdist
  builds; it unpacks the sdist itself, in its own process, while the caller
  checks the sdist.
- The wheel shares the sdist's environment when what the sdist's build asked
  for changed nothing in it: it then holds exactly what a new one would.
  Otherwise the wheel gets a new one, made while the sdist builds.

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
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BuildError

OUTPUT_TAIL_LINES = 25
FIX_BACKEND = "Fix the error above; reproduce it with 'python -m build' in the project directory."

# PEP 517's fallback for projects without a [build-system] table (a setup.py alone).
LEGACY = ("setuptools.build_meta:__legacy__", ("setuptools>=40.8.0",))

# Runs inside the build environment, with the project folder as working directory.
# Standard library only. Its stdout is the control channel (one JSON object a
# line); everything the backend prints goes to stderr, which the caller keeps.
HOOKS = r"""
import importlib, json, os, sys

def load(spec):
    module, _, attribute = spec.partition(":")
    backend = importlib.import_module(module.strip())
    for name in filter(None, attribute.strip().split(".")):
        backend = getattr(backend, name)
    return backend

def unpack(sdist, into):
    # The sdist a wheel builds from, unpacked in the wheel's own interpreter while
    # the caller checks it: in the caller, each file written would wait for the
    # checks' turn at the interpreter lock.
    import tarfile
    try:
        with tarfile.open(sdist) as archive:
            archive.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        return {"error": str(exc)}
    return {"unpacked": sorted(e.name for e in os.scandir(into) if e.is_dir())}

def main():
    kind, spec, backend_path = json.loads(sys.argv[1])
    control = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # An installed backend is imported while the caller is still busy; one that
    # lives in the tree (backend-path) only once the tree is known.
    backend = None if backend_path else load(spec)
    job = sys.stdin.readline()
    if job.startswith("{"):
        control.write(json.dumps(unpack(*json.loads(job)["unpack"])) + "\n")
        control.flush()
        job = sys.stdin.readline()
    if not job:
        return 0
    source, out_dir = json.loads(job)
    os.chdir(source)
    if backend is None:
        sys.path[:0] = [os.path.abspath(p) for p in backend_path]
        backend = load(spec)
    get_requires = getattr(backend, "get_requires_for_build_" + kind, None)
    requires = list(get_requires(None)) if get_requires else []
    control.write(json.dumps({"requires": requires}) + "\n")
    control.flush()
    if sys.stdin.readline().strip() != "build":
        return 0
    hook = getattr(backend, "build_" + kind, None)
    if hook is None:
        print(f"The backend {spec} has no build_{kind} hook.", file=sys.stderr)
        return 1
    name = hook(out_dir, None) if kind == "sdist" else hook(out_dir, None, None)
    control.write(json.dumps({"built": name}) + "\n")
    control.flush()
    return 0

if __name__ == "__main__":
    sys.exit(main())
"""


@dataclass(frozen=True)
class BuildSystem:
    """What ``[build-system]`` declares (or PEP 517's fallback when there is none)."""

    backend: str
    requires: tuple[str, ...]
    backend_path: tuple[str, ...] = ()


def load_pyproject(project_dir: Path) -> dict[str, Any]:
    """The project's pyproject.toml as a table; OSError or ValueError when it cannot be read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the 'build' dependency brings tomli on 3.10
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    with (project_dir / "pyproject.toml").open("rb") as fh:
        document: dict[str, Any] = tomllib.load(fh)
    return document


def read_build_system(project_dir: Path) -> BuildSystem | None:
    """The project's build system; None when ``uv build`` should handle the project itself."""
    if (project_dir / "uv.toml").exists():
        return None
    if not (project_dir / "pyproject.toml").is_file():
        return BuildSystem(LEGACY[0], LEGACY[1])
    try:
        document = load_pyproject(project_dir)
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


def run_tool(
    cmd: list[str], what: str, *, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a build tool to the end, its output kept for the message if it fails."""
    try:
        return subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, errors="replace", check=False
        )
    except OSError as exc:
        raise BuildError(f"Could not start {what}: {exc}.") from None


class Environment:
    """A new virtual environment with the given requirements, made by venv and filled by uv.

    ``start`` makes it in a thread (uv's resolution, the longest part, runs in its own
    process while the caller goes on); ``ready`` waits for it and raises what went wrong.
    """

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
        self._maker: threading.Thread | None = None

    def start(self) -> Environment:
        self._maker = threading.Thread(target=self._create, daemon=True)
        self._maker.start()
        return self

    def _create(self) -> None:
        """Make the environment; a failure is kept for ``ready``."""
        try:
            import venv  # in this thread, while the caller still starts up

            venv.EnvBuilder(symlinks=os.name != "nt", with_pip=False).create(self.path)
            self.install(self.requires)
        except BuildError as error:
            self.error = error
        except OSError as exc:
            self.error = BuildError(
                f"Could not make the build environment: {exc}.",
                "Check the disk space and permissions of the temporary folder.",
            )

    def join(self) -> None:
        if self._maker is not None:
            self._maker.join()

    def ready(self) -> Environment:
        self.join()
        if self.error is not None:
            raise self.error
        return self

    def install(self, requirements: tuple[str, ...] | list[str]) -> bool:
        """Install what applies here; True when that changed the environment.

        A requirement whose marker excludes this interpreter (flit, for one, passes
        on the project's own ``extra == "..."`` dependencies) is never handed to uv.
        """
        # (Most requirements carry no marker: no need to load packaging's parser for them.)
        requirements = [r for r in requirements if ";" not in r or _applies(r)]
        if not requirements:
            return False
        before = self._installed()
        cmd = [self.uv, "pip", "install", "--quiet", "--python", str(self.python)]
        if self.env.get("UV_BUILD_CONSTRAINT"):
            cmd += ["--constraint", self.env["UV_BUILD_CONSTRAINT"]]
        proc = run_tool([*cmd, *requirements], "uv", cwd=self.cwd, env=self.env)
        if proc.returncode != 0:
            raise _failed(
                f"Installing the build requirements ({', '.join(requirements)}) failed",
                proc.returncode,
                proc.stdout + proc.stderr,
                "Check [build-system] requires in pyproject.toml, and that the package index "
                "is reachable.",
            )
        return self._installed() != before

    def _installed(self) -> set[str]:
        return {p.name for p in self.path.glob("lib*/*/site-packages/*")} | {
            p.name for p in self.path.glob("Lib/site-packages/*")
        }


def _applies(requirement: str) -> bool:
    """False for a requirement whose environment marker excludes this interpreter."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        marker = Requirement(requirement).marker
    except InvalidRequirement:
        return True  # uv reports it in its own words
    return marker is None or marker.evaluate({"extra": ""})


class Hooks:
    """One interpreter in a build environment that builds one distribution.

    It starts (and imports the backend) at once; ``requires`` tells it the tree
    and returns what the backend asks for beyond the environment; ``build``
    builds. ``close`` ends it if it is no longer needed.
    """

    def __init__(self, environment: Environment, system: BuildSystem, kind: str, cwd: Path) -> None:
        self.environment, self.kind = environment, kind
        self.control = environment.path.parent / f"hooks-{kind}-{environment.path.name}"
        self.control.mkdir()
        (self.control / "hooks.py").write_text(HOOKS, encoding="utf-8")
        self.log = self.control / "output.log"
        argument = json.dumps([kind, system.backend, list(system.backend_path)])
        with self.log.open("wb") as log:
            try:
                self.proc = subprocess.Popen(
                    [str(environment.python), str(self.control / "hooks.py"), argument],
                    cwd=cwd,
                    env=environment.run_env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                )
            except OSError as exc:
                raise BuildError(f"Could not start the build backend: {exc}.") from None

    def _say(self, line: str) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # it died: its output says why
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()

    def _hear(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            output = self.log.read_text(encoding="utf-8", errors="replace")
            raise backend_failed(self.proc.returncode, output)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def unpack(self, sdist: Path, into: Path) -> Path:
        """Have this interpreter unpack the sdist it is to build from; its one top folder.

        tarfile's "data" filter refuses what could land outside ``into`` (``..``,
        links out of the tree, devices) and drops modes no file of a source tree needs.
        """
        self._say(json.dumps({"unpack": [str(sdist), str(into)]}))
        reply = self._hear()
        if "error" in reply:
            raise BuildError(
                f"{sdist.name} cannot be unpacked: {reply['error']}.",
                "Check the build backend's configuration.",
            )
        tops: list[str] = reply["unpacked"]
        if len(tops) != 1:
            raise BuildError(
                f"{sdist.name} holds {len(tops)} top-level folders; an sdist holds one.",
                "Check the build backend's configuration.",
            )
        return into / tops[0]

    def requires(self, source: Path, out_dir: Path) -> list[str]:
        self._say(json.dumps([str(source), str(out_dir)]))
        return list(self._hear()["requires"])

    def build(self, out_dir: Path) -> Path:
        self._say("build")
        built = str(self._hear()["built"])
        self.close()
        path = out_dir / built
        if self.proc.returncode != 0 or not path.is_file():
            raise BuildError(
                f"The build backend said it wrote '{built}', but there is no such file.",
                "Check the build backend's configuration.",
            )
        return path

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def build_isolated(
    project_dir: Path,
    out_dir: Path,
    first: Environment,
    system: BuildSystem,
    *,
    sdist: bool,
    wheel: bool,
    on_sdist: Callable[[Path], None] = lambda _path: None,
) -> list[Path]:
    """Build what is asked into ``out_dir``, starting in ``first`` (made for ``system``).

    The folder that holds ``first`` is the scratch space. With both, the wheel
    is built from the sdist; ``on_sdist`` gets the sdist as soon as it exists,
    while the wheel still builds.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    work = first.path.parent
    made = [first]
    started: list[Hooks] = []

    def make(name: str, cwd: Path, requires: tuple[str, ...]) -> Environment:
        made.append(Environment(work / name, first.uv, first.env, cwd, requires).start())
        return made[-1]

    def start(environment: Environment, build_system: BuildSystem, kind: str) -> Hooks:
        started.append(Hooks(environment.ready(), build_system, kind, project_dir))
        return started[-1]

    try:
        if not sdist:
            hooks = start(first, system, "wheel")
            first.install(hooks.requires(project_dir, out_dir))
            return [hooks.build(out_dir)]
        hooks = start(first, system, "sdist")
        changed = first.install(hooks.requires(project_dir, out_dir))
        wheel_hooks: Hooks | None = None
        second: Environment | None = None
        if wheel and not changed:
            wheel_hooks = start(first, system, "wheel")
        elif wheel:
            second = make("env-wheel", project_dir, system.requires)
        built = [hooks.build(out_dir)]
        if not wheel:
            return built
        on_sdist(built[0])  # checked here while the wheel's interpreter unpacks it
        if wheel_hooks is None:
            assert second is not None
            wheel_hooks = start(second, system, "wheel")
        source = wheel_hooks.unpack(built[0], work / "unpacked")
        packed = read_build_system(source) or system
        if packed != system:
            # The sdist declares another build system than its tree: a new environment for it.
            wheel_hooks.close()
            wheel_hooks = start(make("env-packed", source, packed.requires), packed, "wheel")
        wheel_hooks.environment.install(wheel_hooks.requires(source, out_dir))
        built.append(wheel_hooks.build(out_dir))
        return built
    finally:
        for running in started:
            running.close()
        for environment in made:  # none may still write into the scratch space as it goes
            environment.join()
