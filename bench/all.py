"""Every benchmark in one run, printed as one table: ours, the peer's, the ratio, the goal.

Each bench compares side by side (interleaved repetitions, medians), so the
ratios hold on a loaded machine better than the seconds do; the load average
is printed with each part. The README's performance figures come from here.

Usage: python bench/all.py [NAME ...]   (hash, build, run, verify, attest, audit, publish,
bootstrap; default: all)
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable

from _common import Figure, load, table

# Each bench module's measure(), with what it measures; verify's also times attest.
BENCHES = ["hash", "build", "run", "verify", "audit", "publish", "bootstrap"]
ALIASES = {"attest": "verify"}


def _measure(name: str) -> list[Figure] | None:
    module = importlib.import_module(name)
    measure: Callable[[], list[Figure]] | None = getattr(module, "measure", None)
    return measure() if measure is not None else None


def main() -> None:
    chosen = [ALIASES.get(n, n) for n in sys.argv[1:]] or BENCHES
    began = time.perf_counter()
    print(f"release-actions benchmarks, {load()}\n", flush=True)
    figures: list[Figure] = []
    missing: list[str] = []
    for name in dict.fromkeys(chosen):
        measured = _measure(name)
        if measured is None:
            missing.append(name)
        else:
            figures += measured
        print(flush=True)
    print(table(figures))
    for name in missing:
        print(f"{name}: not measured (bench/{name}.py has no measure())")
    met = sum(f.meets for f in figures)
    print(f"\n{met} of {len(figures)} goals met in {time.perf_counter() - began:.0f} s; {load()}")


if __name__ == "__main__":
    main()
