"""release-actions build (checks included) vs uv build, on real projects from the package index.

Each project is built from a tagged git checkout of its release (as a release job
has it), by both tools in turn, interleaved, their scratch files in one folder
(``_common.scratch``). Goals: <= 1.0x `uv build` on flask and
on the median of the projects; <= 0.6x `python -m build` on flask.

Usage: python bench/build.py [NAME==VERSION ...]   (default: every project in REAL_PROJECTS)
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import REAL_PROJECTS, SKIPS, Figure, checkout, compare, load, run, scratch, table, tool

UV_GOAL = 1.0
BUILD_GOAL = 0.6
FLASK = "flask==3.1.0"


def _cases(
    src: Path, out: Path, cwd: Path, skips: list[str], with_build: bool
) -> dict[str, Callable[[], None]]:
    uv, ours, py = tool("uv"), tool("release-actions"), sys.executable
    env = scratch(cwd / "scratch")
    cases = {
        "uv build": lambda: run(
            [uv, "build", "-q", "--python", py, "--out-dir", str(out), str(src)], cwd=cwd, env=env
        ),
        "release-actions build": lambda: run(
            [ours, "build", str(src), "--out-dir", str(out), *skips], cwd=cwd, env=env
        ),
    }
    if with_build:
        # cwd is not bench/, whose build.py would shadow the build package
        cases["python -m build"] = lambda: run(
            [py, "-m", "build", "--outdir", str(out), str(src)], cwd=cwd, env=env
        )
    return cases


def measure(specs: list[str] | None = None, repeat: int = 5) -> list[Figure]:
    specs = specs or list(REAL_PROJECTS)
    figures: list[Figure] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        root = Path(tmp)
        out = root / "out"

        def clean() -> None:
            shutil.rmtree(out, ignore_errors=True)

        for spec in specs:
            src = checkout(spec, root / spec)
            cases = _cases(src, out, root, SKIPS.get(spec, []), with_build=spec == FLASK)
            print(f"build {spec} ({REAL_PROJECTS.get(spec, 'from the index')}), {load()}")
            for case in cases.values():  # warm the caches (build requirements)
                clean()
                case()
            medians = compare(cases, repeat=repeat, setup=clean)
            name = spec.replace("==", " ")
            figures.append(
                Figure(f"build {name}", medians["release-actions build"], UV_GOAL,
                       theirs=medians["uv build"], peer="uv build")
            )  # fmt: skip
            ratios.append(medians["release-actions build"] / medians["uv build"])
            if spec == FLASK:
                figures.append(
                    Figure(f"build {name}", medians["release-actions build"], BUILD_GOAL,
                           theirs=medians["python -m build"], peer="python -m build")
                )  # fmt: skip
    if len(ratios) > 1:
        figures.append(
            Figure(f"build / uv build, median of {len(ratios)} real projects",
                   statistics.median(ratios), UV_GOAL, unit="x")
        )  # fmt: skip
    return figures


def main() -> None:
    print(table(measure(sys.argv[1:] or None)))


if __name__ == "__main__":
    main()
