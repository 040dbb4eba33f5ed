"""release-actions hash vs coreutils sha256sum on two large files (goal: <= 0.2x).

Both print the same lines; ours hashes the files in parallel, in large reads,
with OpenSSL's SHA-256 (SHA-NI where the CPU has it).
Usage: python bench/hash.py [SIZE_MIB]   (default 256: two files of 256 MiB)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import Figure, compare, load, run, table, tool

GOAL = 0.2


def measure(size: int = 256, repeat: int = 5) -> list[Figure]:
    sha256sum = shutil.which("sha256sum")
    if not sha256sum:
        raise SystemExit("coreutils sha256sum is not installed")
    ours = tool("release-actions")
    with tempfile.TemporaryDirectory(prefix="bench-hash-") as tmp:
        files = [Path(tmp) / f"big-1.0{suffix}" for suffix in (".tar.gz", "-py3-none-any.whl")]
        for path in files:
            with path.open("wb") as fh:
                for _ in range(size):
                    fh.write(os.urandom(1 << 20))
        names = [str(p) for p in files]
        theirs_out = subprocess.run([sha256sum, *names], capture_output=True, text=True, check=True)
        ours_out = subprocess.run(
            [ours, "hash", *names], capture_output=True, text=True, check=True
        )
        digests = dict(reversed(line.split("  ", 1)) for line in theirs_out.stdout.splitlines())
        expected = "".join(f"{digests[n]}  {Path(n).name}\n" for n in sorted(digests))
        if ours_out.stdout != expected:
            raise SystemExit(f"the outputs differ:\n{ours_out.stdout}\n{expected}")
        print(f"sha256 of two {size} MiB files, {load()}")
        medians = compare(
            {
                "sha256sum": lambda: run([sha256sum, *names]),
                "release-actions hash": lambda: run([ours, "hash", *names]),
            },
            repeat=repeat,
        )
    return [
        Figure(f"hash 2 x {size} MiB", medians["release-actions hash"], GOAL,
               theirs=medians["sha256sum"], peer="sha256sum")
    ]  # fmt: skip


def main() -> None:
    print(table(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 256)))


if __name__ == "__main__":
    main()
