"""Keep every pin of a third-party action equal to the one in .github/pins/action.yml.

    python scripts/sync_pins.py          # rewrite every other place to the manifest's pins
    python scripts/sync_pins.py --check  # exit 1 if any place differs (the test suite runs this)

Dependabot updates action.yml files and .github/workflows/ but never reads the
starter templates or the Markdown examples. The manifest is an action.yml it
does read, so a Dependabot pull request moves the manifest (with the actions
and workflows); running this script carries the new pins to the templates, the
READMEs and the test workflows in the same pull request.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".github" / "pins" / "action.yml"
PIN = re.compile(r"(?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40})(?P<comment> # v[\w.-]+)?")
PLACES = (
    "action.yml", "actions/*/action.yml", "actions/*/README.md", "actions/README.md",
    ".github/workflows/*.yml", "workflows-templates/*.yml", "*.md", "docs/*.md",
    "tests/*.py", "tests/support/*.py", "scripts/release_actions/*.py",
    "scripts/release_actions/**/*.yml",
)  # fmt: skip


def manifest_pins(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """action → (sha, '# vX.Y.Z' comment) as the manifest pins it."""
    path = path or MANIFEST
    pins: dict[str, tuple[str, str]] = {}
    for m in PIN.finditer(path.read_text(encoding="utf-8")):
        if not m.group("comment"):
            raise SystemExit(f"{path}: {m.group('action')} has no '# vX.Y.Z' comment")
        pins[m.group("action")] = (m.group("sha"), m.group("comment"))
    return pins


def _places() -> list[Path]:
    found = {p for pattern in PLACES for p in ROOT.glob(pattern) if p.is_file()}
    return sorted(found - {MANIFEST})


def sync(check: bool) -> tuple[list[str], list[str]]:
    """(pins that differ from the manifest, actions the manifest lacks); rewrites unless check."""
    pins = manifest_pins()
    problems: list[str] = []
    unknown: list[str] = []
    for path in _places():
        text = path.read_text(encoding="utf-8")

        def replace(m: re.Match[str], path: Path = path) -> str:
            action = m.group("action")
            if action not in pins:
                unknown.append(
                    f"{path.relative_to(ROOT)}: {action} is not in {MANIFEST.relative_to(ROOT)}"
                )
                return m.group(0)
            sha, comment = pins[action]
            wanted = f"{action}@{sha}{comment}"
            if m.group(0) != wanted:
                problems.append(f"{path.relative_to(ROOT)}: {m.group(0)} (manifest: {wanted})")
            return wanted

        new = PIN.sub(replace, text)
        if new != text and not check:
            path.write_text(new, encoding="utf-8")
    return problems, unknown


def main(argv: list[str]) -> int:
    check = "--check" in argv
    problems, unknown = sync(check)
    for line in problems if check else [f"updated {p}" for p in problems]:
        print(line)
    for line in unknown:
        print(line)
    if problems and check:
        print("Run: python scripts/sync_pins.py")
    return 1 if unknown or (problems and check) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
