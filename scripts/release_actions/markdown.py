"""The Markdown the package writes (job summaries, release notes, previews, READMEs):
tables, collapsible blocks, and the escaping that keeps a value literal inside them.

A leaf: any layer may render Markdown without knowing where it goes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_TICKS = re.compile(r"`+")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def cell(value: str) -> str:
    """A table cell: a pipe cannot end the cell, a line break cannot end the row."""
    return _LINE_BREAKS.sub(" ", value.replace("|", "\\|"))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table; every cell goes through ``cell``, so file names cannot break it."""
    lines = ["| " + " | ".join(cell(h) for h in header) + " |"]
    lines.append("|" + "|".join(" --- " for _ in header) + "|")
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def details(summary: str, body: str) -> str:
    """A collapsible block (GitHub renders ``<details>`` in summaries and release notes)."""
    return f"<details><summary>{summary}</summary>\n\n{body.rstrip()}\n\n</details>"


def code(text: str) -> str:
    """An inline code span that shows ``text`` as written, backticks inside it included."""
    longest = max((len(m) for m in _TICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def link_text(text: str) -> str:
    """Text inside ``[…]``: a bracket in it cannot close the link early."""
    return text.replace("[", "\\[").replace("]", "\\]")


def link(text: str, url: str) -> str:
    return f"[{link_text(text)}]({url})"


def no_html(text: str) -> str:
    """Plain text in which a ``<`` cannot open an HTML tag."""
    return _TAG_START.sub(r"\\<", text)
