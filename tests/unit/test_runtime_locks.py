"""Each action installs only what it imports: its runtime lock against its commands' imports.

An action's bootstrap step names a runtime (``RA_RUNTIME``): ``stdlib`` (the base
interpreter alone) or a lock in ``scripts/requirements/``. The CLI command each of its
steps runs is followed through the package's imports, read from the source with ``ast``:
a module's top-level imports always, its imports inside functions only where the command
itself leads (a parent package's ``__init__`` runs, its functions do not). Every
third-party module reached must come from a distribution of that lock, and every
requirement a lock's ``.in`` names must be imported by some action that uses it.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from support.paths import ROOT

PACKAGE = ROOT / "scripts" / "release_actions"
CLI = "release_actions.cli."
LOCKS = ROOT / "scripts" / "requirements"
# The step script an action runs → the CLI module of the command it calls.
COMMANDS = {
    "attest": "attest",
    "audit": "audit",
    "build": "build",
    "hash": "hashes",
    "notes": "notes",
    "publish": "publish",
    "release-page": "release_page",
    "verify": "verify",
}
# Imports inside a function that the static walk reaches but no command of the
# runtime runs, each with the reason it is safe.
UNREACHED: dict[tuple[str, str], str] = {}

# What the bootstrap adds to a runtime beside its lock.
ADDED = {"build": {"uv"}}  # the job's checked uv wheel, for the build front end
# Distributions a runtime runs as programs rather than imports.
PROGRAMS = {"build": {"build"}}  # `python -m build`, the front end where uv cannot run


class Module:
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self.top: set[str] = set()
        self.lazy: set[str] = set()
        self.external_top: set[str] = set()
        self.external_lazy: set[str] = set()
        self._visit(ast.parse(path.read_text(), str(path)), package, lazy=False)
        self.top.discard(name)
        self.lazy.discard(name)

    def _visit(self, node: ast.AST, package: str, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # never runs
            inner = lazy
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                # Every command builds the whole parser: each cli module's add() runs.
                inner = lazy or not (self.name.startswith(CLI) and child.name == "add")
            if isinstance(child, ast.Import | ast.ImportFrom):
                ours, theirs = _targets(child, package)
                (self.lazy if lazy else self.top).update(ours)
                (self.external_lazy if lazy else self.external_top).update(theirs)
            self._visit(child, package, inner)


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> tuple[set[str], set[str]]:
    if isinstance(node, ast.ImportFrom) and node.level:
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, node.module] if node.module else base)
        names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
        return {_existing(n) for n in names} - {""}, set()
    names = (
        [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    )
    ours = {_existing(n) for n in names if n.startswith("release_actions")} - {""}
    theirs = {
        n.partition(".")[0]
        for n in names
        if n and not n.startswith("release_actions") and n != "__future__"
    } - set(sys.stdlib_module_names)
    return ours, theirs


def _existing(target: str) -> str:
    while target:
        relative = target.split(".")[1:]
        if (
            PACKAGE.joinpath(*relative).with_suffix(".py").exists()
            or (PACKAGE.joinpath(*relative) / "__init__.py").exists()
        ):
            return target
        target = target.rpartition(".")[0]
    return ""


@cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = Module(name, path)
    return found


def third_party_imports(command: str) -> dict[str, str]:
    """Third-party top-level modules the command may import → the module of ours that does."""
    graph = modules()
    start = f"release_actions.cli.{command}"
    todo: list[tuple[str, bool]] = [(start, True)]
    seen: set[tuple[str, bool]] = set()
    found: dict[str, str] = {}
    while todo:
        name, follow_lazy = todo.pop()
        if (name, follow_lazy) in seen:
            continue
        seen.add((name, follow_lazy))
        module = graph[name]
        parts = name.split(".")
        todo += [(".".join(parts[:i]), False) for i in range(1, len(parts))]
        todo += [(m, follow_lazy) for m in module.top]
        external = set(module.external_top)
        if follow_lazy:
            todo += [(m, True) for m in module.lazy]
            external |= {e for e in module.external_lazy if (name, e) not in UNREACHED}
        for e in external:
            found.setdefault(e, name)
    return found


@cache
def distributions_of() -> dict[str, set[str]]:
    return {
        module: {canonicalize_name(d) for d in dists}
        for module, dists in packages_distributions().items()
    }


def lock_names(runtime: str) -> set[str]:
    text = (LOCKS / f"{runtime}.txt").read_text()
    names = {canonicalize_name(m) for m in re.findall(r"^([A-Za-z0-9][\w.-]*)==", text, re.M)}
    return names | ADDED.get(runtime, set())


def action_steps() -> list[tuple[str, str, str]]:
    """(action file, step script, runtime) for every step of ours in every action."""
    found = []
    for path in [ROOT / "action.yml", *sorted((ROOT / "actions").glob("*/action.yml"))]:
        steps = yaml.safe_load(path.read_text())["runs"]["steps"]
        runtimes = {
            step["id"]: step["env"]["RA_RUNTIME"]
            for step in steps
            if "bootstrap.sh" in step.get("run", "")
        }
        for step in steps:
            script = re.search(r"scripts/steps/([\w-]+)\.sh", step.get("run", ""))
            if not script:
                continue
            source = re.fullmatch(
                r"\$\{\{ steps\.([\w-]+)\.outputs\.python \}\}", step["env"]["RA_PYTHON"]
            )
            assert source, f"{path}: {step['name']} takes RA_PYTHON from no bootstrap step"
            label = str(path.relative_to(ROOT))
            found.append((label, script.group(1), runtimes[source.group(1)]))
    return found


def violations(command: str, runtime: str) -> list[str]:
    imported = third_party_imports(command)
    if runtime == "stdlib":
        return [f"{m} (imported by {who})" for m, who in sorted(imported.items())]
    allowed = lock_names(runtime)
    return [
        f"{m} (imported by {who}; from {sorted(distributions_of().get(m, {m}))})"
        for m, who in sorted(imported.items())
        if not distributions_of().get(m, {canonicalize_name(m)}) & allowed
    ]


STEPS = action_steps()


def test_every_action_step_names_a_runtime_and_a_known_command() -> None:
    assert len(STEPS) >= 10
    for action, script, runtime in STEPS:
        assert script in COMMANDS, (action, script)
        assert runtime == "stdlib" or (LOCKS / f"{runtime}.txt").is_file(), (action, runtime)


@pytest.mark.parametrize(("action", "script", "runtime"), STEPS)
def test_each_action_imports_only_what_its_runtime_installs(
    action: str, script: str, runtime: str
) -> None:
    assert violations(COMMANDS[script], runtime) == [], f"{action}: {script} on {runtime}"


def test_hash_needs_nothing_beyond_the_standard_library() -> None:
    assert ("actions/hash/action.yml", "hash", "stdlib") in STEPS
    assert third_party_imports("hashes") == {}


def test_every_unreached_import_listed_is_still_there() -> None:
    """A reason kept after its import is gone would hide the next one."""
    for module, external in UNREACHED:
        assert external in modules()[module].external_lazy, (module, external)


def test_the_check_would_catch_build_importing_sigstore() -> None:
    """The same walk finds sigstore behind attest, so the build lock would be caught."""
    assert "sigstore" in third_party_imports("attest")
    assert "sigstore" not in lock_names("build")
    assert any(v.startswith("sigstore ") for v in violations("attest", "build"))


def test_every_lock_is_used_and_each_requirement_is_imported() -> None:
    users: dict[str, set[str]] = {}
    for _action, script, runtime in STEPS:
        users.setdefault(runtime, set()).add(COMMANDS[script])
    sources = {p.stem for p in LOCKS.glob("*.in")} - {"uv"}
    assert sources == set(users) - {"stdlib"}
    for runtime in sources:
        imported = set(PROGRAMS.get(runtime, set()))
        for command in users[runtime]:
            for module in third_party_imports(command):
                imported |= distributions_of().get(module, {canonicalize_name(module)})
        text = (LOCKS / f"{runtime}.in").read_text()
        required = {
            canonicalize_name(Requirement(line).name)
            for line in text.splitlines()
            if line.strip() and not line.startswith("#")
        }
        assert required - imported == set(), f"{runtime}.in names what none of its actions imports"


@pytest.mark.parametrize("lock", sorted(p.name for p in LOCKS.glob("*.txt")))
def test_each_lock_is_hashed_and_compiled_with_a_cooldown(lock: str) -> None:
    text = (LOCKS / lock).read_text()
    header = text.splitlines()[1]
    assert header.startswith("#    uv pip compile scripts/requirements/")
    assert "--generate-hashes" in header
    assert re.search(r"--exclude-newer \d{4}-\d\d-\d\dT", header)
    assert f"-o scripts/requirements/{lock}" in header
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_uv_pin_is_its_own_hashed_file() -> None:
    text = (LOCKS / "uv.txt").read_text()
    assert re.findall(r"^([a-z][\w-]*)==", text, re.M) == ["uv"]
    assert text.count("--hash=sha256:") >= 10  # one per platform's wheel
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    assert "awk" not in bootstrap
    assert "--require-hashes" in bootstrap
    assert "requirements/uv.txt" in bootstrap


@pytest.mark.parametrize("source", sorted(p.name for p in LOCKS.glob("*.in")))
def test_each_lock_pins_what_its_source_names(source: str) -> None:
    """A requirement added to a .in without running scripts/lock.sh fails here."""
    runtime = source.removesuffix(".in")
    required = {
        canonicalize_name(Requirement(line).name)
        for line in (LOCKS / source).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert required
    assert required - (lock_names(runtime) - ADDED.get(runtime, set())) == set()
