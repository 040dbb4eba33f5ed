"""release-actions run (the whole rehearsal) vs uv build of the same project alone.

Goal: <= 2x — the whole supply chain (checks, hashes, provenance, verification,
notes, release page, a local index) costs at most one more build.
Usage: python bench/run.py [NAME==VERSION]   (default flask==3.1.0)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import compare, fetch, ratio, run, tool


def main() -> None:
    spec = sys.argv[1] if len(sys.argv) > 1 else "flask==3.1.0"
    version = spec.split("==")[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = fetch(spec, root / "dl")
        # A release checkout: the sdist's files committed and tagged.
        for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "r"],
                     ["tag", f"{version}"]):  # fmt: skip
            subprocess.run(["git", "-C", str(src), *args], check=True)
        out, rehearsal = root / "out", root / "rehearsal"
        uv, ours = tool("uv"), tool("release-actions")

        def clean() -> None:
            shutil.rmtree(out, ignore_errors=True)

        run(
            [uv, "build", "-q", "--python", sys.executable, "--out-dir", str(out), str(src)]
        )  # warm the caches
        print(f"{spec}: the whole rehearsal vs building alone")
        medians = compare(
            {
                "uv build": lambda: run(
                    [uv, "build", "-q", "--python", sys.executable, "--out-dir", str(out), str(src)]
                ),
                "release-actions run": lambda: run(
                    [ours, "run", str(src), "--out-dir", str(rehearsal)]
                ),
            },
            repeat=5,
            setup=clean,
        )
        ratio(
            "release-actions run / uv build",
            medians["release-actions run"],
            medians["uv build"],
            2.0,
        )


if __name__ == "__main__":
    main()
