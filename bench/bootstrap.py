"""Cold and warm start of each action's runtime, and the bytes each job downloads.

Cold: the first action of a job on a fresh runner: a new RUNNER_TEMP, empty pip
and uv caches, the package index as the only source (no find-links, no mirror),
so uv is fetched and the action's lock installed. Warm: a second action of the
same job (its runtime is already there). Each figure is the bootstrap plus our
CLI's start (``entry.py --version``), as an action runs them.

Bytes: the wheels a job downloads for that runtime (uv's wheel included where a
venv is made), as pip selects them for this interpreter from the hash-locked files.

Goals: hash <= 0.5 s cold, every other runtime <= 3 s cold and <= 0.3 s warm;
<= 15 MB downloaded by the build job, and by every other job less than the one
runtime every action used to install (about 50 MB).

Usage: python bench/bootstrap.py [RUNTIME ...]   (default: all)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, Figure, load, table

BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"
ENTRY = ROOT / "scripts" / "entry.py"
LOCKS = ROOT / "scripts" / "requirements"
# The runtime each action group bootstraps (see each action.yml's RA_RUNTIME).
RUNTIMES = {
    "hash": "stdlib",
    "build": "build",
    "attest/verify": "signing",
    "publish": "publish",
    "release-page": "release-page",
    "audit": "audit",
}
COLD_GOAL = {"stdlib": 0.5}
WARM_GOAL = 0.3
MB = 1_000_000
BYTES_GOAL = {"build": 15}  # MB
FORMER_RUNTIME = 50  # MB: what every job downloaded before the runtimes were split


def _clean_env(caches: Path, runner_temp: Path, runtime: str) -> dict[str, str]:
    """A runner's environment: no package configuration of this machine, empty caches."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "GITHUB_", "RUNNER_", "RA_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        RUNNER_TEMP=str(runner_temp),
        RA_BASE_PYTHON=sys.executable if sys.prefix == sys.base_prefix else _base_python(),
        RA_RUNTIME=runtime,
        UV_CACHE_DIR=str(caches / "uv"),
        PIP_CACHE_DIR=str(caches / "pip"),
        PIP_CONFIG_FILE=os.devnull,
        HOME=str(caches / "home"),
    )
    return env


def _base_python() -> str:
    """The interpreter this venv was made from (setup-python's, on a runner)."""
    return str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}")


def start(env: dict[str, str]) -> float:
    """Seconds for the bootstrap and the CLI's start, as an action's first two steps."""
    began = time.perf_counter()
    proc = subprocess.run(["bash", str(BOOTSTRAP)], env=env, capture_output=True, text=True,
                          check=True)  # fmt: skip
    python = proc.stdout.strip()
    subprocess.run([python, "-I", "-S", str(ENTRY), "--version"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - began


def downloaded(runtime: str, tmp: Path) -> int:
    """Bytes of the wheels a cold job fetches for ``runtime`` (pip's selection, this platform)."""
    if runtime == "stdlib":
        return 0
    dest = tmp / f"download-{runtime}"
    for lock in ("uv", runtime):
        subprocess.run(
            [sys.executable, "-m", "pip", "--isolated", "download", "--quiet", "--no-cache-dir",
             "--no-deps", "--require-hashes", "--only-binary", ":all:", "--dest", str(dest),
             "-r", str(LOCKS / f"{lock}.txt")],
            check=True, env=_clean_env(tmp, tmp, runtime),
        )  # fmt: skip
    return sum(p.stat().st_size for p in dest.iterdir())


def measure(groups: list[str] | None = None, warm_runs: int = 5) -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-bootstrap-") as name:
        tmp = Path(name)
        for group in groups or list(RUNTIMES):
            runtime = RUNTIMES[group]
            job = tmp / f"job-{runtime}"
            job.mkdir()
            env = _clean_env(job / "caches", job / "runner-temp", runtime)
            cold = start(env)
            warm = statistics.median(start(env) for _ in range(warm_runs))
            figures.append(
                Figure(f"{group} cold start ({runtime})", cold, COLD_GOAL.get(runtime, 3.0))
            )
            figures.append(Figure(f"{group} warm start ({runtime})", warm, WARM_GOAL))
            size = downloaded(runtime, tmp) / MB
            figures.append(
                Figure(
                    f"{group} job downloads ({runtime})",
                    size,
                    BYTES_GOAL.get(runtime, FORMER_RUNTIME),
                    "MB",
                )
            )
    return figures


def main() -> None:
    print(f"start of each action's runtime ({load()})")
    print(table(measure(sys.argv[1:] or None)))


if __name__ == "__main__":
    main()
