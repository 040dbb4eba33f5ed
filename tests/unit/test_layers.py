"""The package's import layers, checked rather than hoped for: cli → stages → leaves.

Every intra-package import (lazy ones inside functions included) is read from the
source with ``ast``. A known violation is listed with its reason; fixing it fails this
test until the list shrinks, and a new one fails it at once.
"""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import ROOT

PACKAGE = ROOT / "scripts" / "release_actions"

# Leaves hold one concept each and depend on nothing of ours but the error types.
LEAVES = {
    "release_actions.errors",
    "release_actions.files",
    "release_actions.versions",
    "release_actions.hashing",
    "release_actions.gha",
    "release_actions.verify.text",
    "release_actions.text",
    "release_actions.reporter",
    "release_actions.markdown",
    "release_actions.git",
    "release_actions.retry",
    "release_actions.deadline",
    "release_actions.frontend",
}
# Only the command layer talks to the runner (GITHUB_OUTPUT, annotations, summaries).
RUNNER = "release_actions.gha"
KNOWN: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
                if node.module:
                    found.add(target)
                else:  # from . import a, b
                    found |= {f"{target}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.ImportFrom | ast.Import):
                modules = (
                    [node.module]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                found |= {m for m in modules if m and m.startswith("release_actions")}
        graph[name] = {_existing(t) for t in found} - {name, ""}
    return graph


def _existing(target: str) -> str:
    """``release_actions.verify.FAIL`` → ``release_actions.verify``: the module that holds it."""
    while target:
        relative = target.split(".")[1:]
        if (PACKAGE.joinpath(*relative).with_suffix(".py")).exists() or (
            PACKAGE.joinpath(*relative) / "__init__.py"
        ).exists():
            return target
        target = target.rpartition(".")[0]
    return ""


def _violations() -> set[tuple[str, str]]:
    found = set()
    for module, targets in _imports().items():
        in_cli = module == "release_actions.cli" or module.startswith("release_actions.cli.")
        for target in targets:
            if (
                target.startswith("release_actions.cli")
                and not in_cli
                and module != "release_actions.__main__"
            ):
                found.add((module, target))
            if target == RUNNER and not in_cli:
                found.add((module, target))
            if module in LEAVES and target not in {
                "release_actions.errors",
                "release_actions.text",
                "release_actions",
            }:
                found.add((module, target))
    return found


def test_the_import_layers_hold() -> None:
    assert _violations() == set(KNOWN), "new or fixed layer violations: update the code or KNOWN"


def test_no_import_cycles() -> None:
    """No module reaches itself again through what it imports (a package and its own
    submodules excepted: that is one concern split in files)."""
    graph = _imports()
    cycles = []
    for start in graph:
        seen: set[str] = set()
        stack = [n for n in graph[start] if not n.startswith(start + ".")]
        while stack:
            node = stack.pop()
            if node == start:
                cycles.append(start)
                break
            if node not in seen:
                seen.add(node)
                stack += [n for n in graph.get(node, ()) if not n.startswith(node + ".")]
    assert cycles == []


def test_starting_the_command_loads_no_heavy_library() -> None:
    """Every action pays the CLI's start-up: the libraries a stage needs load with that stage."""
    import subprocess
    import sys

    heavy = ["sigstore", "github", "twine", "cryptography", "requests", "pydantic", "securesystemslib",
             "pypi_attestations", "packaging", "readme_renderer", "build"]  # fmt: skip
    code = "import sys, release_actions.cli; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert [name for name in heavy if name in loaded] == []


def test_the_runner_is_a_reporter() -> None:
    """Stages report through ``reporter.Reporter``; the CLI hands them its runner."""
    import io

    from release_actions import gha, reporter

    out, err = io.StringIO(), io.StringIO()
    runner: reporter.Reporter = gha.Runner(env={"GITHUB_ACTIONS": "true"}, out=out, err=err)
    runner.warning("w", title="t")
    runner.mask("s3cret")
    recorded = reporter.Recorded()
    recorded.warning("w", title="t")
    recorded.mask("s3cret")
    assert out.getvalue() == "::warning title=t::w\n::add-mask::s3cret\n"
    assert recorded.texts("warning") == ["t: w"]
    assert recorded.masked == ["s3cret"]
