"""Cold and warm start of an action's isolated environment (scripts/bootstrap.sh).

Cold: a new RUNNER_TEMP with the package caches warm, as on a runner whose
cache was restored. Warm: the second action of a job. Goals: cold <= 5 s,
warm <= 0.3 s.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _common import ROOT

BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"


def once(runner_temp: str) -> float:
    env = {**os.environ, "RUNNER_TEMP": runner_temp, "RA_BASE_PYTHON": sys.executable}
    env.pop("GITHUB_OUTPUT", None)
    start = time.perf_counter()
    subprocess.run(["bash", str(BOOTSTRAP)], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    cold, warm = [], []
    with tempfile.TemporaryDirectory() as tmp:
        once(os.path.join(tmp, "prime"))  # fill the uv and pip caches
        for i in range(3):
            temp = os.path.join(tmp, f"run{i}")
            cold.append(once(temp))
            warm += [once(temp) for _ in range(5)]
            shutil.rmtree(temp)
    print("bootstrap of an action environment (package caches warm)")
    print(f"  cold  {statistics.median(cold):6.3f} s  (n={len(cold)}; goal <= 5 s)")
    print(f"  warm  {statistics.median(warm):6.3f} s  (n={len(warm)}; goal <= 0.3 s)")


if __name__ == "__main__":
    main()
