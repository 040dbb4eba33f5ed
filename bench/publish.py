"""release-actions publish vs twine upload of the same files to the same pypiserver (goal <= 1.0x).

release-actions also checks every file's metadata and hashes before the first
upload; twine upload does neither. Usage: python bench/publish.py [N]  (default 10 versions = 20 files)
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from _common import ROOT, TOOL_ENV, Figure, compare, load, run, table, tool

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from release_actions.build import build
from support.pypiserver import pypiserver


def measure(count: int = 10) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = root / "project"
        for i in range(count):
            shutil.rmtree(project, ignore_errors=True)
            shutil.copytree(ROOT / "tests" / "projects" / "flit_demo", project)
            init = project / "src" / "flit_demo" / "__init__.py"
            init.write_text(
                re.sub(r'__version__ = ".*"', f'__version__ = "1.0.{i}"', init.read_text())
            )
            pyproject = project / "pyproject.toml"
            pyproject.write_text(
                re.sub(r'(?m)^version = ".*"', f'version = "1.0.{i}"', pyproject.read_text())
            )
            build(project, root / f"out{i}", clean=True)
        # One release (sdist + wheel) per command, as a release job uploads them.
        releases = [sorted(str(p) for p in (root / f"out{i}").iterdir()) for i in range(count)]
        with pypiserver(root / "index") as server:

            def clear() -> None:
                for p in server.packages.iterdir():
                    p.unlink()

            env = {
                **TOOL_ENV,
                "TWINE_USERNAME": server.username,
                "TWINE_PASSWORD": server.password,
            }
            twine, ours = tool("twine"), tool("release-actions")
            print(f"upload {count} releases (sdist + wheel each) to a local pypiserver, {load()}")
            medians = compare(
                {
                    "twine upload": lambda: [
                        run(
                            [
                                twine,
                                "upload",
                                "--disable-progress-bar",
                                "--repository-url",
                                server.url,
                                *files,
                            ],
                            env=env,
                        )
                        for files in releases
                    ],
                    "release-actions publish": lambda: [
                        run([ours, "publish", "--repository-url", server.url, *files], env=env)
                        for files in releases
                    ],
                },
                repeat=5,
                setup=clear,
            )
    return [
        Figure(f"publish {count} releases", medians["release-actions publish"], 1.0,
               theirs=medians["twine upload"], peer="twine upload")
    ]  # fmt: skip


def main() -> None:
    print(table(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 10)))


if __name__ == "__main__":
    main()
