"""release-actions hash vs coreutils sha256sum on one large file (goal: <= 0.5x).

Usage: python bench/hash.py [SIZE_MIB]   (default 512)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from _common import compare, ratio, run, tool


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    sha256sum = shutil.which("sha256sum")
    if not sha256sum:
        raise SystemExit("coreutils sha256sum is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big-1.0.tar.gz"
        with big.open("wb") as fh:
            block = os.urandom(1 << 20)
            for _ in range(size):
                fh.write(block)
        ours = tool("release-actions")
        print(f"sha256 of one {size} MiB file")
        medians = compare(
            {
                "sha256sum": lambda: run([sha256sum, str(big)]),
                "release-actions hash": lambda: run([ours, "hash", str(big)]),
            },
            repeat=5,
        )
        ratio(
            "release-actions / sha256sum",
            medians["release-actions hash"],
            medians["sha256sum"],
            0.5,
        )


if __name__ == "__main__":
    main()
