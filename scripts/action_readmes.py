"""Keep each action's README inputs/outputs tables in step with its action.yml.

    python scripts/action_readmes.py          # rewrite the tables
    python scripts/action_readmes.py --check  # exit 1 if any README is out of date

The tables live between two markers in actions/<name>/README.md (and the
top-level README for the umbrella action.yml); the prose around them is
written by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from release_actions.markdown import code, table  # scripts/ is this file's sys.path[0]

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- action-table:start -->", "<!-- action-table:end -->"


def _text(value: object) -> str:
    """A YAML description on one line (folded or literal blocks span several)."""
    return " ".join(str(value).split())


def render(action_yml: Path) -> str:
    doc = yaml.safe_load(action_yml.read_text(encoding="utf-8"))
    inputs = [
        [
            code(name),
            _text(spec.get("description", "")),
            code(_text(default))
            if (default := spec.get("default", "")) not in ("", None)
            else ("*required*" if spec.get("required") else ""),
        ]
        for name, spec in (doc.get("inputs") or {}).items()
    ]
    outputs = [
        [code(name), _text(spec.get("description", ""))]
        for name, spec in (doc.get("outputs") or {}).items()
    ]
    return "\n".join([
        "### Inputs", "", table(["name", "description", "default"], inputs), "",
        "### Outputs", "", table(["name", "description"], outputs),
    ])  # fmt: skip


def pairs() -> list[tuple[Path, Path]]:
    found = [(p, p.parent / "README.md") for p in sorted(ROOT.glob("actions/*/action.yml"))]
    if (ROOT / "action.yml").exists():
        found.append((ROOT / "action.yml", ROOT / "actions" / "README.md"))
    return found


def updated(readme: Path, table: str) -> str:
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: add the markers {START} and {END} where the tables go")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str]) -> int:
    stale = []
    for action, readme in pairs():
        new = updated(readme, render(action))
        if readme.read_text(encoding="utf-8") != new:
            stale.append(readme)
            if "--check" not in argv:
                readme.write_text(new, encoding="utf-8")
    if stale and "--check" in argv:
        for r in stale:
            print(f"{r.relative_to(ROOT)} is out of date; run: python scripts/action_readmes.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
