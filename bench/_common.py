"""Shared helpers for the benchmark scripts (timing, the tools under test, real projects)."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Downloaded sdists are kept here between runs (the folder is git-ignored).
CACHE = ROOT / "bench" / "results" / "sdists"

# Real projects from the package index, one or more per build system the suite meets.
# (six's legacy metadata names no description type: its build skips that check.)
REAL_PROJECTS = {
    "flask==3.1.0": "flit_core",
    "click==8.1.8": "flit_core",
    "idna==3.10": "flit_core",
    "filelock==3.16.1": "hatchling + hatch-vcs",
    "attrs==24.3.0": "hatchling + hatch-vcs + fancy-pypi-readme",
    "pluggy==1.5.0": "setuptools + setuptools-scm",
    "tomlkit==0.13.2": "poetry-core",
    "six==1.17.0": "setuptools, setup.py only",
}
SKIPS = {"six==1.17.0": ["--skip-check", "description-content-type: legacy metadata"]}


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


def table(figures: Iterable[Figure]) -> str:
    """The figures as one Markdown table: ours, the peer's, the ratio, the goal, met or not."""
    rows = [["figure", "ours", "peer", "ratio", "goal", "met"]]
    for f in figures:
        ours = f"{f.ours:.3f} {f.unit}"
        peer = f"{f.peer} {f.theirs:.3f} {f.unit}" if f.theirs is not None else "—"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "—"
        goal = f"≤ {f.goal}x" if f.ratio is not None else f"≤ {f.goal} {f.unit}"
        rows.append([f.name, ours, peer, ratio, goal, "met" if f.meets else "NOT MET"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def load() -> str:
    """The machine's load averages, to print beside the figures."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def tool(name: str) -> str:
    """A console script of the running interpreter's environment, else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed (pip install -e '.[test]')")
    return found


# Every tool runs as in a maintainer's shell, where Python caches bytecode (a shell
# that forbids it makes every Python tool compile its modules at each start).
TOOL_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def scratch(root: Path) -> dict[str, str]:
    """TOOL_ENV with every tool's scratch space in ``root``: temporary folders and uv's cache.

    A build writes hundreds of small files (environments, the unpacked sdist): ours
    in the temporary folder, uv build's in uv's cache. Where those two sit on file
    systems of different speed (here the temporary folder creates files at half the
    speed of the home folder), the figure would measure the disks, not the tools.
    """
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    return {**TOOL_ENV, "TMPDIR": str(root / "tmp"), "UV_CACHE_DIR": str(root / "uv-cache")}


def run(cmd: list[str], **kwargs: object) -> None:
    kwargs.setdefault("env", TOOL_ENV)
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
    """Run the cases interleaved (so machine noise hits all alike); report medians.

    Every other round runs them in reverse order: no case always follows the same
    other one (and the files it just deleted, which the disk may still be busy with).
    """
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(repeat):
        for name, fn in list(cases.items())[:: 1 if round_ % 2 == 0 else -1]:
            if setup:
                setup()
            samples[name] += timed(fn, 1)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    width = max(map(len, cases))
    for name, value in medians.items():
        spread = f"min {min(samples[name]):.3f} max {max(samples[name]):.3f}"
        print(f"  {name:<{width}}  {value:7.3f} s  ({spread}, n={repeat})", flush=True)
    return medians


def ratio(label: str, ours: float, theirs: float, goal: float) -> None:
    r = ours / theirs
    verdict = "meets" if r <= goal else "MISSES"
    print(f"  ratio {label}: {r:.2f}x  (goal <= {goal}x: {verdict})")


def sdist(spec: str) -> Path:
    """The sdist of NAME==VERSION, downloaded from the package index once, then cached."""
    name, version = spec.split("==")
    stem = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}"
    CACHE.mkdir(parents=True, exist_ok=True)
    for candidate in CACHE.glob("*.tar.gz"):
        if re.sub(r"[-_.]+", "_", candidate.name[: -len(".tar.gz")]).lower() == stem:
            return candidate
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             "-d", tmp, spec],
            check=True,
        )  # fmt: skip
        (archive,) = Path(tmp).glob("*.tar.gz")
        return Path(shutil.move(archive, CACHE / archive.name))


def fetch(spec: str, dest: Path) -> Path:
    """The unpacked sdist of NAME==VERSION: a real project's source."""
    with tarfile.open(sdist(spec)) as tf:
        tf.extractall(dest / "src", filter="data")
    (src,) = (dest / "src").iterdir()
    return src


def checkout(spec: str, dest: Path) -> Path:
    """A real project as its repository has it at the release: a tagged git checkout.

    The sdist's generated files (PKG-INFO, *.egg-info) go, so VCS-versioned projects
    (hatch-vcs, setuptools-scm) read their version from the tag, as in CI.
    """
    src = fetch(spec, dest)
    (src / "PKG-INFO").unlink(missing_ok=True)
    for info in src.rglob("*.egg-info"):
        shutil.rmtree(info)
    version = spec.split("==")[1]
    env = {**os.environ, "GIT_AUTHOR_DATE": "2024-01-02T03:04:05Z",
           "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z"}  # fmt: skip
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", version],
                 ["tag", version]):  # fmt: skip
        subprocess.run(["git", "-C", str(src), *args], check=True, env=env)
    return src
