"""release-actions build (checks included) vs uv build and python -m build.

Goals: <= 1.3x `uv build` and <= 0.6x `python -m build` on the same project.
Usage: python bench/build.py [NAME==VERSION]   (default flask==3.1.0)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from _common import compare, fetch, ratio, run, tool


def main() -> None:
    spec = sys.argv[1] if len(sys.argv) > 1 else "flask==3.1.0"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = fetch(spec, root / "dl")
        out = root / "out"
        uv, ours = tool("uv"), tool("release-actions")
        py = sys.executable

        def clean() -> None:
            shutil.rmtree(out, ignore_errors=True)

        cases = {
            "uv build": lambda: run(
                [uv, "build", "-q", "--python", py, "--out-dir", str(out), str(src)]
            ),
            "python -m build --installer uv": lambda: run(
                [py, "-m", "build", "--installer", "uv", "--outdir", str(out), str(src)]
            ),
            "python -m build": lambda: run([py, "-m", "build", "--outdir", str(out), str(src)]),
            "release-actions build": lambda: run([ours, "build", str(src), "--out-dir", str(out)]),
        }
        print(f"build sdist + wheel of {spec} (release-actions includes its checks)")
        clean()
        run([uv, "build", "-q", "--python", py, "--out-dir", str(out), str(src)])  # warm the caches
        medians = compare(cases, repeat=5, setup=clean)
        ours_t = medians["release-actions build"]
        ratio("release-actions / uv build", ours_t, medians["uv build"], 1.3)
        ratio("release-actions / python -m build", ours_t, medians["python -m build"], 0.6)


if __name__ == "__main__":
    main()
