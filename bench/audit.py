"""release-actions audit vs a curl loop over a project's history (goal: <= 0.5x).

What a maintainer would otherwise write: for each version, fetch the index's
JSON for it with curl and look for its tag, one version after another. Both
run against a local fake index that adds a fixed latency per request (like a
CDN round trip), so the comparison measures how the requests are scheduled,
not the network. The audit checks the tags of a local clone; the loop only
fetches (it does less work). GitHub-side checks are left out: they need the
GitHub API.

Usage: python bench/audit.py [VERSIONS] [LATENCY_MS]   (default 200 versions, 20 ms)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, Figure, compare, load, run, table, tool

sys.path.insert(0, str(ROOT / "tests"))
from support.act import git
from support.fake_index import FakeIndex


def curl_loop(curl: str, index: str, versions: list[str]) -> None:
    for version in versions:
        doc = subprocess.run(
            [curl, "-sf", f"{index}/pypi/bench-pkg/{version}/json"],
            check=True,
            capture_output=True,
        ).stdout
        assert json.loads(doc)["urls"]


def measure(count: int = 200, latency_ms: int = 20) -> list[Figure]:
    latency = latency_ms / 1000
    curl = shutil.which("curl")
    if not curl:
        raise SystemExit("curl is needed for the comparison")
    versions = [f"1.{n // 10}.{n % 10}" for n in range(count)]
    with tempfile.TemporaryDirectory() as tmp, FakeIndex(delay=latency) as index:
        clone = Path(tmp) / "clone"
        clone.mkdir()
        git(clone, "init", "-q", "-b", "main")
        git(clone, "commit", "-q", "--allow-empty", "-m", "history")
        git(clone, "remote", "add", "origin", "https://github.com/bench/pkg.git")
        head = git(clone, "rev-parse", "HEAD").strip()
        refs = "".join(f"create refs/tags/v{v} {head}\n" for v in versions)
        subprocess.run(
            ["git", "update-ref", "--stdin"], cwd=clone, input=refs, text=True, check=True
        )
        for v in versions:
            index.add(
                "bench-pkg",
                v,
                {
                    f"bench_pkg-{v}.tar.gz": b"s" * 40_000 + v.encode(),
                    f"bench_pkg-{v}-py3-none-any.whl": b"w" * 60_000 + v.encode(),
                },
            )
        ours = tool("release-actions")
        audit = [
            ours, "audit", "--project=bench-pkg", "--repo=bench/pkg", f"--index-url={index.url}",
            "--tags-from=git", "--skip=release", "--skip=milestone", "--skip=assets",
        ]  # fmt: skip
        print(f"audit: {count} versions, {latency * 1000:.0f} ms per request, {load()}")
        medians = compare(
            {
                "curl loop": lambda: curl_loop(curl, index.url, versions),
                "release-actions audit --jobs=1": lambda: run([*audit, "--jobs=1"], cwd=clone),
                "release-actions audit (8 jobs)": lambda: run(audit, cwd=clone),
            },
            repeat=3,
        )
    return [
        Figure(f"audit {count} versions", medians["release-actions audit (8 jobs)"], 0.5,
               theirs=medians["curl loop"], peer="curl loop")
    ]  # fmt: skip


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(table(measure(count, int(sys.argv[2]) if len(sys.argv) > 2 else 20)))


if __name__ == "__main__":
    main()
