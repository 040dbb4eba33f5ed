"""Shared helpers for the benchmark scripts (timing, the tools under test)."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Figure:
    """One measured figure: ours, the peer's where there is one, and the goal.

    With a peer, ``goal`` bounds the ratio ours/theirs; without one it bounds ours
    itself, in ``unit``.
    """

    name: str
    ours: float
    goal: float
    unit: str = "s"
    theirs: float | None = None
    peer: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.theirs is None else self.ours / self.theirs

    @property
    def meets(self) -> bool:
        return (self.ours if self.ratio is None else self.ratio) <= self.goal

    def line(self) -> str:
        verdict = "meets" if self.meets else "MISSES"
        if self.ratio is None:
            return f"{self.name}: {self.ours:.3f} {self.unit} (goal <= {self.goal} {self.unit}: {verdict})"
        return (
            f"{self.name}: {self.ours:.3f} {self.unit} vs {self.peer} {self.theirs:.3f} {self.unit}"
            f" = {self.ratio:.2f}x (goal <= {self.goal}x: {verdict})"
        )


def tool(name: str) -> str:
    """A console script of the running interpreter's environment, else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed (pip install -e '.[test]')")
    return found


def run(cmd: list[str], **kwargs: object) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def compare(
    cases: dict[str, Callable[[], object]], repeat: int, setup: Callable[[], object] | None = None
) -> dict[str, float]:
    """Run the cases interleaved (so machine noise hits all alike); report medians."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            if setup:
                setup()
            samples[name] += timed(fn, 1)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    width = max(map(len, cases))
    for name, value in medians.items():
        spread = f"min {min(samples[name]):.3f} max {max(samples[name]):.3f}"
        print(f"  {name:<{width}}  {value:7.3f} s  ({spread}, n={repeat})")
    return medians


def ratio(label: str, ours: float, theirs: float, goal: float) -> None:
    r = ours / theirs
    verdict = "meets" if r <= goal else "MISSES"
    print(f"  ratio {label}: {r:.2f}x  (goal <= {goal}x: {verdict})")


def fetch(spec: str, dest: Path) -> Path:
    """The unpacked sdist of NAME==VERSION from the package index: a real project's source."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(dest),
            spec,
        ],
        check=True,
    )
    (archive,) = dest.glob("*.tar.gz")
    with tarfile.open(archive) as tf:
        tf.extractall(dest / "src", filter="data")
    (src,) = (dest / "src").iterdir()
    return src
