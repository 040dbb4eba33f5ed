"""Where the tests find the checkout and their data, wherever a test file lives."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
PROJECTS = TESTS / "projects"
DATA = TESTS / "data"
CHANGELOGS = TESTS / "changelogs"
