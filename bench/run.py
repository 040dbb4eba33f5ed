"""release-actions run (the whole rehearsal) vs uv build of the same project alone.

Goal: <= 1.3x — the whole supply chain (build and its checks, hashes, signed
provenance and its verification, notes, the release page, a local index) costs
less than a third of one more build.
Usage: python bench/run.py [NAME==VERSION]   (default flask==3.1.0)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from _common import Figure, checkout, compare, load, run, scratch, table, tool

GOAL = 1.3


def measure(spec: str = "flask==3.1.0", repeat: int = 5) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        root = Path(tmp)
        src = checkout(spec, root / "project")
        out, rehearsal = root / "out", root / "rehearsal"
        uv, ours = tool("uv"), tool("release-actions")
        env = scratch(root / "scratch")

        def clean() -> None:
            shutil.rmtree(out, ignore_errors=True)

        cases = {
            "uv build": lambda: run(
                [uv, "build", "-q", "--python", sys.executable, "--out-dir", str(out), str(src)],
                cwd=root,
                env=env,
            ),
            "release-actions run": lambda: run(
                [ours, "run", str(src), "--out-dir", str(rehearsal)], cwd=root, env=env
            ),
        }
        for case in cases.values():  # warm the caches
            case()
        print(f"{spec}: the whole rehearsal vs building alone, {load()}")
        medians = compare(cases, repeat=repeat, setup=clean)
    return [
        Figure(f"run {spec.replace('==', ' ')}", medians["release-actions run"], GOAL,
               theirs=medians["uv build"], peer="uv build")
    ]  # fmt: skip


def main() -> None:
    print(table(measure(sys.argv[1] if len(sys.argv) > 1 else "flask==3.1.0")))


if __name__ == "__main__":
    main()
